"""POST /checkpoints/{id}/scans: every result code, stored scans, the duplicate rule, gates, doors and hours."""
import threading
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from app.database import db
from app.outbox import messages
from checkin.models import Admission, Scan
from registrations import pass_codes
from registrations.models import Pass
from tests.checkin.conftest import FESTIVAL_OPENED, SESSION_START, scan, tamper
from tests.conftest import bearer


def stored_scans(app):
    with app.app_context():
        return list(db.session.scalars(sa.select(Scan).order_by(Scan.id)))


def test_a_pass_is_admitted_once_then_already_admitted_with_the_first_time(app, client, world, make_pass):
    made = make_pass(world.festival_id, name="สมชาย ใจดี", party=(("น้องนก", "child"), ("ยายแก้ว", "senior")))
    first = scan(client, world.gate_id, made.code, world.staff, device_id="gate-phone-1")
    assert first.status_code == 200
    body = first.get_json()
    assert body["result"] == "admitted"
    assert body["pass"] == {"name": "สมชาย ใจดี", "age_group": "adult", "party_size": 3}
    assert body["first_scanned_at"] is None
    assert body["scanned_at"].endswith("+07:00")  # the festival's zone

    again = scan(client, world.gate_id, made.code, world.staff, device_id="gate-phone-2").get_json()
    assert again["result"] == "already_admitted"
    assert again["first_scanned_at"] == body["scanned_at"]
    assert again["pass"]["name"] == "สมชาย ใจดี"

    rows = stored_scans(app)
    assert [(r.result, r.device_id, r.staff_user_id, r.party_size, r.pass_id) for r in rows] == [
        ("admitted", "gate-phone-1", world.staff_id, 3, made.id),
        ("already_admitted", "gate-phone-2", world.staff_id, 3, made.id),
    ]
    assert all(r.received_at >= r.scanned_at - timedelta(seconds=1) for r in rows)
    with app.app_context():
        # No job reads scan.recorded and no webhook endpoint listens here: a scan writes no outbox row.
        assert messages() == []


def test_tampered_truncated_and_unreadable_codes_are_invalid_and_stored(app, client, world, make_pass):
    made = make_pass(world.festival_id)
    tampered_signature = tamper(made.code, 100)
    tampered_payload = tamper(made.code, 12)  # inside the public id: a different pass, unsigned
    for code in (tampered_signature, tampered_payload, made.code[:-1], made.code[:60], "HELLO", "", "ก" * 127):
        answer = scan(client, world.gate_id, code, world.staff)
        assert answer.status_code == 200, code
        assert answer.get_json()["result"] == "invalid", code
        assert answer.get_json()["pass"] is None
    rows = stored_scans(app)
    assert len(rows) == 7 and {r.result for r in rows} == {"invalid"}
    assert {r.pass_id for r in rows} == {None}
    # The genuine code still works afterwards.
    assert scan(client, world.gate_id, made.code, world.staff).get_json()["result"] == "admitted"


def test_lower_case_and_surrounding_spaces_are_read(client, world, make_pass):
    made = make_pass(world.festival_id)
    assert scan(client, world.gate_id, f"  {made.code.lower()}\n", world.staff).get_json()["result"] == "admitted"


def test_a_pass_of_another_festival_is_wrong_festival_and_shows_nothing_of_it(
    app, client, world, make_festival, make_pass
):
    other = make_festival(world.city_id, slug="chiang-mai-days")
    stranger = make_pass(other, name="Someone Else")
    body = scan(client, world.gate_id, stranger.code, world.staff).get_json()
    assert body["result"] == "wrong_festival"
    assert body["pass"] is None
    assert stored_scans(app)[0].result == "wrong_festival"


