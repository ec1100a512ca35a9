"""Organisers: bookings and waitlists per session, moving and cancelling, capacity, attendee CSV, city scope."""
import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.database import db
from app.outbox import messages
from events.models import ProgrammeSession
from registrations import services
from registrations.models import Booking
from tests.conftest import bearer
from tests.registrations.conftest import FUTURE, session_counters

FAMILY = [{"name": "ด.ช. ต้นกล้า", "age_group": "child"}]


@pytest.fixture
def organiser(make_user, festival):
    return make_user("organiser", festival.city_id)[1]


@pytest.fixture
def stranger(make_user, make_city):
    return make_user("organiser", make_city("chiang-mai", "เชียงใหม่", "Chiang Mai"))[1]


def test_session_bookings_list_confirmed_and_the_waitlist_in_order(client, sign_up, book, workshop, organiser):
    session_id = workshop(capacity=1)
    visitors = [sign_up(name=name) for name in ("อรุณ", "Beam", "ชบา")]
    for visitor in visitors:
        book(visitor, session_id)
    answer = client.get(f"/api/v1/sessions/{session_id}/bookings", headers=bearer(organiser))
    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["capacity"], body["seats_confirmed"], body["seats_left"], body["waitlist_length"]) == (1, 1, 0, 2)
    assert [b["holder"]["name"] for b in body["confirmed"]] == ["อรุณ"]
    assert [(b["holder"]["name"], b["waitlist_position"]) for b in body["waitlist"]] == [("Beam", 1), ("ชบา", 2)]


def test_organiser_calls_need_a_token_and_the_right_city(app, client, sign_up, book, workshop, stranger):
    session_id = workshop()
    booking = book(sign_up(), session_id).get_json()
    calls = [
        ("get", f"/api/v1/sessions/{session_id}/bookings", None),
        ("post", f"/api/v1/sessions/{session_id}/capacity", {"capacity": 20}),
        ("patch", f"/api/v1/bookings/{booking['id']}", {"status": "cancelled"}),
        ("get", f"/api/v1/sessions/{session_id}/attendees.csv", None),
        ("get", "/api/v1/festivals/learning-city-days/attendees.csv", None),
    ]
    for method, path, body in calls:
        anonymous = getattr(client, method)(path, json=body)
        assert anonymous.status_code == 401, path
        foreign = getattr(client, method)(path, json=body, headers=bearer(stranger))
        assert foreign.status_code == 403 and foreign.get_json()["code"] == "forbidden", path
    assert session_counters(app, session_id) == (1, 0)
    with app.app_context():
        assert db.session.get(Booking, booking["id"]).status == "confirmed"


def test_staff_may_not_manage_bookings(client, workshop, make_user, festival):
    token = make_user("staff", festival.city_id)[1]
    answer = client.get(f"/api/v1/sessions/{workshop()}/bookings", headers=bearer(token))
    assert answer.status_code == 403 and answer.get_json()["code"] == "forbidden_role"


def test_raising_capacity_promotes_in_arrival_order(app, client, sign_up, book, workshop, organiser):
    session_id = workshop(capacity=1)
    visitors = [sign_up() for _ in range(4)]
    bookings = [book(v, session_id).get_json() for v in visitors]
    answer = client.post(f"/api/v1/sessions/{session_id}/capacity", json={"capacity": 3}, headers=bearer(organiser))
    assert answer.status_code == 200
    body = answer.get_json()
    assert [b["id"] for b in body["promoted"]] == [bookings[1]["id"], bookings[2]["id"]]
    assert (body["capacity"], body["seats_confirmed"], body["seats_left"], body["waitlist_length"]) == (3, 3, 0, 1)
    assert session_counters(app, session_id) == (3, 1)
    with app.app_context():
        assert [m.payload["booking_id"] for m in messages("booking.promoted")] == [bookings[1]["id"], bookings[2]["id"]]
        assert [m.payload for m in messages("programme.changed")] == [
            {"festival_id": db.session.get(ProgrammeSession, session_id).festival_id}
        ]


def test_lowering_capacity_keeps_confirmations_and_takes_no_new_ones(app, client, sign_up, book, workshop, organiser):
    session_id = workshop(capacity=3)
    holders = [sign_up() for _ in range(3)]
    held = [book(v, session_id).get_json() for v in holders]
    answer = client.post(f"/api/v1/sessions/{session_id}/capacity", json={"capacity": 1}, headers=bearer(organiser))
    assert answer.status_code == 200
    assert (answer.get_json()["seats_confirmed"], answer.get_json()["seats_left"]) == (3, 0)
    late = book(sign_up(), session_id).get_json()
    assert late["status"] == "waitlisted"
    # One leaves: still over capacity (2 > 1), so nobody is promoted.
    client.delete(f"/api/v1/passes/{holders[0]['manage_token']}/bookings/{held[0]['id']}")
    assert session_counters(app, session_id) == (2, 1)


