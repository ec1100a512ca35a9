"""session.cancelled: registrations cancel the bookings, then every holder is told once."""
import sqlalchemy as sa

from app.database import db
from events.models import ProgrammeSession
from registrations.models import CANCELLED, Booking
from registrations.services import cancel_session_bookings
from registrations.services.bookings import BY_SESSION
from workers.mail.jobs import SESSION_CANCELLED, fan_out


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
