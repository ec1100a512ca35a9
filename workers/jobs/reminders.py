"""A reminder the day before each booked session, at 18:00 in the festival's zone.

Scheduled in RQ (schedule_once) when a booking is confirmed or promoted, and again when
its session moves. The session's start time is part of the job id and of the
mail key: a move to another time plans a new reminder, and the old one stands
down when it runs (the session no longer starts when it was planned for). An
hourly recurring job re-plans the next two days, in case Redis lost scheduled jobs.
"""
import logging
from datetime import datetime, time, timedelta, timezone

import sqlalchemy as sa

from app.database import db, now_utc
from app.enqueue import retrying, schedule_once
from app.queues import MAIL
from events.models import ProgrammeSession
from registrations.models import CONFIRMED, Booking
from mail.services import content
from mail.services.sending import send
from mail.models import SENT, SentMessage

log = logging.getLogger(__name__)

REMIND_AT = time(18, 0)
REPLAN_AHEAD = timedelta(hours=48)


def remind_at(session):
    """18:00 local time on the day before the session starts (local day)."""
    zone = session.festival.zone
    day_before = session.starts_at.astimezone(zone).date() - timedelta(days=1)
    return datetime.combine(day_before, REMIND_AT, tzinfo=zone)


def _stamp(starts_at):
    return starts_at.astimezone(timezone.utc).strftime("%Y%m%dT%H%MZ")


def reminder_key(booking_id, starts_at):
    return f"reminder:booking:{booking_id}:starts-{_stamp(starts_at)}"


def reminder_job_id(booking_id, starts_at):
    return f"reminder-b{booking_id}-{_stamp(starts_at)}"


def _booked_at(booking):
    return booking.promoted_at or booking.confirmed_at or booking.created_at


def plan(booking, now=None):
    """Schedule the reminder of one confirmed booking; returns when, or None when there is none to send."""
    now = now or now_utc()
    session = booking.session
    if booking.status != CONFIRMED or session.status == "cancelled" or session.starts_at <= now:
        return None
    at = remind_at(session)
    booked_at = _booked_at(booking)
    if booked_at is not None and booked_at >= at:
        return None  # booked after the reminder's hour: the booking mail was the reminder
    run_at = max(at, now)
    schedule_once(
        MAIL,
        run_at,
        send_reminder,
        {"booking_id": booking.id, "starts_at": session.starts_at.isoformat()},
        reminder_job_id(booking.id, session.starts_at),
        **retrying(),
        description=f"reminder for booking {booking.id}",
    )
    return run_at


def plan_for_booking(booking_id):
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        return None
    when = plan(booking)
    return when.isoformat() if when else None


def _confirmed(session_ids=None, starting_before=None, now=None):
    query = (
        sa.select(Booking)
        .join(ProgrammeSession, ProgrammeSession.id == Booking.session_id)
        .where(Booking.status == CONFIRMED, ProgrammeSession.status != "cancelled")
    )
    if session_ids is not None:
        query = query.where(Booking.session_id.in_(session_ids))
    if starting_before is not None:
        query = query.where(ProgrammeSession.starts_at > now, ProgrammeSession.starts_at <= starting_before)
    return list(db.session.scalars(query.order_by(Booking.id)))


def replan_session(session_id):
    """A moved session: each confirmed booking gets a reminder for the new time."""
    return sum(plan(booking) is not None for booking in _confirmed(session_ids=[session_id]))


def replan_upcoming():
    """The recurring safety net: reminders due in the next two days that Redis may have lost."""
    now = now_utc()
    bookings = _confirmed(starting_before=now + REPLAN_AHEAD, now=now)
    keys = {reminder_key(b.id, b.session.starts_at): b for b in bookings}
    sent = set(db.session.scalars(sa.select(SentMessage.key).where(SentMessage.key.in_(keys), SentMessage.status == SENT)))
    return sum(plan(booking, now) is not None for key, booking in keys.items() if key not in sent)


def send_reminder(booking_id, starts_at):
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.status != CONFIRMED or not booking.pass_.is_active:
        return False
    session = booking.session
    planned_for = datetime.fromisoformat(starts_at)
    if session.status == "cancelled" or session.starts_at != planned_for or session.starts_at <= now_utc():
        return False  # cancelled, moved to another time (a newer reminder is planned) or over
    return send(
        reminder_key(booking_id, session.starts_at), "reminder", booking.pass_, lambda locale: content.reminder(booking, locale)
    )
