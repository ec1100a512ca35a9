"""Rehearsal scans: made outside the festival's days (in its zone), answered as usual with
`rehearsal: true`, and taken into account by no counter, stamp card, seat, bundle or later scan."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.database import db
from checkin.models import Admission, Scan
from events.models import ProgrammeSession
from tests.checkin.conftest import FESTIVAL_OPENED, SESSION_START, scan
from tests.conftest import bearer

BANGKOK = ZoneInfo("Asia/Bangkok")
# 23:30 in Bangkok on the evening before the festival opens: still a rehearsal (its zone decides, not UTC's).
EVE = datetime.combine(FESTIVAL_OPENED - timedelta(days=1), datetime.min.time(), BANGKOK).replace(hour=23, minute=30)
# 00:10 in Bangkok on its first day is 17:10 UTC the day before: a real scan.
FIRST_MORNING = datetime.combine(FESTIVAL_OPENED, datetime.min.time(), BANGKOK).replace(minute=10)


def test_a_rehearsal_is_answered_as_usual_and_the_real_scan_still_admits(app, client, world, make_pass):
    made = make_pass(world.festival_id, name="Somchai", party=(("Nok", "child"),))
    tried = scan(client, world.gate_id, made.code, world.staff, scanned_at=EVE.isoformat())
    body = tried.get_json()
    assert tried.status_code == 200
    assert (body["result"], body["rehearsal"], body["pass"]["name"], body["party_size"]) == (
        "admitted", True, "Somchai", 2)
    again = scan(client, world.gate_id, made.code, world.staff, scanned_at=(EVE + timedelta(minutes=5)).isoformat())
    assert (again.get_json()["result"], again.get_json()["rehearsal"]) == ("admitted", True)

    # The first real scan admits: a rehearsal admission must not make it already_admitted.
    real = scan(client, world.gate_id, made.code, world.staff, scanned_at=FIRST_MORNING.isoformat()).get_json()
    assert (real["result"], real["rehearsal"]) == ("admitted", False)
    repeat = scan(client, world.gate_id, made.code, world.staff).get_json()
    assert repeat["result"] == "already_admitted"
    assert repeat["first_scanned_at"] == FIRST_MORNING.isoformat()

    with app.app_context():
        stored = db.session.scalars(sa.select(Scan).order_by(Scan.id)).all()
        assert [(s.result, s.rehearsal) for s in stored] == [
            ("admitted", True), ("admitted", True), ("admitted", False), ("already_admitted", False)]
        admissions = db.session.scalars(sa.select(Admission)).all()
        assert [(a.checkpoint_id, a.first_scanned_at) for a in admissions] == [(world.gate_id, FIRST_MORNING)]

    stats = client.get(f"/api/v1/festivals/{world.slug}/checkin-stats", headers=world.organiser).get_json()
    gate = next(r for r in stats["checkpoints"] if r["id"] == world.gate_id)
    assert (gate["admitted_passes"], gate["admitted_people"], gate["entries"], gate["scans"]) == (
        1, 2, 1, {"admitted": 1, "already_admitted": 1})


def test_a_rehearsal_before_any_real_scan_leaves_no_trace_for_counters_bundle_or_stamp_card(
    app, client, world, make_pass
):
    made = make_pass(world.festival_id)
    for checkpoint in (world.gate_id, world.booth_checkpoint_id):
        answer = scan(client, checkpoint, made.code, world.staff, scanned_at=EVE.isoformat()).get_json()
        assert (answer["result"], answer["rehearsal"]) == ("admitted", True)
    stats = client.get(f"/api/v1/festivals/{world.slug}/checkin-stats", headers=world.organiser).get_json()
    assert all(row["admitted_passes"] == 0 and row["scans"] == {} for row in stats["checkpoints"])
    bundle = client.get(f"/api/v1/festivals/{world.slug}/scanner-bundle", headers=world.staff).get_json()
    assert all(not admitted for admitted in bundle["admitted"].values())
    assert (bundle["festival"]["starts_on"], bundle["festival"]["ends_on"]) == (FESTIVAL_OPENED.isoformat(),
                                                                               "2027-08-23")
    card = client.get(f"/passes/{made.manage_token}/stamp-card?lang=en").get_data(as_text=True)
    assert "0 of 2 booths visited" in card


def test_a_rehearsal_at_a_session_door_takes_no_seat(
    app, client, make_city, make_festival, make_session, make_user, make_checkpoint, make_pass
):
    city = make_city()
    festival = make_festival(city, starts_on=FESTIVAL_OPENED, allow_walk_ins=True)
    session = make_session(festival, starts_at=SESSION_START, capacity=2)
    door = make_checkpoint(festival, "session", session_id=session)
    _, token = make_user("staff", city)
    family = make_pass(festival, name="Family", party=(("Fon", "child"),))
    tried = scan(client, door, family.code, bearer(token), scanned_at=EVE.isoformat()).get_json()
    assert (tried["result"], tried["walk_in"], tried["rehearsal"], tried["party_size"]) == ("admitted", True, True, 2)
    with app.app_context():
        assert db.session.get(ProgrammeSession, session).walk_in_seats == 0
    # On the day, the same family still finds its two seats free.
    real = scan(client, door, family.code, bearer(token)).get_json()
    assert (real["result"], real["walk_in"], real["rehearsal"]) == ("admitted", True, False)
    with app.app_context():
        assert db.session.get(ProgrammeSession, session).walk_in_seats == 2


def test_offline_uploads_made_before_the_festival_are_rehearsals_too(app, client, world, make_pass):
    made = make_pass(world.festival_id)
    upload = {"device_id": "phone-A", "scans": [
        {"local_id": "r-1", "code": made.code, "scanned_at": EVE.astimezone(timezone.utc).isoformat()},
        {"local_id": "d-1", "code": made.code, "scanned_at": FIRST_MORNING.isoformat()},
    ]}
    answer = client.post(f"/api/v1/checkpoints/{world.gate_id}/scans/batch", json=upload, headers=world.staff)
    assert answer.status_code == 200
    assert [(r["local_id"], r["result"], r["rehearsal"]) for r in answer.get_json()["results"]] == [
        ("r-1", "admitted", True), ("d-1", "admitted", False)]
