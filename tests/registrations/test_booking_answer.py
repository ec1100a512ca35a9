"""The answer to a booking is built from what its transaction holds, and is the same answer the
booking gives when read afresh: the same bytes as dumping the stored booking, and the same as its
entry on the pass."""
import json

import pytest
import sqlalchemy as sa
from flask import jsonify

from app import relay
from app.database import db
from registrations.models import Booking
from registrations.schemas import BookingOut

FAMILY = [{"name": "น้องฝน", "age_group": "child"}, {"name": "คุณตา", "age_group": "senior"}]


def stored_answer(app, booking_id):
    """The booking dumped from a session that loads everything afresh (what the answer was made of
    when the booking was reloaded after its commit)."""
    with app.test_request_context():
        body = jsonify(BookingOut().dump(db.session.get(Booking, booking_id))).get_data()
        db.session.remove()
        return body


def test_a_confirmed_and_a_waitlisted_answer_are_the_stored_booking(app, client, sign_up, book, workshop):
    session_id = workshop(capacity=4)
    first, second, third = sign_up(party=FAMILY), sign_up(), sign_up(party=FAMILY)
    answers = [book(first, session_id), book(second, session_id), book(third, session_id)]
    assert [a.status_code for a in answers] == [201, 201, 201]
    bodies = [a.get_json() for a in answers]
    assert [(b["status"], b["waitlist_position"]) for b in bodies] == [
        ("confirmed", None), ("confirmed", None), ("waitlisted", 1),
    ]
    for answer in answers:
        assert answer.get_data() == stored_answer(app, answer.get_json()["id"])
    # The waitlisted one, as the pass shows it later: the same fields, the same values.
    [on_pass] = client.get(f"/api/v1/passes/{third['manage_token']}").get_json()["bookings"]
    assert on_pass == bodies[2]
    assert set(bodies[2]) == {
        "id", "session_id", "pass_id", "seats", "status", "waitlist_position", "queued_at", "confirmed_at",
        "cancelled_at", "cancelled_by", "session",
    }


def test_a_second_waitlisted_booking_answers_its_place_in_the_queue(app, sign_up, book, workshop):
    session_id = workshop(capacity=1)
    assert book(sign_up(), session_id).get_json()["status"] == "confirmed"
    positions = [book(sign_up(), session_id).get_json() for _ in range(3)]
    assert [p["waitlist_position"] for p in positions] == [1, 2, 3]
    for body in positions:
        assert json.loads(stored_answer(app, body["id"])) == body


@pytest.mark.parametrize("status", ["confirmed", "waitlisted"])
def test_after_its_commit_a_booking_reads_nothing_again(app, sign_up, book, workshop, status):
    """Only the relay's mark of the outbox message follows the commit (by the courier, off the
    request): no reload of the booking, its session or its festival, and no count of the queue."""
    session_id = workshop(capacity=1)
    if status == "waitlisted":
        assert book(sign_up(), session_id).get_json()["status"] == "confirmed"
    holder = sign_up()
    committed, after_commit = [], []

    def on_commit(conn):
        committed.append(True)

    def on_statement(conn, cursor, statement, parameters, context, executemany):
        if committed:
            after_commit.append(" ".join(statement.split()[:3]))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "commit", on_commit)
    sa.event.listen(engine, "before_cursor_execute", on_statement)
    try:
        answer = book(holder, session_id)
        with app.app_context():
            assert relay.settle()
    finally:
        sa.event.remove(engine, "commit", on_commit)
        sa.event.remove(engine, "before_cursor_execute", on_statement)
    assert answer.status_code == 201 and answer.get_json()["status"] == status
    assert after_commit == ["UPDATE outbox SET"]
