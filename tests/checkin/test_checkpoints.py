"""Checkpoints API, scanner pairing, live counters and the organiser's console page."""
import re

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from app.database import db
from app.users import ApiToken, User
from checkin.models import ScannerDevice
from tests.checkin.conftest import scan
from tests.conftest import bearer, csrf_from, login


def test_an_organiser_creates_a_gate_a_session_door_and_a_booth(client, world, make_session):
    base = f"/api/v1/festivals/{world.slug}/checkpoints"
    gate = client.post(base, headers=world.organiser, json={
        "name": "East gate", "kind": "gate", "counts_exits": True,
        "opens_at": "2027-08-22T08:00:00+07:00", "closes_at": "2027-08-22T20:00:00+07:00"})
    assert gate.status_code == 201
    body = gate.get_json()
    assert body["kind"] == "gate" and body["counts_exits"] is True
    assert body["opens_at"] == "2027-08-22T08:00:00+07:00" and body["closes_at"] == "2027-08-22T20:00:00+07:00"
    assert body["poster_pdf"] is None
    door = client.post(base, headers=world.organiser,
                       json={"name": "Room 2 door", "kind": "session", "session_id": world.session_id}).get_json()
    assert door["session_id"] == world.session_id and door["poster_pdf"] == f"/api/v1/checkpoints/{door['id']}/poster"
    assert "/p/" in door["poster_visit_url"]
    listed = client.get(base, headers=world.staff).get_json()
    assert [c["name"] for c in listed] == ["Main gate", "Workshop door", "Booth A1", "East gate", "Room 2 door"]


def test_checkpoint_input_is_checked_field_by_field(client, world, make_festival, make_session):
    other_festival = make_festival(world.city_id, slug="other-fest")
    foreign_session = make_session(other_festival)
    base = f"/api/v1/festivals/{world.slug}/checkpoints"
    cases = [
        ({"name": "Door", "kind": "session"}, "session_id", "required"),
        ({"name": "Door", "kind": "session", "session_id": foreign_session}, "session_id", "not_found"),
        ({"name": "Booth", "kind": "booth"}, "booth_id", "required"),
        ({"name": "Gate", "kind": "gate", "session_id": world.session_id}, "session_id", "invalid"),
        ({"name": "Booth", "kind": "booth", "booth_id": world.booth_id, "counts_exits": True}, "counts_exits", "invalid"),
        ({"name": "Gate", "kind": "gate", "opens_at": "2027-08-22T10:00:00+07:00",
          "closes_at": "2027-08-22T09:00:00+07:00"}, "closes_at", "before_opening"),
        ({"name": "Gate", "kind": "tunnel"}, "kind", "validation_error"),
        ({"name": "", "kind": "gate"}, "name", "validation_error"),
        ({"name": "Gate", "kind": "gate", "opens_at": "2027-08-22T10:00:00"}, "opens_at", "validation_error"),
        ({"name": "Gate", "kind": "gate", "session_id": "1; drop"}, "session_id", "validation_error"),
    ]
    for body, field, code in cases:
        answer = client.post(base, headers=world.organiser, json=body)
        assert answer.status_code == 422, body
        assert answer.get_json()["code"] == code, body
        assert field in answer.get_json()["errors"], body
    assert len(client.get(base, headers=world.organiser).get_json()) == 3


def test_only_organisers_of_the_city_create_checkpoints(client, world, make_city, make_user):
    base = f"/api/v1/festivals/{world.slug}/checkpoints"
    assert client.post(base, headers=world.staff, json={"name": "G", "kind": "gate"}).status_code == 403
    _, other = make_user("organiser", make_city("yala", "ยะลา", "Yala"))
    assert client.post(base, headers=bearer(other), json={"name": "G", "kind": "gate"}).status_code == 403
    assert client.get(base, headers=bearer(other)).status_code == 403
    _, admin = make_user("admin")
    assert client.post(base, headers=bearer(admin), json={"name": "G", "kind": "gate"}).status_code == 201
    assert client.post("/api/v1/festivals/nowhere/checkpoints", headers=world.organiser,
                       json={"name": "G", "kind": "gate"}).status_code == 404


