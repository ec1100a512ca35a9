"""Booking rules through the API: every error code, seats, clashes, waitlist positions, cancelling."""
from datetime import timedelta

import pytest

from app.database import db
from app.outbox import messages
from events.models import ProgrammeSession
from registrations.models import Booking, Pass
from tests.registrations.conftest import FUTURE, past, session_counters

FAMILY = [{"name": "น้องฝน", "age_group": "child"}, {"name": "คุณตา", "age_group": "senior"}]


def test_seats_default_to_the_whole_party_and_are_confirmed_when_they_fit(app, sign_up, book, workshop):
    session_id = workshop(capacity=10)
    family = sign_up(party=FAMILY)
    answer = book(family, session_id)
    assert answer.status_code == 201
    body = answer.get_json()
    assert body["seats"] == 3 and body["status"] == "confirmed" and body["waitlist_position"] is None
    assert body["session_id"] == session_id and body["session"]["title_en"] == "Weaving workshop"
    assert body["session"]["starts_at"] == "2027-08-22T10:00:00+07:00"
    assert session_counters(app, session_id) == (3, 0)
    with app.app_context():
        assert [(m.topic, m.payload) for m in messages("booking.confirmed")] == [
            ("booking.confirmed", {"booking_id": body["id"], "pass_id": family["id"], "session_id": session_id,
                                   "festival_id": db.session.get(ProgrammeSession, session_id).festival_id})
        ]


@pytest.mark.parametrize("seats", [0, 4, -1])
def test_seats_must_be_between_one_and_the_party_size(app, sign_up, book, workshop, seats):
    session_id = workshop()
    answer = book(sign_up(party=FAMILY), session_id, seats=seats)
    assert answer.status_code == 422
    assert "seats" in answer.get_json()["errors"]
    assert session_counters(app, session_id) == (0, 0)


def test_part_of_a_party_may_book(sign_up, book, workshop):
    answer = book(sign_up(party=FAMILY), workshop(), seats=2)
    assert answer.status_code == 201 and answer.get_json()["seats"] == 2


def test_a_session_open_to_all_needs_no_booking(sign_up, book, workshop):
    answer = book(sign_up(), workshop(capacity=None))
    assert answer.status_code == 409 and answer.get_json()["code"] == "no_booking_needed"


def test_a_session_of_another_festival_is_refused(sign_up, book, workshop, make_festival, festival):
    other = make_festival(festival.city_id, slug="other-days")
    answer = book(sign_up(), workshop(festival_id=other))
    assert answer.status_code == 422
    assert answer.get_json()["code"] == "wrong_festival" and answer.get_json()["field"] == "session_id"


def test_an_unknown_session_or_pass_is_404(sign_up, book, client):
    answer = book(sign_up(), 999_999)
    assert answer.status_code == 404 and answer.get_json()["code"] == "not_found"
    answer = client.post("/api/v1/passes/no-such-token/bookings", json={"session_id": 1})
    assert answer.status_code == 404 and answer.get_json()["code"] == "not_found"


@pytest.mark.parametrize("body", [{}, {"session_id": "one"}, {"session_id": 1, "seats": "all"}, {"session_id": 1, "x": 1}])
def test_bad_booking_input_is_422(sign_up, client, body):
    answer = client.post(f"/api/v1/passes/{sign_up()['manage_token']}/bookings", json=body)
    assert answer.status_code == 422 and answer.get_json()["code"] == "validation_error"


def test_a_started_or_cancelled_session_is_closed(sign_up, book, workshop, festival):
    visitor = sign_up()
    started = workshop(starts_at=past(10))
    cancelled = workshop(starts_at=FUTURE + timedelta(hours=5), status="cancelled")
    for session_id in (started, cancelled):
        answer = book(visitor, session_id)
        assert answer.status_code == 409 and answer.get_json()["code"] == "closed"


def test_a_time_clash_with_a_confirmed_booking_names_the_other_session(app, sign_up, book, workshop):
    visitor = sign_up()
    first = workshop(starts_at=FUTURE, minutes=90)
    overlapping = workshop(starts_at=FUTURE + timedelta(minutes=60))
    back_to_back = workshop(starts_at=FUTURE + timedelta(minutes=90))
    assert book(visitor, first).status_code == 201
    clash = book(visitor, overlapping)
    assert clash.status_code == 409
    assert clash.get_json()["code"] == "clash" and clash.get_json()["session_id"] == first
    assert book(visitor, back_to_back).status_code == 201
    assert session_counters(app, overlapping) == (0, 0)