def test_a_cancelled_pass_and_a_replaced_serial_are_cancelled(app, client, world, make_pass):
    cancelled = make_pass(world.festival_id, name="Gone Away", status="cancelled")
    body = scan(client, world.gate_id, cancelled.code, world.staff).get_json()
    assert body["result"] == "cancelled"
    assert body["pass"]["name"] == "Gone Away"

    reissued = make_pass(world.festival_id, name="New Code", serial=2)
    with app.app_context():
        pass_ = db.session.get(Pass, reissued.id)
        old_code = pass_codes.encode(pass_.festival_id, pass_.public_id, 1,
                                     pass_codes.festival_key(pass_.festival_id).private_key)
    assert scan(client, world.gate_id, old_code, world.staff).get_json()["result"] == "cancelled"
    assert scan(client, world.gate_id, reissued.code, world.staff).get_json()["result"] == "admitted"
    assert [r.detail for r in stored_scans(app)] == ["pass_cancelled", "serial_revoked", ""]


def test_a_refused_pass_takes_no_admission_and_its_replacement_is_admitted_after_it(app, client, world, make_pass):
    """On PostgreSQL the pass is read and its admission locked in one statement: only a pass the
    rules admit may make the admission row there."""
    cancelled = make_pass(world.festival_id, status="cancelled")
    reissued = make_pass(world.festival_id, serial=2)
    with app.app_context():
        pass_ = db.session.get(Pass, reissued.id)
        old_code = pass_codes.encode(pass_.festival_id, pass_.public_id, 1,
                                     pass_codes.festival_key(pass_.festival_id).private_key)
    assert scan(client, world.gate_id, cancelled.code, world.staff).get_json()["result"] == "cancelled"
    assert scan(client, world.gate_id, old_code, world.staff).get_json()["result"] == "cancelled"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Admission)) == 0
    body = scan(client, world.gate_id, reissued.code, world.staff).get_json()
    assert (body["result"], body["party_size"]) == ("admitted", 1)
    assert scan(client, world.gate_id, reissued.code, world.staff).get_json()["result"] == "already_admitted"
    with app.app_context():
        admission = db.session.scalars(sa.select(Admission)).one()
        assert (admission.pass_id, admission.party_size, admission.inside) == (reissued.id, 1, True)


def test_outside_the_checkpoint_hours_is_not_open(client, world, make_pass, make_checkpoint):
    opens = datetime(2027, 8, 22, 2, 0, tzinfo=timezone.utc)
    door = make_checkpoint(world.festival_id, "gate", name="Morning gate", opens_at=opens,
                           closes_at=opens + timedelta(hours=4))
    made = make_pass(world.festival_id)
    early = scan(client, door, made.code, world.staff, scanned_at="2027-08-22T08:59:00+07:00").get_json()
    assert early["result"] == "not_open"
    assert early["pass"]["name"] == "Somchai Jaidee"
    late = scan(client, door, made.code, world.staff, scanned_at="2027-08-22T13:00:00+07:00").get_json()
    assert late["result"] == "not_open"
    inside = scan(client, door, made.code, world.staff, scanned_at="2027-08-22T09:30:00+07:00").get_json()
    assert inside["result"] == "admitted"


def test_a_session_door_admits_confirmed_seats_and_refuses_the_rest(client, world, make_pass, make_booking):
    booked = make_pass(world.festival_id, name="Booked", party=(("Kid", "child"),))
    make_booking(booked.id, world.session_id, "confirmed", seats=2)
    waiting = make_pass(world.festival_id, name="Waiting")
    make_booking(waiting.id, world.session_id, "waitlisted")
    cancelled_booking = make_pass(world.festival_id, name="Changed mind")
    make_booking(cancelled_booking.id, world.session_id, "cancelled")
    nobody = make_pass(world.festival_id, name="No booking")

    admitted = scan(client, world.door_id, booked.code, world.staff).get_json()
    assert (admitted["result"], admitted["party_size"], admitted["walk_in"]) == ("admitted", 2, False)
    assert scan(client, world.door_id, waiting.code, world.staff).get_json()["result"] == "waitlisted"
    assert scan(client, world.door_id, cancelled_booking.code, world.staff).get_json()["result"] == "not_booked"
    assert scan(client, world.door_id, nobody.code, world.staff).get_json()["result"] == "not_booked"
    assert scan(client, world.door_id, booked.code, world.staff).get_json()["result"] == "already_admitted"