@pytest.mark.parametrize("body", [{"capacity": -1}, {"capacity": "many"}, {}, {"capacity": None}])
def test_bad_capacity_is_422(client, workshop, organiser, body):
    answer = client.post(f"/api/v1/sessions/{workshop()}/capacity", json=body, headers=bearer(organiser))
    assert answer.status_code == 422 and "capacity" in answer.get_json()["errors"]


def test_capacity_of_an_unknown_session_is_404(client, organiser):
    answer = client.post("/api/v1/sessions/424242/capacity", json={"capacity": 3}, headers=bearer(organiser))
    assert answer.status_code == 404


def test_moving_a_booking_frees_its_seats_and_takes_seats_in_the_target(app, client, sign_up, book, workshop, organiser):
    source = workshop(capacity=2)
    target = workshop(capacity=5, starts_at=FUTURE + timedelta(hours=2))
    family, waiting = sign_up(party=FAMILY), sign_up()
    moved = book(family, source).get_json()
    book(waiting, source, seats=1)
    book(sign_up(), source)  # the source is full: waitlisted
    answer = client.patch(f"/api/v1/bookings/{moved['id']}", json={"session_id": target}, headers=bearer(organiser))
    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["id"], body["session_id"], body["status"], body["seats"]) == (moved["id"], target, "confirmed", 2)
    assert session_counters(app, target) == (2, 0)
    assert session_counters(app, source) == (2, 0)  # the two waiting singles were promoted
    with app.app_context():
        confirmed = messages("booking.confirmed")
        assert confirmed[-1].payload["session_id"] == target
        assert confirmed[-1].payload["moved_from_session_id"] == source
        assert len(messages("booking.promoted")) == 2


def test_a_move_follows_the_booking_rules(app, client, sign_up, book, workshop, organiser, make_festival, festival):
    source = workshop(capacity=5)
    clashing = workshop(capacity=5, starts_at=FUTURE + timedelta(hours=3))
    overlapping_target = workshop(capacity=5, starts_at=FUTURE + timedelta(hours=3, minutes=30))
    full = workshop(capacity=1, starts_at=FUTURE + timedelta(hours=6))
    open_to_all = workshop(capacity=None, starts_at=FUTURE + timedelta(hours=8))
    elsewhere = workshop(festival_id=make_festival(festival.city_id, slug="elsewhere"))
    visitor = sign_up()
    booking = book(visitor, source).get_json()
    book(visitor, clashing)
    book(sign_up(), full)
    expectations = [
        (overlapping_target, 409, "clash"),
        (full, 409, "full"),
        (open_to_all, 409, "no_booking_needed"),
        (elsewhere, 422, "wrong_festival"),
        (source, 422, "same_session"),
        (clashing, 409, "already_booked"),
        (987_654, 404, "not_found"),
    ]
    for target, status, code in expectations:
        answer = client.patch(f"/api/v1/bookings/{booking['id']}", json={"session_id": target}, headers=bearer(organiser))
        assert (answer.status_code, answer.get_json()["code"]) == (status, code), target
    assert session_counters(app, source) == (1, 0)
    bad = client.patch(f"/api/v1/bookings/{booking['id']}", json={"session_id": full, "status": "cancelled"}, headers=bearer(organiser))
    assert bad.status_code == 422
    assert client.patch("/api/v1/bookings/99999", json={"status": "cancelled"}, headers=bearer(organiser)).status_code == 404


def test_an_organiser_cancels_a_booking_and_the_waitlist_moves_up(app, client, sign_up, book, workshop, organiser):
    session_id = workshop(capacity=1)
    held = book(sign_up(), session_id).get_json()
    waiting = book(sign_up(), session_id).get_json()
    answer = client.patch(f"/api/v1/bookings/{held['id']}", json={"status": "cancelled"}, headers=bearer(organiser))
    assert answer.status_code == 200
    assert (answer.get_json()["status"], answer.get_json()["cancelled_by"]) == ("cancelled", "organiser")
    with app.app_context():
        assert db.session.get(Booking, waiting["id"]).status == "confirmed"


