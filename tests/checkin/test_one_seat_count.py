"""One seat count: walk-ins admitted at a session door, confirmed bookings, capacity changes and
waitlist promotions all draw on the same seats (registrations.services.seats), under one lock."""
import threading

import httpx
import sqlalchemy as sa

from app.database import db
from checkin.models import Admission, Scan
from events.models import ProgrammeSession
from registrations.models import CONFIRMED, WAITLISTED, Booking
from tests.checkin.conftest import FESTIVAL_OPENED, SESSION_START, scan
from tests.conftest import bearer

FAMILY = (("Fon", "child"),)


def _door(make_city, make_festival, make_session, make_user, make_checkpoint, capacity, **session_fields):
    city = make_city()
    festival = make_festival(city, starts_on=FESTIVAL_OPENED, allow_walk_ins=True)
    session = make_session(festival, starts_at=SESSION_START, capacity=capacity, **session_fields)
    door = make_checkpoint(festival, "session", session_id=session)
    _, staff = make_user("staff", city)
    _, organiser = make_user("organiser", city)
    return festival, session, door, bearer(staff), bearer(organiser)


def _book(client, made, session_id, **fields):
    return client.post(f"/api/v1/passes/{made.manage_token}/bookings", json={"session_id": session_id, **fields})


def _seats(app, session_id):
    with app.app_context():
        session = db.session.get(ProgrammeSession, session_id)
        counts = (session.seats_confirmed, session.walk_in_seats, session.seats_left)
        db.session.remove()
    return counts


def test_a_seat_a_walk_in_took_is_not_sold_online(
    app, client, make_city, make_festival, make_session, make_user, make_checkpoint, make_pass
):
    _festival, session, door, staff, _ = _door(make_city, make_festival, make_session, make_user, make_checkpoint, 3)
    walked = scan(client, door, make_pass(_festival, name="Walk-in", party=FAMILY).code, staff).get_json()
    assert (walked["result"], walked["walk_in"], walked["party_size"]) == ("admitted", True, 2)
    assert _seats(app, session) == (0, 2, 1)
    assert client.get(f"/api/v1/sessions/{session}").get_json()["seats_left"] == 1

    pair = _book(client, make_pass(_festival, name="Pair", party=FAMILY), session).get_json()
    assert (pair["status"], pair["waitlist_position"]) == (WAITLISTED, 1)  # 2 seats: only 1 is free
    single = _book(client, make_pass(_festival, name="Single"), session).get_json()
    assert single["status"] == CONFIRMED
    assert _seats(app, session) == (1, 2, 0)
    late = scan(client, door, make_pass(_festival, name="Too late").code, staff).get_json()
    assert late["result"] == "not_booked"
    assert _seats(app, session) == (1, 2, 0)


def test_promotion_and_capacity_changes_count_the_walk_ins(
    app, client, make_city, make_festival, make_session, make_user, make_checkpoint, make_pass
):
    festival, session, door, staff, organiser = _door(
        make_city, make_festival, make_session, make_user, make_checkpoint, 3
    )
    holder = make_pass(festival, name="Holder", party=FAMILY)
    held = _book(client, holder, session).get_json()
    assert held["status"] == CONFIRMED and held["seats"] == 2
    assert scan(client, door, make_pass(festival, name="Walk-in").code, staff).get_json()["walk_in"] is True
    waiting = _book(client, make_pass(festival, name="Waiting", party=FAMILY), session).get_json()
    assert waiting["status"] == WAITLISTED

    # The holder cancels: 2 seats free up beside the walk-in, and the waiting pair moves up.
    assert client.delete(f"/api/v1/passes/{holder.manage_token}/bookings/{held['id']}").status_code == 200
    with app.app_context():
        assert db.session.get(Booking, waiting["id"]).status == CONFIRMED
    assert _seats(app, session) == (2, 1, 0)
    # The walk-in's seat is not free: a newcomer queues.
    newcomer = _book(client, make_pass(festival, name="Newcomer"), session).get_json()
    assert newcomer["status"] == WAITLISTED

    # Lowering the capacity promotes nobody; raising it by one seats the newcomer, not more.
    lowered = client.post(f"/api/v1/sessions/{session}/capacity", json={"capacity": 2}, headers=organiser)
    assert lowered.status_code == 200 and lowered.get_json()["seats_left"] == 0
    raised = client.post(f"/api/v1/sessions/{session}/capacity", json={"capacity": 4}, headers=organiser)
    assert raised.status_code == 200
    with app.app_context():
        assert db.session.get(Booking, newcomer["id"]).status == CONFIRMED
    assert _seats(app, session) == (3, 1, 0)


