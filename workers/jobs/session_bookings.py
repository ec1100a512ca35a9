"""Session jobs: cancelled sessions cancel their bookings; raised capacity goes to the waitlist."""
import sqlalchemy as sa

from app.database import db
from events.models import ProgrammeSession
from registrations.models import CANCELLED, Booking
from registrations.services import cancel_session_bookings
from registrations.services.bookings import BY_SESSION
from registrations.services.bookings import promote_waitlist as promote_in_order
from registrations.services.locks import lock_session
from workers.jobs.mail import SESSION_CANCELLED, fan_out


def cancel_bookings_and_notify(session_id, message_id):
    session = db.session.get(ProgrammeSession, session_id)
    if session is None or session.status != "cancelled":
        return 0  # gone, or un-cancelled since: nothing to undo
    cancel_session_bookings(session_id)
    db.session.commit()  # the bookings' own messages go out with this commit
    cancelled = db.session.scalars(
        sa.select(Booking.id).where(
            Booking.session_id == session_id, Booking.status == CANCELLED, Booking.cancelled_by == BY_SESSION
        )
    ).all()
    return fan_out(SESSION_CANCELLED, cancelled, message_id)


def promote_waitlist(session_id):
    """session.capacity_changed (an organiser edited the programme): seats freed go to the waitlist
    in the usual order. Safe to run twice: a second run finds no seat to give."""
    session = db.session.get(ProgrammeSession, session_id)
    if session is None or session.status == "cancelled" or session.capacity is None:
        return 0
    session = lock_session(session_id, field=None)
    promoted = promote_in_order(session)
    db.session.commit()  # each promotion's booking.promoted message goes out with this commit
    return len(promoted or [])
