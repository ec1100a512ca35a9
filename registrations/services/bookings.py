"""Booking seats, waitlists and promotion: the rules of docs/booking-rules.md.

Every function takes plain values, works under the locks of services/locks.py,
flushes, and records an outbox message for each change in the same transaction.
The caller commits.
"""
import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app.database import db, now_utc
from app.errors import DomainError, Invalid, NotFound, N_
from app.outbox import emit
from events.models import ProgrammeSession
from registrations.models import CANCELLED, CONFIRMED, WAITLISTED, Booking, Pass
from registrations.services.locks import (
    MAX_ID, fresh_booking, lock_pass, lock_pass_for_booking, lock_session, lock_sessions,
)
from registrations.services.seats import ensure_seats_allowed, seats_for, seats_free

SESSION_CANCELLED = "cancelled"
BY_VISITOR, BY_ORGANISER, BY_SESSION = "visitor", "organiser", "session"


# --- reads -------------------------------------------------------------------


def _clash(pass_id, session, exclude_booking_id=None):
    """SELECT the earliest other session, overlapping this one, where the pass holds confirmed seats."""
    query = _clash_of(pass_id, session.id, session.starts_at, session.ends_at)
    if exclude_booking_id is not None:
        query = query.where(Booking.id != exclude_booking_id)
    return query


def _clash_of(pass_id, session_id, starts_at, ends_at):
    return (
        sa.select(ProgrammeSession.id)
        .join(Booking, Booking.session_id == ProgrammeSession.id)
        .where(
            Booking.pass_id == pass_id,
            Booking.status == CONFIRMED,
            Booking.session_id != session_id,
            ProgrammeSession.status != SESSION_CANCELLED,
            ProgrammeSession.starts_at < ends_at,
            ProgrammeSession.ends_at > starts_at,
        )
        .order_by(ProgrammeSession.starts_at, ProgrammeSession.id)
        .limit(1)
    )


def clashing_session_id(pass_id, session, exclude_booking_id=None):
    """The earliest other session, overlapping this one, where the pass holds confirmed seats."""
    return db.session.scalar(_clash(pass_id, session, exclude_booking_id))


def _live(pass_id, session_id):
    return sa.select(Booking.id).where(
        Booking.pass_id == pass_id, Booking.session_id == session_id, Booking.status != CANCELLED
    )


# Built once with bound parameters: a booking in a rush runs these, and building a statement
# costs more CPU than sending it (SQLAlchemy caches the compiled SQL, not the expression).
_p = sa.bindparam
_LIVE_AND_CLASH = sa.select(
    _live(_p("pass_id"), _p("session_id")).scalar_subquery(),
    _clash_of(_p("pass_id"), _p("session_id"), _p("starts_at"), _p("ends_at")).scalar_subquery(),
)


def _live_and_clash(pass_id, session):
    """(the pass's live booking of this session, the session its confirmed seats clash with): one round trip."""
    return db.session.execute(_LIVE_AND_CLASH, {
        "pass_id": pass_id, "session_id": session.id, "starts_at": session.starts_at, "ends_at": session.ends_at,
    }).one()


def _waitlist_order():
    return (Booking.queued_at, Booking.id)


_WITH_HOLDERS = selectinload(Booking.pass_).selectinload(Pass.party)


def waitlist(session_id):
    """The waitlisted bookings of a session in arrival order (position = index + 1), with their holders."""
    return list(
        db.session.scalars(
            sa.select(Booking)
            .where(Booking.session_id == session_id, Booking.status == WAITLISTED)
            .options(_WITH_HOLDERS)
            .order_by(*_waitlist_order())
        )
    )


_AHEAD = (
    sa.select(sa.func.count())
    .select_from(Booking)
    .where(
        Booking.session_id == _p("session_id"),
        Booking.status == WAITLISTED,
        sa.or_(
            Booking.queued_at < _p("queued_at"),
            sa.and_(Booking.queued_at == _p("queued_at"), Booking.id < _p("booking_id")),
        ),
    )
)


def waitlist_position(booking):
    """Counted, never stored: 1 + the waitlisted bookings that arrived before this one."""
    if booking.status != WAITLISTED:
        return None
    params = {"session_id": booking.session_id, "queued_at": booking.queued_at, "booking_id": booking.id}
    return db.session.scalar(_AHEAD, params) + 1