def test_a_walk_in_takes_the_seats_of_the_party_the_session_is_for(
    app, client, make_city, make_festival, make_session, make_user, make_checkpoint, make_pass
):
    festival, session, door, staff, _ = _door(
        make_city, make_festival, make_session, make_user, make_checkpoint, 4, age_groups=["teen", "adult", "senior"]
    )
    family = make_pass(festival, name="Parent", party=(("Fon", "child"), ("Fah", "child")))
    walked = scan(client, door, family.code, staff).get_json()
    assert (walked["result"], walked["walk_in"], walked["party_size"]) == ("admitted", True, 1)
    children = make_pass(festival, name="Nok", age_group="child", party=(("Noi", "child"),))
    assert scan(client, door, children.code, staff).get_json()["result"] == "not_booked"
    assert _seats(app, session) == (0, 1, 3)


ROUNDS = 3
WALK_INS = 6
BOOKINGS = 6
SEATS = 5


def _race(url, requests):
    """Every (method, path, json, headers) sent at once, each from its own thread and client."""
    barrier = threading.Barrier(len(requests))
    answers = [None] * len(requests)

    def send(index, method, path, body, headers):
        with httpx.Client(base_url=url, timeout=120) as http:
            barrier.wait()
            answers[index] = http.request(method, path, json=body, headers=headers)

    threads = [threading.Thread(target=send, args=(n, *request)) for n, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_walk_ins_and_online_bookings_racing_for_the_last_seats_never_overbook(
    app, live_server, make_city, make_festival, make_session, make_user, make_checkpoint, make_pass
):
    """Real concurrent clients through a threaded server (PostgreSQL under DATABASE_URL): door
    scans and bookings interleave for a few seats; every seat goes once, and no request is lost."""
    festival, _, _, staff, _ = _door(make_city, make_festival, make_session, make_user, make_checkpoint, 1)
    for round_ in range(ROUNDS):
        session = make_session(festival, starts_at=SESSION_START, capacity=SEATS, title_en=f"Race {round_}")
        door = make_checkpoint(festival, "session", name=f"Door {round_}", session_id=session)
        walkers = [make_pass(festival, name=f"Walker {round_}.{n}") for n in range(WALK_INS)]
        bookers = [make_pass(festival, name=f"Booker {round_}.{n}") for n in range(BOOKINGS)]
        requests = [("POST", f"/api/v1/checkpoints/{door}/scans", {"code": w.code, "device_id": f"race-{n}"}, staff)
                    for n, w in enumerate(walkers)]
        requests += [("POST", f"/api/v1/passes/{b.manage_token}/bookings", {"session_id": session}, {})
                     for b in bookers]
        # Interleave door scans and bookings in the order the threads start.
        requests = [r for pair in zip(requests[:WALK_INS], requests[WALK_INS:]) for r in pair]
        answers = _race(live_server.url, requests)

        assert sorted(a.status_code for a in answers) == [200] * WALK_INS + [201] * BOOKINGS  # none lost
        bodies = [a.json() for a in answers]
        walked_in = [b for b in bodies if b.get("walk_in")]
        confirmed = [b for b in bodies if b.get("status") == CONFIRMED]
        waitlisted = [b for b in bodies if b.get("status") == WAITLISTED]
        refused = [b for b in bodies if b.get("result") == "not_booked"]
        assert len(walked_in) + len(confirmed) == SEATS  # every seat taken once: 0 overbooked, none left empty
        assert len(walked_in) + len(refused) == WALK_INS and len(confirmed) + len(waitlisted) == BOOKINGS
        assert sorted(b["waitlist_position"] for b in waitlisted) == list(range(1, len(waitlisted) + 1))
        with app.app_context():
            stored = db.session.get(ProgrammeSession, session)
            seated = db.session.scalar(
                sa.select(sa.func.coalesce(sa.func.sum(Booking.seats), 0))
                .where(Booking.session_id == session, Booking.status == CONFIRMED)
            )
            walk_in_people = db.session.scalar(
                sa.select(sa.func.coalesce(sa.func.sum(Admission.party_size), 0))
                .where(Admission.checkpoint_id == door, Admission.walk_in.is_(True),
                       Admission.first_scanned_at.is_not(None))
            )
            assert (stored.seats_confirmed, stored.walk_in_seats) == (seated, walk_in_people)
            assert seated + walk_in_people == SEATS and stored.seats_left == 0
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Scan).where(Scan.checkpoint_id == door)) \
                == WALK_INS
            db.session.remove()