def test_walk_ins_take_free_seats_when_the_festival_allows_them(
    app, client, make_city, make_festival, make_session, make_user, make_checkpoint, make_pass, make_booking
):
    city = make_city()
    festival = make_festival(city, starts_on=FESTIVAL_OPENED, allow_walk_ins=True)
    session = make_session(festival, starts_at=SESSION_START, capacity=4)
    door = make_checkpoint(festival, "session", session_id=session)
    _, token = make_user("staff", city)
    booked = make_pass(festival, name="Booked", party=(("A", "child"),))
    make_booking(booked.id, session, "confirmed")  # 2 of 4 seats
    family = make_pass(festival, name="Walk-in family", party=(("B", "child"),))  # 2 people: fits
    waiting = make_pass(festival, name="On the waitlist")
    make_booking(waiting.id, session, "waitlisted")
    late = make_pass(festival, name="Too late")

    walked = scan(client, door, family.code, bearer(token)).get_json()
    assert (walked["result"], walked["walk_in"], walked["party_size"]) == ("admitted", True, 2)
    # The two walk-ins took the last free seats: the waitlisted pass and a stranger are refused.
    assert scan(client, door, waiting.code, bearer(token)).get_json()["result"] == "waitlisted"
    assert scan(client, door, late.code, bearer(token)).get_json()["result"] == "not_booked"
    # A booked visitor still gets in: their seat was never free.
    assert scan(client, door, booked.code, bearer(token)).get_json()["result"] == "admitted"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Scan).where(Scan.walk_in.is_(True))) == 1


def test_a_session_without_booking_admits_every_pass(client, world, make_session, make_checkpoint, make_pass):
    open_session = make_session(world.festival_id, starts_at=SESSION_START + timedelta(hours=3), capacity=None)
    door = make_checkpoint(world.festival_id, "session", session_id=open_session)
    made = make_pass(world.festival_id)
    answer = scan(client, door, made.code, world.staff).get_json()
    assert (answer["result"], answer["walk_in"]) == ("admitted", False)


def test_a_gate_that_counts_exits_knows_who_is_inside(app, client, world, make_pass, make_checkpoint):
    gate = make_checkpoint(world.festival_id, "gate", name="North gate", counts_exits=True)
    family = make_pass(world.festival_id, party=(("Kid", "child"), ("Grandma", "senior")))
    single = make_pass(world.festival_id, name="Solo")
    assert scan(client, gate, family.code, world.staff).get_json()["result"] == "admitted"
    assert scan(client, gate, single.code, world.staff).get_json()["result"] == "admitted"
    assert scan(client, gate, family.code, world.staff).get_json()["result"] == "already_admitted"

    def inside():
        stats = client.get(f"/api/v1/festivals/{world.slug}/checkin-stats", headers=world.organiser).get_json()
        row = next(r for r in stats["checkpoints"] if r["id"] == gate)
        return stats["inside_now"]["people"], row["inside_people"], row["entries"], row["exits"]

    assert inside() == (4, 4, 2, 0)
    out = scan(client, gate, family.code, world.staff, direction="out").get_json()
    assert (out["result"], out["direction"]) == ("admitted", "out")
    assert inside() == (1, 1, 2, 1)
    back = scan(client, gate, family.code, world.staff).get_json()
    assert back["result"] == "admitted"  # re-entry after an exit
    assert inside() == (4, 4, 3, 1)
    # Exits only where the gate counts them.
    refused = scan(client, world.gate_id, family.code, world.staff, direction="out")
    assert refused.status_code == 422 and refused.get_json()["code"] == "no_exits"


def test_a_booth_records_one_visit_per_pass(client, world, make_pass):
    made = make_pass(world.festival_id)
    assert scan(client, world.booth_checkpoint_id, made.code, world.staff).get_json()["result"] == "admitted"
    assert scan(client, world.booth_checkpoint_id, made.code, world.staff).get_json()["result"] == "already_admitted"


