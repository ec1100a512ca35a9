"""Personal data of passes (Thailand's PDPA): deleted at the visitor's request, purged after retention.

Anonymising a pass empties what names a person (holder's name, email, phone,
party members' names) and makes its secret links unusable, and keeps what the
reports count: the age groups, the party size, the bookings of sessions held,
the scans (pass id, party size snapshot, result) and the consent record
(version, language, time and text hash: a proof that consent was given, which
names no one). See docs/privacy.md.

Plain values in; they flush; the caller commits (the purge may commit batch by batch).
"""
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from app import personal_data
from app.database import db, now_utc
from events.models import Festival
from registrations.models import CANCELLED, PASS_ACTIVE, PASS_ANONYMISED, Booking, Pass
from registrations.services.bookings import BY_VISITOR, SESSION_CANCELLED, cancel_locked, promote_waitlist
from registrations.services.locks import lock_pass, lock_sessions
from registrations.services.passes import bookings_of, new_token, token_hash

PURGE_BATCH = 500


@dataclass
class Deletion:
    pass_: Pass
    cancelled_bookings: list = field(default_factory=list)
    promoted_bookings: list = field(default_factory=list)
    already: bool = False  # the pass was anonymised before this call


@dataclass
class FestivalPurge:
    festival_id: int
    slug: str
    ends_on: object
    passes: int  # anonymised by this run (a dry run: those it would anonymise)


@dataclass
class Purge:
    cutoff: object  # festivals that ended before this day are purged
    dry_run: bool
    festivals: list = field(default_factory=list)

    @property
    def passes(self):
        return sum(f.passes for f in self.festivals)


def deleted_email(pass_id):
    """Unique per festival (the constraint on passes), deliverable nowhere (RFC 6761 `.invalid`)."""
    return f"deleted-{pass_id}@invalid"


def identity_of(pass_):
    return personal_data.Identity(
        pass_id=pass_.id,
        festival_id=pass_.festival_id,
        email=pass_.email,
        names=(pass_.name, *(member.name for member in pass_.party)),
        phone=pass_.phone or "",
    )


def _unusable():
    """A (token, hash) pair that no one can present: the hash is of another random value."""
    return new_token(), token_hash(new_token())


def anonymise(pass_, now):
    """Empty what names a person; keep what counts. Returns who the pass named before."""
    identity = identity_of(pass_)
    pass_.name = ""
    pass_.email = deleted_email(pass_.id)
    pass_.phone = ""
    for member in pass_.party:
        member.name = ""
    pass_.manage_token, pass_.manage_token_hash = _unusable()
    pass_.feed_token, pass_.feed_token_hash = _unusable()
    if pass_.status == PASS_ACTIVE:
        # It admits no one any more (its QR scans as `cancelled`), yet it is no cancellation:
        # reports still count it as the sign-up it was.
        pass_.status = PASS_ANONYMISED
    pass_.anonymised_at = now
    return identity


def _upcoming(booking, session, now):
    """A live booking whose seat can still go to someone else (cancel_booking's own rule)."""
    return booking.status != CANCELLED and (session.starts_at > now or session.status == SESSION_CANCELLED)


def bookings_to_cancel(pass_id, now=None):
    """The live bookings a deletion would cancel now (for the confirm page)."""
    now = now or now_utc()
    return [b for b in bookings_of(pass_id) if _upcoming(b, b.session, now)]


def delete_personal_data(pass_id, now=None):
    """The visitor deletes their pass: live bookings of sessions still to come are cancelled
    (their seats go to the waitlists, with the usual messages), then the pass is anonymised
    and every package scrubs its copies. Bookings of sessions that have started stay as
    history (they name no one), so the figures of what happened do not change.
    Deleting twice changes nothing."""
    now = now or now_utc()
    pass_ = lock_pass(pass_id)
    if pass_.anonymised_at is not None:
        return Deletion(pass_, already=True)
    session_ids = db.session.scalars(
        sa.select(Booking.session_id).where(Booking.pass_id == pass_id, Booking.status != CANCELLED)
    ).all()
    sessions = lock_sessions(session_ids)  # the house lock order: the pass, then sessions by id
    cancelled = []
    for session_id, session in sessions.items():
        booking = db.session.scalar(
            sa.select(Booking)
            .where(Booking.pass_id == pass_id, Booking.session_id == session_id, Booking.status != CANCELLED)
            .execution_options(populate_existing=True)
        )
        if booking is not None and _upcoming(booking, session, now):
            cancel_locked(booking, session, BY_VISITOR, now)
            cancelled.append(booking)
    promoted = []
    for session in sessions.values():
        promoted += promote_waitlist(session, now)
    identity = anonymise(pass_, now)
    db.session.flush()
    personal_data.erase([identity])
    return Deletion(pass_, cancelled, promoted)


# --- retention purge ------------------------------------------------------------------


def retention_cutoff(today, retention_days=None):
    """Festivals that ended before this day are past retention (ended more than N days ago)."""
    if retention_days is None:
        retention_days = current_app.config["PERSONAL_DATA_RETENTION_DAYS"]
    if retention_days < 0:
        raise ValueError("PERSONAL_DATA_RETENTION_DAYS must be 0 or more")
    return today - timedelta(days=retention_days)


def _pending(festival_id):
    return sa.and_(Pass.festival_id == festival_id, Pass.anonymised_at.is_(None))


def expired_festivals(cutoff):
    """(id, slug, ends_on, passes still holding personal data) of festivals past retention."""
    pending = (
        sa.select(Pass.festival_id, sa.func.count(Pass.id).label("passes"))
        .where(Pass.anonymised_at.is_(None))
        .group_by(Pass.festival_id)
        .subquery()
    )
    return db.session.execute(
        sa.select(Festival.id, Festival.slug, Festival.ends_on, pending.c.passes)
        .join(pending, pending.c.festival_id == Festival.id)
        .where(Festival.ends_on < cutoff)
        .order_by(Festival.ends_on, Festival.id)
    ).all()


def purge_batch(festival_id, now, batch_size=PURGE_BATCH):
    """Anonymise up to `batch_size` passes of one festival; returns how many."""
    passes = db.session.scalars(
        sa.select(Pass)
        .where(_pending(festival_id))
        .options(selectinload(Pass.party))
        .order_by(Pass.id)
        .limit(batch_size)
    ).all()
    identities = [anonymise(pass_, now) for pass_ in passes]
    db.session.flush()
    personal_data.erase(identities)
    return len(passes)


def purge_expired_festivals(today, retention_days=None, batch_size=PURGE_BATCH, dry_run=False, commit=None):
    """Anonymise every pass of the festivals that ended more than `retention_days` days before
    `today` (default: PERSONAL_DATA_RETENTION_DAYS). Idempotent: anonymised passes are skipped.
    Works in batches; `commit`, when given, is called after each one, so that a long purge
    keeps its progress and holds its locks briefly. A dry run counts and changes nothing."""
    cutoff = retention_cutoff(today, retention_days)
    result = Purge(cutoff, dry_run)
    now = now_utc()
    for festival_id, slug, ends_on, pending in expired_festivals(cutoff):
        if dry_run:
            result.festivals.append(FestivalPurge(festival_id, slug, ends_on, pending))
            continue
        done = 0
        while True:
            count = purge_batch(festival_id, now, batch_size)
            done += count
            if commit is not None:
                commit()
            if count < batch_size:
                break
        result.festivals.append(FestivalPurge(festival_id, slug, ends_on, done))
    return result