def session_bookings(session_id):
    """(confirmed in order of confirmation, waitlisted in arrival order) of one session."""
    confirmed = list(
        db.session.scalars(
            sa.select(Booking)
            .where(Booking.session_id == session_id, Booking.status == CONFIRMED)
            .options(_WITH_HOLDERS)
            .order_by(Booking.confirmed_at, Booking.id)
        )
    )
    return confirmed, waitlist(session_id)


_SESSION_WITH_FESTIVAL = (
    sa.select(ProgrammeSession).options(joinedload(ProgrammeSession.festival)).where(ProgrammeSession.id == _p("id"))
)


def find_session(session_id):
    """A programme session by id with its festival (no lock); 404 `not_found` otherwise."""
    session = None
    if 0 < session_id <= MAX_ID:
        session = db.session.scalars(_SESSION_WITH_FESTIVAL, {"id": session_id}).unique().one_or_none()
    return _found(session)


def _found(session):
    if session is None:
        raise NotFound("session", N_("No such session."))
    return session


def festival_id_of_booking(booking_id):
    """For the organiser API: which festival a booking belongs to (None when unknown)."""
    if not 0 < booking_id <= MAX_ID:
        return None
    return db.session.scalar(
        sa.select(ProgrammeSession.festival_id)
        .join(Booking, Booking.session_id == ProgrammeSession.id)
        .where(Booking.id == booking_id)
    )


# --- rules -------------------------------------------------------------------


def _has_started(session, now):
    return session.starts_at <= now


def _ensure_bookable(pass_, session, now, field="session_id"):
    """The rules a session must meet to take this pass's booking (409/422 with a code)."""
    if session.festival_id != pass_.festival_id:
        raise Invalid(field, N_("This session belongs to another festival."), code="wrong_festival")
    if session.capacity is None:
        raise DomainError(
            "no_booking_needed", N_("This session is open to all: just come along, no booking is needed."), field=field, status=409
        )
    if session.status == SESSION_CANCELLED or _has_started(session, now):
        raise DomainError("closed", N_("This session has started or is cancelled: it takes no more bookings."), status=409)


def _ensure_no_clash(pass_id, session, exclude_booking_id=None):
    _refuse_clash(clashing_session_id(pass_id, session, exclude_booking_id))


def _refuse_clash(other):
    if other is not None:
        titles = db.session.get(ProgrammeSession, other)
        raise DomainError(
            "clash", N_("You already hold a seat in “%(title)s” at the same time."), status=409, session_id=other,
            params={"title": {"th": titles.title_th, "en": titles.title_en} if titles is not None else ""},
        )


def _refuse_second_booking(existing_id, message=N_("You have booked this session already.")):
    if existing_id is not None:
        raise DomainError("already_booked", message, status=409, booking_id=existing_id)


def _event(topic, booking, session, **extra):
    emit(
        topic,
        booking_id=booking.id,
        pass_id=booking.pass_id,
        session_id=booking.session_id,
        festival_id=session.festival_id,
        **extra,
    )


def _seat(booking, session, now):
    """Confirm a booking that no counter holds yet."""
    booking.status = CONFIRMED
    booking.confirmed_at = now
    session.seats_confirmed += booking.seats


def _queue(booking, session):
    """Waitlist a booking that no counter holds yet."""
    booking.status = WAITLISTED
    session.waitlist_length += 1


def _release(booking, session):
    """Take a live booking out of its session's counters (the caller sets what it becomes)."""
    if booking.status == CONFIRMED:
        session.seats_confirmed -= booking.seats
    elif booking.status == WAITLISTED:
        session.waitlist_length -= 1


def cancel_locked(booking, session, by, now):
    """Cancel a live booking; the caller holds its session's lock and promotes afterwards."""
    _release(booking, session)
    booking.status = CANCELLED
    booking.cancelled_at = now
    booking.cancelled_by = by
    db.session.flush()
    _event("booking.cancelled", booking, session, cancelled_by=by)


