"""Feed jobs: rebuild what a message changed. `since` lets a burst of messages share one build."""
import sqlalchemy as sa

from app.database import db
from registrations.models import CANCELLED, Booking
from feeds.services import store


def rebuild_festival(festival_id, since=None):
    festival = store.festival_by_id(festival_id)
    if festival is None:
        return []
    if not festival.is_published:
        store.drop_festival_feeds(festival_id)
        db.session.commit()
        return []
    keys = store.build_festival(festival, since=since)
    db.session.commit()
    return keys


def rebuild_agenda(pass_id, since=None):
    pass_ = store.pass_by_id(pass_id)
    if pass_ is None or pass_.anonymised_at is not None:
        return False  # gone, or its personal data deleted: its agenda is no one's any more
    built = store.build_agenda(pass_, since=since)
    db.session.commit()
    return built


def rebuild_session_agendas(session_id, since=None):
    """A moved session: every agenda that holds it (confirmed bookings) is rebuilt."""
    pass_ids = db.session.scalars(
        sa.select(Booking.pass_id).where(Booking.session_id == session_id, Booking.status != CANCELLED).distinct()
    ).all()
    rebuilt = 0
    for pass_id in pass_ids:
        rebuilt += bool(rebuild_agenda(pass_id, since=since))
    return rebuilt


def forget_agendas(festival_id):
    store.forget_agendas(festival_id)
    db.session.commit()
