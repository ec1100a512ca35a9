"""Capacity raised through the programme (events PATCH) goes to the waitlist, in arrival order, via the worker."""
import sqlalchemy as sa

from app.database import db
from app.outbox import messages
from registrations.models import Booking
from tests.conftest import bearer


def _statuses(app, booking_ids):
    with app.app_context():
        rows = db.session.execute(sa.select(Booking.id, Booking.status).where(Booking.id.in_(booking_ids))).all()
        db.session.remove()
    return {booking_id: status for booking_id, status in rows}


def test_raising_capacity_in_the_programme_promotes_the_waitlist(app, client, festival, workshop, sign_up, book,
                                                                  make_user, run_jobs):
    session_id = workshop(capacity=1)
    first, second, third = (book(sign_up(), session_id) for _ in range(3))
    assert _statuses(app, [first, second, third]) == {first: "confirmed", second: "waitlisted", third: "waitlisted"}

    _, token = make_user("organiser", festival.city_id)
    answer = client.patch(f"/api/v1/sessions/{session_id}", json={"capacity": 2}, headers=bearer(token))
    assert answer.status_code == 200
    with app.app_context():
        assert [m.payload["session_id"] for m in messages("session.capacity_changed")] == [session_id]

    run_jobs()
    # The earliest in the queue gets the new seat; the later one keeps waiting, now first in line.
    assert _statuses(app, [first, second, third]) == {first: "confirmed", second: "confirmed", third: "waitlisted"}
    after = client.get(f"/api/v1/sessions/{session_id}").get_json()
    assert after["seats_left"] == 0 and after["waitlist_length"] == 1
    with app.app_context():
        assert [m.payload["booking_id"] for m in messages("booking.promoted")] == [second]


def test_a_capacity_change_without_new_seats_promotes_nobody(app, client, festival, workshop, sign_up, book,
                                                           make_user, run_jobs):
    session_id = workshop(capacity=2)
    first, second, waiting = (book(sign_up(), session_id) for _ in range(3))
    _, token = make_user("organiser", festival.city_id)
    assert client.patch(f"/api/v1/sessions/{session_id}", json={"capacity": 1},
                        headers=bearer(token)).status_code == 200
    run_jobs()
    # Lowering keeps every confirmation and takes no one from the waitlist.
    assert _statuses(app, [first, second, waiting]) == {first: "confirmed", second: "confirmed", waiting: "waitlisted"}


def test_a_newcomer_does_not_take_a_seat_freed_before_the_worker_promoted_the_waitlist(
        app, client, festival, workshop, sign_up, book, make_user, run_jobs):
    session_id = workshop(capacity=1)
    first, waiting = (book(sign_up(), session_id) for _ in range(2))
    _, token = make_user("organiser", festival.city_id)
    assert client.patch(f"/api/v1/sessions/{session_id}", json={"capacity": 2},
                        headers=bearer(token)).status_code == 200
    # No job has run yet: the new seat belongs to the one who waited, not to whoever books next.
    newcomer = book(sign_up(), session_id)
    assert _statuses(app, [first, waiting, newcomer]) == {
        first: "confirmed", waiting: "confirmed", newcomer: "waitlisted"}
    run_jobs()  # the worker's promotion then finds nothing left to give
    assert _statuses(app, [first, waiting, newcomer]) == {
        first: "confirmed", waiting: "confirmed", newcomer: "waitlisted"}
    with app.app_context():
        assert [m.payload["booking_id"] for m in messages("booking.promoted")] == [waiting]