def test_a_pairing_code_pairs_one_phone_once_and_its_token_scans(app, client, world, make_pass):
    made = make_pass(world.festival_id)
    pairing = client.post(f"/api/v1/festivals/{world.slug}/scanner-pairings", headers=world.organiser)
    assert pairing.status_code == 201
    code = pairing.get_json()["pairing_code"]
    assert pairing.get_json()["pairing_url"].endswith("/scan?pair=" + code)
    paired = client.post("/api/v1/scanner-devices/pair", json={"pairing_code": code, "label": "Gate phone 1"})
    assert paired.status_code == 201
    token = paired.get_json()["token"]
    assert paired.get_json()["festival"] == world.slug
    assert scan(client, world.gate_id, made.code, bearer(token)).get_json()["result"] == "admitted"
    again = client.post("/api/v1/scanner-devices/pair", json={"pairing_code": code})
    assert again.status_code == 409 and again.get_json()["code"] == "pairing_used"
    forged = client.post("/api/v1/scanner-devices/pair", json={"pairing_code": code[:-3] + "abc"})
    assert forged.status_code == 404 and forged.get_json()["code"] == "invalid_pairing"
    with app.app_context():
        device = db.session.scalar(sa.select(ScannerDevice))
        assert device.label == "Gate phone 1" and device.user_id == world.organiser_id
        assert db.session.get(ApiToken, device.api_token_id).token_hash == device.token_hash