def test_staff_of_another_city_may_not_scan_here(app, client, world, make_city, make_user, make_pass):
    other_city = make_city("chiang-mai", "เชียงใหม่", "Chiang Mai")
    _, other_staff = make_user("staff", other_city)
    _, other_organiser = make_user("organiser", other_city)
    made = make_pass(world.festival_id)
    for headers in (bearer(other_staff), bearer(other_organiser)):
        refused = scan(client, world.gate_id, made.code, headers)
        assert refused.status_code == 403 and refused.get_json()["code"] == "forbidden"
    batch = client.post(f"/api/v1/checkpoints/{world.gate_id}/scans/batch", headers=bearer(other_staff),
                        json={"device_id": "x", "scans": []})
    assert batch.status_code == 403
    bundle = client.get(f"/api/v1/festivals/{world.slug}/scanner-bundle", headers=bearer(other_staff))
    assert bundle.status_code == 403
    assert stored_scans(app) == []


def test_scanning_needs_a_token_of_a_scanning_role(client, world, make_user, make_pass):
    made = make_pass(world.festival_id)
    assert scan(client, world.gate_id, made.code, {}).status_code == 401
    assert scan(client, world.gate_id, made.code, bearer("tsk_wrong")).get_json()["code"] == "invalid_token"
    _, city_team = make_user("city-team", world.city_id)
    assert scan(client, world.gate_id, made.code, bearer(city_team)).get_json()["code"] == "forbidden_role"
    assert scan(client, world.gate_id, made.code, world.organiser).get_json()["result"] == "admitted"
    assert client.post("/api/v1/checkpoints/999999/scans", json={"code": made.code},
                       headers=world.staff).status_code == 404


def test_bad_scan_input_is_a_422_naming_the_field(client, world, make_pass):
    made = make_pass(world.festival_id)
    cases = [
        ({"code": made.code, "scanned_at": "yesterday"}, "scanned_at"),
        ({"code": made.code, "direction": "sideways"}, "direction"),
        ({"code": "X" * 5000}, "code"),
        ({}, "code"),
        ({"code": 12345}, "code"),
    ]
    for body, field in cases:
        answer = client.post(f"/api/v1/checkpoints/{world.gate_id}/scans", json=body, headers=world.staff)
        assert answer.status_code == 422, body
        assert field in answer.get_json()["errors"], body
    assert client.post(f"/api/v1/checkpoints/{world.gate_id}/scans", data="{not json",
                       headers={**world.staff, "Content-Type": "application/json"}).status_code in (400, 422)


def test_simultaneous_scans_of_one_pass_admit_it_once(app, world, make_pass):
    made = make_pass(world.festival_id, party=(("Kid", "child"),))
    barrier = threading.Barrier(6)
    answers = []
    lock = threading.Lock()

    def one(i):
        client = app.test_client()
        barrier.wait()
        answer = scan(client, world.gate_id, made.code, world.staff, device_id=f"phone-{i}")
        with lock:
            answers.append((answer.status_code, answer.get_json()["result"]))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [(200, "admitted")] + [(200, "already_admitted")] * 5
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Admission)) == 1
        results = db.session.scalars(sa.select(Scan.result).where(Scan.pass_id == made.id)).all()
        # The admission names the one admitted scan (written in the same statement as it on PostgreSQL).
        admission = db.session.scalars(sa.select(Admission)).one()
        admitted = db.session.scalars(sa.select(Scan).where(Scan.pass_id == made.id, Scan.result == "admitted")).one()
        assert (admission.first_scan_id, admission.first_scanned_at, admission.party_size, admission.inside) == (
            admitted.id, admitted.scanned_at, 2, True)
    assert sorted(results) == ["admitted"] + ["already_admitted"] * 5


def test_a_retried_online_scan_with_the_same_local_id_is_answered_from_the_first(app, client, world, make_pass):
    made = make_pass(world.festival_id)
    first = scan(client, world.gate_id, made.code, world.staff, local_id="L1").get_json()
    retry = scan(client, world.gate_id, made.code, world.staff, local_id="L1").get_json()
    assert first["result"] == retry["result"] == "admitted"
    assert first["scan_id"] == retry["scan_id"]
    assert len(stored_scans(app)) == 1