def test_a_waitlisted_booking_does_not_clash_but_a_confirmed_one_does(sign_up, book, workshop):
    visitor, other = sign_up(), sign_up()
    full = workshop(capacity=1)
    parallel = workshop(capacity=5)
    assert book(other, full).get_json()["status"] == "confirmed"
    assert book(visitor, full).get_json()["status"] == "waitlisted"
    assert book(visitor, parallel).get_json()["status"] == "confirmed"


def test_booking_the_same_session_twice_names_the_booking(sign_up, book, workshop):
    visitor = sign_up()
    session_id = workshop()
    first = book(visitor, session_id).get_json()
    again = book(visitor, session_id)
    assert again.status_code == 409
    assert again.get_json()["code"] == "already_booked" and again.get_json()["booking_id"] == first["id"]


def test_a_full_session_waitlists_with_counted_positions(app, client, sign_up, book, workshop):
    session_id = workshop(capacity=2)
    visitors = [sign_up() for _ in range(5)]
    answers = [book(v, session_id).get_json() for v in visitors]
    assert [a["status"] for a in answers] == ["confirmed", "confirmed", "waitlisted", "waitlisted", "waitlisted"]
    assert [a["waitlist_position"] for a in answers] == [None, None, 1, 2, 3]
    assert session_counters(app, session_id) == (2, 3)
    # The middle one leaves the waitlist: the positions close up.
    client.delete(f"/api/v1/passes/{visitors[3]['manage_token']}/bookings/{answers[3]['id']}")
    mine = client.get(f"/api/v1/passes/{visitors[4]['manage_token']}").get_json()["bookings"]
    assert [(b["status"], b["waitlist_position"]) for b in mine] == [("waitlisted", 2)]
    assert session_counters(app, session_id) == (2, 2)


def test_cancelling_a_confirmed_booking_promotes_the_first_waiting(app, client, sign_up, book, workshop):
    session_id = workshop(capacity=1)
    holder, first, second = sign_up(), sign_up(), sign_up()
    held = book(holder, session_id).get_json()
    waiting = [book(v, session_id).get_json() for v in (first, second)]
    answer = client.delete(f"/api/v1/passes/{holder['manage_token']}/bookings/{held['id']}")
    assert answer.status_code == 200 and answer.get_json()["status"] == "cancelled"
    assert answer.get_json()["cancelled_by"] == "visitor"
    states = [client.get(f"/api/v1/passes/{v['manage_token']}").get_json()["bookings"][0] for v in (first, second)]
    assert [(s["status"], s["waitlist_position"]) for s in states] == [("confirmed", None), ("waitlisted", 1)]
    assert session_counters(app, session_id) == (1, 1)
    with app.app_context():
        assert [m.payload["booking_id"] for m in messages("booking.promoted")] == [waiting[0]["id"]]
        assert [m.payload["booking_id"] for m in messages("booking.cancelled")] == [held["id"]]
        assert db.session.get(Booking, waiting[0]["id"]).promoted_at is not None


def test_first_that_fits_skips_a_party_too_big_for_the_freed_seats(app, client, sign_up, book, workshop):
    session_id = workshop(capacity=3)
    single_holder = sign_up()
    pair_holder = sign_up(party=FAMILY[:1])
    family = sign_up(party=FAMILY)  # 3 seats
    single = sign_up()
    held_single = book(single_holder, session_id).get_json()
    book(pair_holder, session_id)
    family_booking = book(family, session_id).get_json()
    single_booking = book(single, session_id).get_json()
    assert (family_booking["waitlist_position"], single_booking["waitlist_position"]) == (1, 2)
    # One seat frees: the family of three does not fit, the single visitor behind it does.
    client.delete(f"/api/v1/passes/{single_holder['manage_token']}/bookings/{held_single['id']}")
    family_now = client.get(f"/api/v1/passes/{family['manage_token']}").get_json()["bookings"][0]
    single_now = client.get(f"/api/v1/passes/{single['manage_token']}").get_json()["bookings"][0]
    assert (family_now["status"], family_now["waitlist_position"]) == ("waitlisted", 1)
    assert single_now["status"] == "confirmed"
    assert session_counters(app, session_id) == (3, 1)


