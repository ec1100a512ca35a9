"""Getting a message out: SMTP from the environment, or a Maildir under instance/ without SMTP_HOST.

deliver() calls `commit_point()` at the last moment before the message can
reach the server (after MAIL FROM and RCPT TO were accepted, before DATA): the
ledger moves its claim to `sending` there and answers False if the claim was
taken over, in which case nothing is sent.

It raises NotSent when the message certainly did not reach the server (refused,
connection lost before the end of the data, or a non-250 answer to the data),
and Uncertain when the connection failed after the whole message went out but
before the server's answer came back.

A worker sends many messages over one Connection (mail/services/batch.py): opening
a session for each (TCP, EHLO, STARTTLS and AUTH with a real relay, QUIT) cost
more than the message's own exchange.
"""
import mailbox
import smtplib
import ssl
from email.utils import parseaddr
from pathlib import Path

from flask import current_app

SMTP_TIMEOUT = 30
_END_OF_DATA = b"\r\n.\r\n"


class NotSent(Exception):
    """The server did not take the message; sending it again is safe."""


class Uncertain(Exception):
    """The message went out, and no answer came back: it may have been delivered."""


class _SMTP(smtplib.SMTP):
    """smtplib, noting the moment the end-of-data line has been handed to the socket."""

    data_sent = False

    def send(self, s):
        super().send(s)
        if isinstance(s, bytes) and s.endswith(_END_OF_DATA):
            self.data_sent = True


def uses_smtp(config=None):
    return bool((config or current_app.config).get("SMTP_HOST"))


def envelope_sender(config=None):
    return parseaddr((config or current_app.config)["MAIL_FROM"])[1]


def deliver(message, recipient, commit_point, connection=None):
    """Send `message` (an EmailMessage) to `recipient`; False when commit_point() refused.

    `connection`: a Connection kept open for many messages (mail/services/batch.py);
    without one, a connection is opened for this message and closed after it."""
    if not uses_smtp():
        return _deliver_maildir(message, commit_point)
    if connection is not None:
        return connection.send(message, recipient, commit_point)
    connection = Connection(current_app.config)
    try:
        return connection.send(message, recipient, commit_point)
    finally:
        connection.close()


def settings_of(config):
    """What an SMTP session depends on: a kept connection opened with other settings is not reused."""
    return tuple(config.get(name) for name in ("SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD", "SMTP_STARTTLS"))


class Connection:
    """One SMTP session for message after message, opened on first use and again when it broke.

    A session the server dropped while we were not looking (its idle timeout, a
    restart, "421 closing" once it has taken enough messages from one connection) shows
    itself at the next MAIL FROM: nothing of that message has left, so it is sent over
    a new session at once instead of waiting for the job's retry. Any failure later in
    an exchange closes the session (its state is unknown) and raises as before.
    """

    def __init__(self, config):
        self.config = config
        self.settings = settings_of(config)
        self.smtp = None
        self.sessions = 0  # opened so far (the first and every reconnection)
        self.messages = 0  # handed over through this object

    @property
    def is_open(self):
        return self.smtp is not None

    def send(self, message, recipient, commit_point):
        try:
            return self._send(message.as_bytes(policy=message.policy.clone(linesep="\r\n")), recipient, commit_point)
        except BaseException:
            # Whatever broke the exchange (a refusal, a lost line, the job's time limit in
            # the middle of the data), the session's state is unknown: the next message
            # gets a new one.
            self.close()
            raise

    def _send(self, payload, recipient, commit_point):
        try:
            self._envelope(recipient)
        except (smtplib.SMTPException, OSError) as exc:
            raise NotSent(f"{type(exc).__name__}: {exc}") from exc
        if not commit_point():
            self._reset()
            return False
        smtp = self.smtp
        smtp.data_sent = False
        try:
            code, reply = smtp.data(payload)
        except smtplib.SMTPDataError as exc:  # the server said no to DATA itself
            raise NotSent(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            if smtp.data_sent:
                raise Uncertain(f"{type(exc).__name__} after the end of data: {exc}") from exc
            raise NotSent(f"{type(exc).__name__}: {exc}") from exc
        if code != 250:
            raise NotSent(f"{code} {reply!r}")
        self.messages += 1
        return True

    def _envelope(self, recipient):
        """MAIL FROM and RCPT TO; over a new session if the kept one turns out to be dropped."""
        if self.smtp is None:
            self._open()
            self._mail_and_rcpt(recipient)
            return
        try:
            self._mail_and_rcpt(recipient)
        except _Dropped:
            self.close()
            self._open()
            self._mail_and_rcpt(recipient)

    def _mail_and_rcpt(self, recipient):
        sender = envelope_sender(self.config)
        try:
            code, reply = self.smtp.mail(sender, ["SMTPUTF8"] if _needs_smtputf8(recipient) else [])
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise _Dropped(str(exc)) from exc
        if code == 421:  # RFC 5321: the service is closing this channel
            raise _Dropped(f"{code} {reply!r}")
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, reply, sender)
        code, reply = self.smtp.rcpt(recipient)
        if code not in (250, 251):
            raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})

    def _open(self):
        self.smtp = _open(self.config)
        self.sessions += 1

    def _reset(self):
        """Back to a clean session after a transaction that did not end in a sent message."""
        try:
            self.smtp.rset()
        except (smtplib.SMTPException, OSError):
            self.close()

    def close(self):
        smtp, self.smtp = self.smtp, None
        if smtp is not None:
            _quietly(smtp.quit)
            smtp.close()

    def forget(self):
        """Let go of the session without a word: it belongs to another process (a fork's parent)."""
        self.smtp = None


def _open(config):
    smtp = _SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=SMTP_TIMEOUT)
    try:
        smtp.ehlo()
        if config.get("SMTP_STARTTLS"):
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if config.get("SMTP_USER"):
            smtp.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


class _Dropped(smtplib.SMTPServerDisconnected):
    """A kept session that the server closed before this message's MAIL FROM."""


def _needs_smtputf8(address):
    return not address.isascii()


def _quietly(call):
    try:
        call()
    except (smtplib.SMTPException, OSError):
        pass


def maildir():
    path = Path(current_app.config["MAILDIR"])
    path.parent.mkdir(parents=True, exist_ok=True)
    return mailbox.Maildir(str(path), create=True)


def _deliver_maildir(message, commit_point):
    box = maildir()
    if not commit_point():
        return False
    try:
        box.add(message)  # written under tmp/, then renamed into new/: all or nothing
    except OSError as exc:
        raise NotSent(f"{type(exc).__name__}: {exc}") from exc
    return True