def promote_waitlist(session, now=None):
    """Give free seats to the waitlist: arrival order, skipping a party that does not fit
    ("first that fits"), one whose pass holds a seat at the same time elsewhere, and one
    that asks for more seats than its party has people the session is for (its age groups
    or party may have changed since it queued). The caller holds the session's lock."""
    now = now or now_utc()
    if session.capacity is None or session.status == SESSION_CANCELLED or _has_started(session, now):
        return []
    promoted = []
    free = seats_free(session)
    if free <= 0 or session.waitlist_length == 0:  # the counter is exact under the lock: nobody waits
        return promoted
    candidates = db.session.scalars(
        sa.select(Booking)
        .where(Booking.session_id == session.id, Booking.status == WAITLISTED, Booking.seats <= free)
        .options(_WITH_HOLDERS)
        .order_by(*_waitlist_order())
    ).all()
    for booking in candidates:
        if booking.seats > free:
            continue
        if booking.seats > seats_for(booking.pass_, session):
            continue
        if clashing_session_id(booking.pass_id, session) is not None:
            continue
        _release(booking, session)
        _seat(booking, session, now)
        booking.promoted_at = now
        db.session.flush()
        _event("booking.promoted", booking, session)
        promoted.append(booking)
        free -= booking.seats
        if free == 0:
            break
    return promoted


# --- visitor -------------------------------------------------------------------


def book(pass_id, session_id, seats=None, now=None):
    """Book seats in a session for a pass: confirmed if they fit, else waitlisted."""
    return _book(*lock_pass_for_booking(session_id, pass_id=pass_id), seats, now)


def book_with_manage_token(token, session_id, seats=None, now=None):
    """The same for the pass behind a manage link (404 otherwise)."""
    return _book(*lock_pass_for_booking(session_id, token=token), seats, now)


def _book(pass_, session, seats, now):
    """`pass_` locked, with its party; `session` read with it (None: there is none)."""
    if not pass_.is_active:
        raise DomainError("pass_cancelled", N_("This pass is cancelled."), status=409)
    # What concerns only this pass is checked under the pass's lock; the session's lock
    # is taken last and held for as short a time as possible.
    session = _found(session)
    _ensure_bookable(pass_, session, now or now_utc())
    party_size = pass_.party_size
    if seats is None:
        seats = seats_for(pass_, session)  # by default: the people of the party whom the session is for
    elif not 1 <= seats <= party_size:
        raise Invalid("seats", N_("Seats must be between 1 and your party's size (%(n)s)."),
                      params={"n": party_size}, code="invalid_seats")
    ensure_seats_allowed(pass_, session, seats)
    existing_id, clashing_id = _live_and_clash(pass_.id, session)
    _refuse_second_booking(existing_id)
    _refuse_clash(clashing_id)
    festival = session.festival
    session = lock_session(session.id)
    # The lock reloads the row's columns only: the festival read with it stays attached, so that
    # the booking can be answered from this transaction (app code dumps booking.session.festival).
    set_committed_value(session, "festival", festival)
    now = now or now_utc()  # read under the lock: arrival order is lock order
    _ensure_bookable(pass_, session, now)  # again: cancelled or changed in the meantime?
    ensure_seats_allowed(pass_, session, seats)  # again: its age groups may have changed
    if seats > session.capacity:
        # It could never be seated: better to say so than to wait for ever.
        raise DomainError(
            "exceeds_capacity", N_("This session has %(n)s seats in all: book fewer seats."), params={"n": session.capacity},
            field="seats", status=409, capacity=session.capacity,
        )
    # Seats freed where no promotion has run yet (a capacity raised in the programme is
    # promoted by a worker, later) go to the waitlist before a newcomer can take them.
    promote_waitlist(session, now)
    booking = Booking(pass_id=pass_.id, session_id=session.id, session=session, seats=seats, queued_at=now)
    if seats <= seats_free(session):
        _seat(booking, session, now)
    else:
        _queue(booking, session)
    db.session.add(booking)
    db.session.flush()
    _event("booking.confirmed" if booking.status == CONFIRMED else "booking.waitlisted", booking, session)
    return booking


def booking_of_pass(pass_id, booking_id):
    """One of this pass's bookings, or 404 (another pass's booking is not found either)."""
    booking = db.session.get(Booking, booking_id) if 0 < booking_id <= MAX_ID else None
    if booking is None or booking.pass_id != pass_id:
        raise NotFound("booking", N_("This pass has no such booking."))
    return booking