def test_promotion_skips_a_pass_that_now_holds_a_seat_at_the_same_time(app, client, sign_up, book, workshop):
    crowded = workshop(capacity=1)
    parallel = workshop(capacity=5)
    holder, visitor, next_one = sign_up(), sign_up(), sign_up()
    held = book(holder, crowded).get_json()
    book(visitor, crowded)  # waitlisted 1
    book(next_one, crowded)  # waitlisted 2
    book(visitor, parallel)  # confirmed at the same time
    client.delete(f"/api/v1/passes/{holder['manage_token']}/bookings/{held['id']}")
    visitor_now = {b["session_id"]: b for b in client.get(f"/api/v1/passes/{visitor['manage_token']}").get_json()["bookings"]}
    assert visitor_now[crowded]["status"] == "waitlisted"
    assert client.get(f"/api/v1/passes/{next_one['manage_token']}").get_json()["bookings"][0]["status"] == "confirmed"


def test_cancelling_twice_changes_nothing_and_others_bookings_are_404(app, client, sign_up, book, workshop):
    session_id = workshop()
    visitor, stranger = sign_up(), sign_up()
    booking = book(visitor, session_id).get_json()
    path = f"/api/v1/passes/{visitor['manage_token']}/bookings/{booking['id']}"
    assert client.delete(path).status_code == 200
    assert client.delete(path).get_json()["status"] == "cancelled"
    with app.app_context():
        assert len(messages("booking.cancelled")) == 1
    foreign = client.delete(f"/api/v1/passes/{stranger['manage_token']}/bookings/{booking['id']}")
    assert foreign.status_code == 404 and foreign.get_json()["code"] == "not_found"
    assert session_counters(app, session_id) == (0, 0)


def test_a_cancelled_booking_can_be_booked_again(sign_up, book, client, workshop):
    session_id = workshop()
    visitor = sign_up()
    booking = book(visitor, session_id).get_json()
    client.delete(f"/api/v1/passes/{visitor['manage_token']}/bookings/{booking['id']}")
    again = book(visitor, session_id)
    assert again.status_code == 201 and again.get_json()["id"] != booking["id"]


def test_a_started_sessions_booking_cannot_be_cancelled_by_the_visitor(app, client, sign_up, workshop):
    session_id = workshop()
    visitor = sign_up()
    booking = client.post(f"/api/v1/passes/{visitor['manage_token']}/bookings", json={"session_id": session_id}).get_json()
    with app.app_context():
        session = db.session.get(ProgrammeSession, session_id)
        session.starts_at = past(5)
        session.ends_at = past(-55)
        db.session.commit()
    answer = client.delete(f"/api/v1/passes/{visitor['manage_token']}/bookings/{booking['id']}")
    assert answer.status_code == 409 and answer.get_json()["code"] == "closed"


def test_cancelling_the_pass_cancels_its_bookings_and_promotes(app, client, sign_up, book, workshop):
    first_session, second_session = workshop(capacity=1), workshop(capacity=1, starts_at=FUTURE + timedelta(hours=3))
    leaving, waiting = sign_up(), sign_up()
    for session_id in (first_session, second_session):
        book(leaving, session_id)
        book(waiting, session_id)
    answer = client.delete(f"/api/v1/passes/{leaving['manage_token']}")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["status"] == "cancelled" and {b["status"] for b in body["bookings"]} == {"cancelled"}
    assert [b["status"] for b in client.get(f"/api/v1/passes/{waiting['manage_token']}").get_json()["bookings"]] == [
        "confirmed", "confirmed",
    ]
    assert session_counters(app, first_session) == (1, 0) and session_counters(app, second_session) == (1, 0)
    with app.app_context():
        cancelled = db.session.get(Pass, leaving["id"])
        assert cancelled.cancelled_at is not None
        assert [m.payload for m in messages("pass.cancelled")] == [
            {"pass_id": leaving["id"], "festival_id": cancelled.festival_id}
        ]
        assert len(messages("booking.cancelled")) == 2 and len(messages("booking.promoted")) == 2
    # Twice is the same; a cancelled pass books nothing.
    assert client.delete(f"/api/v1/passes/{leaving['manage_token']}").status_code == 200
    refused = book(leaving, workshop(starts_at=FUTURE + timedelta(hours=6)))
    assert refused.status_code == 409 and refused.get_json()["code"] == "pass_cancelled"
    with app.app_context():
        assert len(messages("pass.cancelled")) == 1


def test_a_party_larger_than_the_whole_session_is_refused_not_queued_for_ever(app, sign_up, book, workshop):
    session_id = workshop(capacity=2)
    family = sign_up(party=FAMILY)
    answer = book(family, session_id)
    assert answer.status_code == 409
    assert answer.get_json()["code"] == "exceeds_capacity" and answer.get_json()["capacity"] == 2
    assert book(family, session_id, seats=2).get_json()["status"] == "confirmed"
    assert session_counters(app, session_id) == (2, 0)
