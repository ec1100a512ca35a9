"""Each change and its outbox message commit together or not at all."""
import sqlalchemy as sa

from app.database import db
from app.outbox import OutboxMessage, messages
from registrations import services
from registrations.models import Booking, Pass
from tests.registrations.conftest import session_counters


def _count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_rolled_back_booking_leaves_no_message_and_no_seat(app, sign_up, workshop):
    session_id = workshop(capacity=1)
    visitor = sign_up()
    with app.app_context():
        before = _count(OutboxMessage)
        booking = services.book(visitor["id"], session_id)
        assert booking.status == "confirmed" and len(messages("booking.confirmed")) == 1  # inside the transaction
        db.session.rollback()
        assert _count(OutboxMessage) == before and _count(Booking) == 0
        db.session.remove()
    assert session_counters(app, session_id) == (0, 0)


def test_a_rolled_back_sign_up_leaves_no_pass_and_no_message(app, festival):
    with app.app_context():
        result = services.sign_up(festival.slug, name="Tan", email="tan@example.org", age_group="adult", consent=True)
        assert result.created and messages("pass.created")
        db.session.rollback()
        assert _count(Pass) == 0 and _count(OutboxMessage) == 0


def test_a_refused_booking_leaves_nothing_behind(app, client, sign_up, book, workshop):
    session_id = workshop(capacity=1)
    visitor = sign_up()
    assert book(visitor, session_id).status_code == 201
    with app.app_context():
        before = [(m.topic, m.payload) for m in messages()]
    assert book(visitor, session_id).status_code == 409  # already_booked
    assert book(visitor, session_id, seats=5).status_code == 422
    with app.app_context():
        assert [(m.topic, m.payload) for m in messages()] == before
        assert _count(Booking) == 1
    assert session_counters(app, session_id) == (1, 0)


def test_promotion_messages_commit_with_the_cancellation(app, sign_up, book, workshop):
    session_id = workshop(capacity=1)
    holder, waiting = sign_up(), sign_up()
    held = book(holder, session_id).get_json()
    book(waiting, session_id)
    with app.app_context():
        services.cancel_booking(holder["id"], held["id"])
        assert len(messages("booking.promoted")) == 1
        db.session.rollback()
        assert messages("booking.promoted") == [] and messages("booking.cancelled") == []
        db.session.remove()
    assert session_counters(app, session_id) == (1, 1)