def cancel_booking(pass_id, booking_id, now=None):
    """A visitor cancels one of their bookings; freed seats go to the waitlist at once."""
    lock_pass(pass_id)
    booking = booking_of_pass(pass_id, booking_id)
    session = lock_session(booking.session_id)
    booking = fresh_booking(booking_id)
    now = now or now_utc()
    if booking.status == CANCELLED:
        return booking  # cancelling twice changes nothing
    if _has_started(session, now) and session.status != SESSION_CANCELLED:
        raise DomainError("closed", N_("This session has started: its booking can no longer be cancelled."), status=409)
    cancel_locked(booking, session, BY_VISITOR, now)
    promote_waitlist(session, now)
    return booking


# --- organisers ------------------------------------------------------------------


def _booking_under_locks(booking_id, extra_session_ids=()):
    """Lock a booking's pass and sessions (in the house order) and read the booking fresh."""
    pass_id = None
    if 0 < booking_id <= MAX_ID:
        pass_id = db.session.scalar(sa.select(Booking.pass_id).where(Booking.id == booking_id))
    if pass_id is None:
        raise NotFound("booking", N_("No such booking."))
    pass_ = lock_pass(pass_id)
    session_id = db.session.scalar(sa.select(Booking.session_id).where(Booking.id == booking_id))
    sessions = lock_sessions([session_id, *extra_session_ids])
    return pass_, fresh_booking(booking_id), sessions


def cancel_booking_by_organiser(booking_id, now=None):
    _pass, booking, sessions = _booking_under_locks(booking_id)
    now = now or now_utc()
    if booking.status == CANCELLED:
        return booking
    session = sessions[booking.session_id]
    cancel_locked(booking, session, BY_ORGANISER, now)
    promote_waitlist(session, now)
    return booking


def move_booking(booking_id, session_id, now=None):
    """Move a booking to another session of the festival: it must fit there, and not clash.
    A move never lands on a waitlist: a full target answers 409 `full`."""
    pass_, booking, sessions = _booking_under_locks(booking_id, [session_id])
    now = now or now_utc()
    if booking.status == CANCELLED:
        raise DomainError("booking_cancelled", N_("This booking is cancelled."), status=409)
    if booking.session_id == session_id:
        raise Invalid("session_id", N_("The booking is in this session already."), code="same_session")
    source, target = sessions[booking.session_id], sessions[session_id]
    _ensure_bookable(pass_, target, now)
    _refuse_second_booking(db.session.scalar(_live(pass_.id, target.id)), N_("This pass has booked that session already."))
    _ensure_no_clash(pass_.id, target, exclude_booking_id=booking.id)
    ensure_seats_allowed(pass_, target, booking.seats)
    if booking.seats > seats_free(target):
        raise DomainError(
            "full", N_("That session has not enough free seats."), status=409, seats_left=max(0, seats_free(target))
        )
    _release(booking, source)
    booking.session = target
    booking.queued_at = now
    _seat(booking, target, now)
    db.session.flush()
    _event("booking.confirmed", booking, target, moved_from_session_id=source.id)
    promote_waitlist(source, now)
    return booking


def set_capacity(session_id, capacity, now=None):
    """Raise or lower a session's seats. Raising promotes from the waitlist at once;
    lowering below the confirmed seats keeps every confirmation and takes no new ones."""
    now = now or now_utc()
    if capacity is None or capacity < 0:
        raise Invalid("capacity", N_("Capacity must be 0 or more."))
    session = lock_session(session_id, field=None)
    session.capacity = capacity
    db.session.flush()
    promoted = promote_waitlist(session, now)
    if session.festival.is_published:
        emit("programme.changed", festival_id=session.festival_id)
    return session, promoted


def cancel_session_bookings(session_id, now=None):
    """Every live booking of a session becomes cancelled (by "session"), one message each.
    For the `session.cancelled` job: safe to run twice, quiet when the session is gone."""
    now = now or now_utc()
    try:
        session = lock_session(session_id, field=None)
    except NotFound:
        return []
    live = db.session.scalars(
        sa.select(Booking)
        .where(Booking.session_id == session_id, Booking.status != CANCELLED)
        .order_by(Booking.id)
    ).all()
    for booking in live:
        cancel_locked(booking, session, BY_SESSION, now)
    return live
