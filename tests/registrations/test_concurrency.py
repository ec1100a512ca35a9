"""No overbooking and no lost request under real concurrency, through a real threaded server."""
import threading

import httpx
import sqlalchemy as sa

from app.database import db
from app.outbox import messages
from events.models import ProgrammeSession
from registrations.models import CONFIRMED, WAITLISTED, Booking
from registrations.services import waitlist_position

VISITORS = 50
SEATS = 10


def _race(url, requests):
    """Send every (method, path, json) at once from its own thread; answers in the same order."""
    barrier = threading.Barrier(len(requests))
    answers = [None] * len(requests)

    def send(index, method, path, body):
        with httpx.Client(base_url=url, timeout=120) as http:
            barrier.wait()
            answers[index] = http.request(method, path, json=body)

    threads = [threading.Thread(target=send, args=(n, *request)) for n, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_fifty_visitors_racing_for_ten_seats(app, live_server, sign_up, workshop):
    session_id = workshop(capacity=SEATS)
    passes = [sign_up() for _ in range(VISITORS)]
    answers = _race(
        live_server.url,
        [("POST", f"/api/v1/passes/{p['manage_token']}/bookings", {"session_id": session_id}) for p in passes],
    )
    assert [answer.status_code for answer in answers] == [201] * VISITORS  # no request lost
    bodies = [answer.json() for answer in answers]
    confirmed = [b for b in bodies if b["status"] == CONFIRMED]
    waitlisted = [b for b in bodies if b["status"] == WAITLISTED]
    assert len(confirmed) == SEATS and len(waitlisted) == VISITORS - SEATS
    assert sorted(b["waitlist_position"] for b in waitlisted) == list(range(1, VISITORS - SEATS + 1))

    with app.app_context():
        session = db.session.get(ProgrammeSession, session_id)
        assert (session.seats_confirmed, session.waitlist_length) == (SEATS, VISITORS - SEATS)
        stored = db.session.scalars(sa.select(Booking).where(Booking.session_id == session_id)).all()
        assert len(stored) == VISITORS
        assert sum(b.seats for b in stored if b.status == CONFIRMED) == SEATS
        # The positions each visitor was told are still the counted ones, in arrival order.
        order = sorted((b for b in stored if b.status == WAITLISTED), key=lambda b: (b.queued_at, b.id))
        told = {b["id"]: b["waitlist_position"] for b in waitlisted}
        assert [told[b.id] for b in order] == list(range(1, VISITORS - SEATS + 1))
        assert [waitlist_position(b) for b in order] == list(range(1, VISITORS - SEATS + 1))
        assert len(messages("booking.confirmed")) == SEATS and len(messages("booking.waitlisted")) == VISITORS - SEATS
        earliest = [b.id for b in order[:3]]
        db.session.remove()

    # Three holders cancel at once: exactly the three earliest on the waitlist move up.
    by_booking = {b["id"]: p for b, p in zip(bodies, passes)}
    leaving = [b["id"] for b in confirmed[:3]]
    cancels = _race(
        live_server.url,
        [("DELETE", f"/api/v1/passes/{by_booking[i]['manage_token']}/bookings/{i}", None) for i in leaving],
    )
    assert [answer.status_code for answer in cancels] == [200, 200, 200]
    with app.app_context():
        session = db.session.get(ProgrammeSession, session_id)
        assert (session.seats_confirmed, session.waitlist_length) == (SEATS, VISITORS - SEATS - 3)
        assert sorted(m.payload["booking_id"] for m in messages("booking.promoted")) == sorted(earliest)
        still_waiting = db.session.scalars(
            sa.select(Booking).where(Booking.session_id == session_id, Booking.status == WAITLISTED)
        ).all()
        assert sorted(waitlist_position(b) for b in still_waiting) == list(range(1, VISITORS - SEATS - 3 + 1))