def test_cancel_session_bookings_cancels_every_live_booking_once(app, sign_up, book, workshop):
    session_id = workshop(capacity=1)
    confirmed = book(sign_up(), session_id).get_json()
    waitlisted = book(sign_up(), session_id).get_json()
    with app.app_context():
        cancelled = services.cancel_session_bookings(session_id)
        db.session.commit()
        assert sorted(b.id for b in cancelled) == sorted([confirmed["id"], waitlisted["id"]])
        rows = db.session.scalars(sa.select(Booking).order_by(Booking.id)).all()
        assert {(b.status, b.cancelled_by) for b in rows} == {("cancelled", "session")}
        assert sorted(m.payload["booking_id"] for m in messages("booking.cancelled")) == sorted(b.id for b in rows)
        assert services.cancel_session_bookings(session_id) == []
        assert services.cancel_session_bookings(123_456) == []  # gone: quiet
        db.session.commit()
        assert len(messages("booking.cancelled")) == 2
    assert session_counters(app, session_id) == (0, 0)


def _rows(text):
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_session_attendee_csv_keeps_thai_names_and_the_waitlist_order(client, sign_up, book, workshop, organiser):
    session_id = workshop(capacity=2)
    book(sign_up(name="สมศรี มีสุข", party=FAMILY, phone="+66 81 000 0000"), session_id)
    book(sign_up(name="=HYPERLINK(1)"), session_id)
    book(sign_up(name="Ning"), session_id)
    answer = client.get(f"/api/v1/sessions/{session_id}/attendees.csv", headers=bearer(organiser))
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert answer.data.startswith(b"\xef\xbb\xbf")
    assert "attachment" in answer.headers["Content-Disposition"]
    rows = _rows(answer.data.decode("utf-8"))
    assert rows[0] == ["name", "email", "phone", "age_group", "party", "seats", "status", "waitlist_position", "booked_at"]
    first = rows[1]
    assert first[0] == "สมศรี มีสุข" and first[2] == "'+66 81 000 0000" and first[3] == "adult"
    assert first[4] == "ด.ช. ต้นกล้า (child)" and first[5:8] == ["2", "confirmed", ""]
    assert rows[2][0] == "'=HYPERLINK(1)" and rows[2][6] == "waitlisted" and rows[2][7] == "1"
    assert rows[3][0] == "Ning" and rows[3][7] == "2"


def test_the_festival_attendee_csv_lists_every_pass(client, sign_up, book, workshop, organiser):
    session_id = workshop(capacity=1, title_th="ทอผ้าตีนจก")
    book(sign_up(name="กมล"), session_id)
    book(sign_up(name="Dao"), session_id)
    sign_up(name="ไม่มีการจอง")
    answer = client.get("/api/v1/festivals/learning-city-days/attendees.csv", headers=bearer(organiser))
    assert answer.status_code == 200
    rows = _rows(answer.get_data(as_text=True))
    assert rows[0][:3] == ["pass_id", "name", "email"]
    by_name = {row[1]: row for row in rows[1:]}
    assert by_name["กมล"][-2:] == ["ทอผ้าตีนจก", ""]
    assert by_name["Dao"][-2:] == ["", "ทอผ้าตีนจก (#1)"]
    assert by_name["ไม่มีการจอง"][-2:] == ["", ""]
    missing = client.get("/api/v1/festivals/nowhere/attendees.csv", headers=bearer(organiser))
    assert missing.status_code == 404


def test_a_cancelled_booking_cannot_be_moved_and_cancelling_it_again_changes_nothing(app, client, sign_up, book, workshop, organiser):
    source, target = workshop(capacity=2), workshop(capacity=2, starts_at=FUTURE + timedelta(hours=2))
    booking = book(sign_up(), source).get_json()
    path = f"/api/v1/bookings/{booking['id']}"
    assert client.patch(path, json={"status": "cancelled"}, headers=bearer(organiser)).status_code == 200
    again = client.patch(path, json={"status": "cancelled"}, headers=bearer(organiser))
    assert again.status_code == 200 and again.get_json()["status"] == "cancelled"
    moved = client.patch(path, json={"session_id": target}, headers=bearer(organiser))
    assert moved.status_code == 409 and moved.get_json()["code"] == "booking_cancelled"
    assert session_counters(app, source) == (0, 0) and session_counters(app, target) == (0, 0)
    with app.app_context():
        assert len(messages("booking.cancelled")) == 1
