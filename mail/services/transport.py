"""Getting a message out: SMTP from the environment, or a Maildir under instance/ without SMTP_HOST.

deliver() calls `commit_point()` at the last moment before the message can
reach the server (after MAIL FROM and RCPT TO were accepted, before DATA): the
ledger moves its claim to `sending` there and answers False if the claim was
taken over, in which case nothing is sent.

It raises NotSent when the message certainly did not reach the server (refused,
connection lost before the end of the data, or a non-250 answer to the data),
and Uncertain when the connection failed after the whole message went out but
before the server's answer came back.
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


def deliver(message, recipient, commit_point):
    """Send `message` (an EmailMessage) to `recipient`; False when commit_point() refused."""
    if uses_smtp():
        return _deliver_smtp(message, recipient, commit_point)
    return _deliver_maildir(message, commit_point)


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


def _deliver_smtp(message, recipient, commit_point):
    config = current_app.config
    payload = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    try:
        smtp = _open(config)
    except (smtplib.SMTPException, OSError) as exc:
        raise NotSent(f"{type(exc).__name__}: {exc}") from exc
    try:
        try:
            code, reply = smtp.mail(envelope_sender(config), ["SMTPUTF8"] if _needs_smtputf8(recipient) else [])
            if code != 250:
                raise smtplib.SMTPSenderRefused(code, reply, envelope_sender(config))
            code, reply = smtp.rcpt(recipient)
            if code not in (250, 251):
                raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
        except (smtplib.SMTPException, OSError) as exc:
            raise NotSent(f"{type(exc).__name__}: {exc}") from exc
        if not commit_point():
            _quietly(smtp.rset)
            return False
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
        return True
    finally:
        _quietly(smtp.quit)
        smtp.close()


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
