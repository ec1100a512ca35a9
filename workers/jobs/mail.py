"""Mail jobs: take ids, load, return quietly when the thing is gone or changed, send each mail once."""
import logging
from datetime import timedelta

import sqlalchemy as sa

from app.database import db, now_utc
from app.outbox import OutboxMessage
from app.queues import MAIL
from events.models import ProgrammeSession, Venue
from registrations.models import CANCELLED, CONFIRMED, WAITLISTED, Booking, Pass
from registrations.services import waitlist_position
from workers.dispatch import JobSpec, enqueue
from mail.services import content
from mail.services.sending import send
from mail.models import SENT, SentMessage

log = logging.getLogger(__name__)

# A second sign-up with the same address mails the link; not more often than this.
LINK_MAIL_INTERVAL = timedelta(minutes=10)


# --- passes ---------------------------------------------------------------------


def send_pass_confirmation(pass_id):
    pass_ = db.session.get(Pass, pass_id)
    if pass_ is None or not pass_.is_active:
        return False
    return send(f"pass.created:{pass_id}", "confirmation", pass_, lambda locale: content.confirmation(pass_, locale))


def send_manage_link(pass_id, message_id):
    pass_ = db.session.get(Pass, pass_id)
    if pass_ is None or not pass_.is_active:
        return False
    recent = db.session.scalar(
        sa.select(sa.func.count(SentMessage.id)).where(
            SentMessage.pass_id == pass_id,
            SentMessage.kind == "link",
            SentMessage.status == SENT,
            SentMessage.sent_at > now_utc() - LINK_MAIL_INTERVAL,
        )
    )
    if recent:
        log.info("manage link for pass %s mailed less than %s ago; not again", pass_id, LINK_MAIL_INTERVAL)
        return False
    return send(f"pass.link_requested:{message_id}", "link", pass_, lambda locale: content.manage_link(pass_, locale))


def send_pass_cancelled(pass_id):
    pass_ = db.session.get(Pass, pass_id)
    if pass_ is None or pass_.is_active:
        return False
    return send(f"pass.cancelled:{pass_id}", "notice", pass_, lambda locale: content.pass_cancelled(pass_, locale))


# --- bookings --------------------------------------------------------------------


def _booking(booking_id, *statuses):
    """The booking if it still is in one of these states and its pass is active."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.status not in statuses or not booking.pass_.is_active:
        return None
    return booking


def send_booking_confirmed(booking_id, message_id):
    booking = _booking(booking_id, CONFIRMED)
    if booking is None:
        return False
    key = f"booking.confirmed:{booking_id}:{message_id}"
    return send(key, "notice", booking.pass_, lambda locale: content.booking_confirmed(booking, locale))


def send_booking_waitlisted(booking_id, message_id):
    booking = _booking(booking_id, WAITLISTED)
    if booking is None:
        return False
    position = waitlist_position(booking)
    key = f"booking.waitlisted:{booking_id}:{message_id}"
    return send(key, "notice", booking.pass_, lambda locale: content.booking_waitlisted(booking, locale, position))


def send_booking_promoted(booking_id, message_id):
    booking = _booking(booking_id, CONFIRMED)
    if booking is None:
        return False
    key = f"booking.promoted:{booking_id}:{message_id}"
    return send(key, "notice", booking.pass_, lambda locale: content.booking_promoted(booking, locale))


def send_booking_cancelled(booking_id, message_id):
    """Told once per cause: a cancelled pass and a cancelled session have their own mail."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.status != CANCELLED or booking.cancelled_by == "session":
        return False
    if not booking.pass_.is_active:
        return False
    key = f"booking.cancelled:{booking_id}:{message_id}"
    return send(key, "notice", booking.pass_, lambda locale: content.booking_cancelled(booking, locale))


# --- sessions --------------------------------------------------------------------

SESSION_MOVED = JobSpec(f"{__name__}.send_session_moved", MAIL, ("booking_id",), message_id=True)
SESSION_CANCELLED = JobSpec(f"{__name__}.send_session_cancelled", MAIL, ("booking_id",), message_id=True)


def live_bookings(session_id):
    return db.session.scalars(
        sa.select(Booking.id).where(Booking.session_id == session_id, Booking.status.in_((CONFIRMED, WAITLISTED)))
    ).all()


def fan_out(spec, booking_ids, message_id):
    """One mail job per booking: they retry, and run in parallel, one by one."""
    for booking_id in booking_ids:
        enqueue(
            spec,
            f"m{message_id}-{spec.name}-b{booking_id}",
            {"booking_id": booking_id, "message_id": message_id},
            description=f"{spec.name} booking {booking_id}",
        )
    return len(booking_ids)


def notify_session_moved(session_id, message_id):
    """Every visitor with a live booking (confirmed or waitlisted) hears of the move."""
    if db.session.get(ProgrammeSession, session_id) is None:
        return 0
    return fan_out(SESSION_MOVED, live_bookings(session_id), message_id)


def send_session_moved(booking_id, message_id):
    booking = _booking(booking_id, CONFIRMED, WAITLISTED)
    message = db.session.get(OutboxMessage, message_id)
    if booking is None or booking.session.status == "cancelled":
        return False
    changes = (message.payload.get("changes") if message is not None else None) or {}
    previous_venue = None
    if "venue_id" in changes and changes["venue_id"][0] is not None:
        previous_venue = db.session.get(Venue, changes["venue_id"][0])
    key = f"session.moved:{message_id}:booking:{booking_id}"
    return send(
        key, "notice", booking.pass_, lambda locale: content.session_moved(booking, locale, changes, previous_venue)
    )


def send_session_cancelled(booking_id, message_id):
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.cancelled_by != "session" or not booking.pass_.is_active:
        return False
    key = f"session.cancelled:{booking.session_id}:booking:{booking_id}"
    return send(key, "notice", booking.pass_, lambda locale: content.session_cancelled(booking, locale))
