"""Exactly once, or visibly not: every mail is claimed in the database before it is sent.

The SentMessage row for a key ("pass.created:42") moves claimed -> sending -> sent.

* claimed: ours to send, nothing has left. A job that finds someone else's claim
  takes it over with a new token (the old holder is dead, or it will find its
  token gone at the commit point and stand down), so a worker killed before the
  commit point delays the mail and loses nothing.
* sending: committed just before the DATA command (transport.deliver's
  commit_point), and only by the holder of the current token. From here on the
  message may be on its way, so no job ever sends this key again.
* sent: the server answered 250 to the data.
* refused: the server certainly did not take it (connection refused, 4xx/5xx,
  the connection lost before the end of the data); the next attempt claims again.

The choice: at-most-once in one narrow window. A worker killed between the
`sending` commit and the `sent` commit (while the data is on the wire) leaves the
row `sending`; we cannot know whether the server took the message, and sending
it again could send it twice, so we do not. /admin/jobs lists these rows.
"""
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from email.utils import make_msgid

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.database import db, now_utc
from mail.services import batch, transport
from mail.models import CLAIMED, REFUSED, SENDING, SENT, SentMessage

log = logging.getLogger(__name__)

# Longer than any SMTP exchange (transport.SMTP_TIMEOUT): a `sending` row older than this is stuck.
UNCERTAIN_AFTER = timedelta(minutes=2)


@dataclass(frozen=True)
class Claim:
    key: str
    token: str
    message_id: str


def _token():
    return uuid.uuid4().hex


def _commit_keeping_what_is_loaded():
    """Commit, leaving the session's objects loaded: the letter is written right after the claim
    from the pass the job has just read, and a commit that expired it would read the pass, its
    festival, bookings and party again (four round trips a mail, for nothing new)."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def claim(key, kind, pass_id, domain):
    """Claim a key for sending; None when it is sent, or may have been (sending)."""
    token = _token()
    message_id = make_msgid(idstring=kind.replace(".", "-"), domain=domain)
    now = now_utc()
    try:
        db.session.execute(sa.insert(SentMessage).values(
            key=key, kind=kind, pass_id=pass_id, status=CLAIMED, claim_token=token, message_id=message_id,
            attempts=1, claimed_at=now, created_at=now,
        ))
        _commit_keeping_what_is_loaded()
        return Claim(key, token, message_id)
    except IntegrityError:
        db.session.rollback()
    existing = db.session.execute(
        sa.select(SentMessage.status, SentMessage.claim_token, SentMessage.message_id).where(SentMessage.key == key)
    ).one()
    if existing.status in (SENT, SENDING):
        return None
    result = db.session.execute(
        sa.update(SentMessage)
        .where(
            SentMessage.key == key,
            SentMessage.claim_token == existing.claim_token,
            SentMessage.status.in_((CLAIMED, REFUSED)),
        )
        .values(status=CLAIMED, claim_token=token, claimed_at=now_utc(), attempts=SentMessage.attempts + 1)
    )
    _commit_keeping_what_is_loaded()
    if result.rowcount != 1:
        return None  # another job took it over a moment ago; that one sends
    return Claim(key, token, existing.message_id)


def _move(claim_, from_status, **values):
    result = db.session.execute(
        sa.update(SentMessage)
        .where(SentMessage.key == claim_.key, SentMessage.claim_token == claim_.token, SentMessage.status == from_status)
        .values(**values)
    )
    db.session.commit()
    return result.rowcount == 1


def commit_point(claim_):
    """The point of no return, taken only by the holder of the current claim."""
    return _move(claim_, CLAIMED, status=SENDING)


def mark_sent(claim_):
    _move(claim_, SENDING, status=SENT, sent_at=now_utc(), last_error=None)


def release(claim_, error, only_if_claimed=False):
    """Not sent, for certain: the next attempt may claim the key again."""
    db.session.rollback()
    allowed = (CLAIMED,) if only_if_claimed else (CLAIMED, SENDING)
    db.session.execute(
        sa.update(SentMessage)
        .where(SentMessage.key == claim_.key, SentMessage.claim_token == claim_.token, SentMessage.status.in_(allowed))
        .values(status=REFUSED, last_error=str(error)[:2000])
    )
    db.session.commit()


def note_uncertain(claim_, error):
    db.session.rollback()
    db.session.execute(
        sa.update(SentMessage)
        .where(SentMessage.key == claim_.key, SentMessage.claim_token == claim_.token)
        .values(last_error=f"uncertain: {error}"[:2000])
    )
    db.session.commit()


def send_once(key, kind, pass_id, recipient, build, domain):
    """Build and send one mail for this key, unless it was sent (or may have been) before.

    `build(message_id)` returns the EmailMessage. Returns True when this call sent
    it. Raises transport.NotSent (after releasing the claim) so that RQ retries.
    """
    claim_ = claim(key, kind, pass_id, domain)
    if claim_ is None:
        return False
    try:
        message = build(claim_.message_id)
        # Over the batch's kept connection: the claim, the commit point and the mark stay per mail.
        delivered = transport.deliver(message, recipient, lambda: commit_point(claim_), batch.connection())
    except transport.NotSent as exc:
        release(claim_, exc)
        raise
    except transport.Uncertain as exc:
        log.error("mail %s: %s; not sent again (it may have arrived)", key, exc)
        note_uncertain(claim_, exc)
        return False
    except BaseException as exc:
        # Anything else (a bug, the job's time limit): safe to retry only if the
        # commit point was not passed; after it the row stays `sending`.
        release(claim_, f"{type(exc).__name__}: {exc}", only_if_claimed=True)
        raise
    if delivered:
        mark_sent(claim_)
    return delivered


def uncertain(limit=50, settled=UNCERTAIN_AFTER):
    """Mails that may or may not have left (a worker died while sending), newest first."""
    return list(
        db.session.scalars(
            sa.select(SentMessage)
            .where(SentMessage.status == SENDING, SentMessage.claimed_at < now_utc() - settled)
            .order_by(SentMessage.claimed_at.desc())
            .limit(limit)
        )
    )