def test_a_revoked_phone_can_no_longer_scan(app, client, world, make_pass):
    made = make_pass(world.festival_id)
    code = client.post(f"/api/v1/festivals/{world.slug}/scanner-pairings",
                       headers=world.organiser).get_json()["pairing_code"]
    token = client.post("/api/v1/scanner-devices/pair", json={"pairing_code": code}).get_json()["token"]
    with app.app_context():
        device_id = db.session.scalar(sa.select(ScannerDevice.id))
    organiser_client = app.test_client()
    _signed_in_organiser(app, organiser_client, world)
    page = organiser_client.get(f"/organiser/festivals/{world.slug}/checkpoints")
    answer = organiser_client.post(f"/organiser/festivals/{world.slug}/checkpoints/devices/{device_id}/revoke",
                                   data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    assert answer.status_code == 303
    refused = scan(client, world.gate_id, made.code, bearer(token))
    assert refused.status_code == 401 and refused.get_json()["code"] == "invalid_token"


def _signed_in_organiser(app, client, world):
    with app.app_context():
        user = db.session.get(User, world.organiser_id)
        user.password_hash = generate_password_hash("organiser-pass")
        email = user.email
        db.session.commit()
    assert login(client, email, "organiser-pass").status_code == 302


def test_the_console_lists_checkpoints_makes_posters_and_shows_live_counters(app, client, world, make_pass):
    _signed_in_organiser(app, client, world)
    made = make_pass(world.festival_id)
    scan(client, world.gate_id, made.code, world.staff)
    page = client.get(f"/organiser/festivals/{world.slug}/checkpoints?lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Main gate" in html and "Workshop door" in html and "Booth A1" in html
    assert f'/organiser/checkpoints/{world.booth_checkpoint_id}/poster.pdf' in html
    assert f'/organiser/checkpoints/{world.gate_id}/poster.pdf' not in html
    assert 'data-refresh="/organiser/festivals/learning-city-days/checkpoints/live"' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    pdf = client.get(f"/organiser/checkpoints/{world.booth_checkpoint_id}/poster.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")

    live = client.get(f"/organiser/festivals/{world.slug}/checkpoints/live?lang=en").get_data(as_text=True)
    row = re.search(rf'<tr data-checkpoint="{world.gate_id}">(.*?)</tr>', live, re.S).group(1)
    assert 'class="admitted">1' in row

    token = csrf_from(html)
    created = client.post(f"/organiser/festivals/{world.slug}/checkpoints", data={
        "csrf_token": token, "name": "West gate", "kind": "gate", "session_id": "0", "booth_id": "0",
        "opens_at": "2027-08-22T08:00", "counts_exits": "y"})
    assert created.status_code == 303
    refused = client.post(f"/organiser/festivals/{world.slug}/checkpoints", data={
        "csrf_token": token, "name": "Door", "kind": "session", "session_id": "0", "booth_id": "0"})
    assert refused.status_code == 422 and "A session door names its session." in refused.get_data(as_text=True)
    listed = client.get(f"/api/v1/festivals/{world.slug}/checkpoints", headers=world.organiser).get_json()
    west = next(c for c in listed if c["name"] == "West gate")
    assert west["opens_at"] == "2027-08-22T08:00:00+07:00" and west["counts_exits"] is True

    rotate = client.post(f"/organiser/checkpoints/{world.booth_checkpoint_id}/poster/rotate",
                         data={"csrf_token": token})
    assert rotate.status_code == 303
    assert client.get(f"/api/v1/checkpoints/{world.booth_checkpoint_id}",
                      headers=world.organiser).get_json()["poster_version"] == 2

    pair = client.post(f"/organiser/festivals/{world.slug}/checkpoints/pair",
                       data={"csrf_token": token, "pair-csrf_token": token, "pair-user_id": str(world.staff_id)})
    pair_html = pair.get_data(as_text=True)
    assert pair.status_code == 200 and "<svg" in pair_html and "/scan?pair=" in pair_html


def test_the_console_is_for_organisers_of_the_city(app, client, world, make_user, make_city):
    assert client.get(f"/organiser/festivals/{world.slug}/checkpoints").status_code == 302  # to /login
    make_user("organiser", make_city("khon-kaen", "ขอนแก่น", "Khon Kaen"), password="pw-elsewhere",
              email="kk@example.org")
    login(client, "kk@example.org", "pw-elsewhere")
    assert client.get(f"/organiser/festivals/{world.slug}/checkpoints").status_code == 403
    assert client.get(f"/organiser/checkpoints/{world.booth_checkpoint_id}/poster.pdf").status_code == 403


def test_checkin_stats_count_admitted_walk_ins_and_attendance_against_bookings(
    app, client, world, make_pass, make_booking
):
    came = make_pass(world.festival_id, name="Came", party=(("Kid", "child"),))
    make_booking(came.id, world.session_id, seats=2)
    no_show = make_pass(world.festival_id, name="No show")
    make_booking(no_show.id, world.session_id)
    scan(client, world.door_id, came.code, world.staff)
    scan(client, world.gate_id, came.code, world.staff)
    scan(client, world.gate_id, "GARBAGE", world.staff)
    stats = client.get(f"/api/v1/festivals/{world.slug}/checkin-stats", headers=world.organiser)
    assert stats.status_code == 200
    body = stats.get_json()
    gate = next(r for r in body["checkpoints"] if r["id"] == world.gate_id)
    assert (gate["admitted_passes"], gate["admitted_people"], gate["scans"]) == (1, 2, {"admitted": 1, "invalid": 1})
    assert body["sessions"] == [{
        "session_id": world.session_id, "title_th": "เวิร์กช็อปทอผ้า", "title_en": "Weaving workshop",
        "starts_at": "2027-08-22T10:00:00+07:00", "capacity": 10, "bookings": 2, "seats_booked": 3,
        "attended_passes": 1, "attended_people": 2, "walk_in_passes": 0, "walk_in_people": 0,
        "attendance_rate": 0.667, "checkpoint_ids": [world.door_id],
    }]
    assert client.get(f"/api/v1/festivals/{world.slug}/checkin-stats", headers=world.staff).status_code == 403
