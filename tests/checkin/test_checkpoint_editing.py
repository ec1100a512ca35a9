"""Organisers edit a checkpoint (name, hours, whether a gate counts exits) through the API and the console;
its kind and what it names stay, the scans and the scanner bundle follow the new hours at once."""
import sqlalchemy as sa

from app.audit import AuditEntry
from app.database import db
from checkin.models import Checkpoint
from tests.checkin.conftest import scan
from tests.conftest import bearer, csrf_from, login

MORNING = {"opens_at": "2027-08-22T08:00:00+07:00", "closes_at": "2027-08-22T12:00:00+07:00"}


def patch(client, checkpoint_id, headers, **body):
    return client.patch(f"/api/v1/checkpoints/{checkpoint_id}", json=body, headers=headers)


def test_an_organiser_renames_a_gate_sets_its_hours_and_the_scans_and_bundle_follow(app, client, world, make_pass):
    answer = patch(client, world.gate_id, world.organiser, name="North gate", counts_exits=True, **MORNING)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert (body["name"], body["kind"], body["counts_exits"]) == ("North gate", "gate", True)
    assert body["opens_at"] == MORNING["opens_at"] and body["closes_at"] == MORNING["closes_at"]

    made = make_pass(world.festival_id)
    late = scan(client, world.gate_id, made.code, world.staff, scanned_at="2027-08-22T13:00:00+07:00").get_json()
    assert late["result"] == "not_open"
    bundle = client.get(f"/api/v1/festivals/{world.slug}/scanner-bundle", headers=world.staff).get_json()
    [gate] = [c for c in bundle["checkpoints"] if c["id"] == world.gate_id]
    assert gate["name"] == "North gate" and gate["closes_at"] == MORNING["closes_at"] and gate["counts_exits"] is True

    # Absent fields stay; null opens the gate all day again.
    again = patch(client, world.gate_id, world.organiser, opens_at=None, closes_at=None).get_json()
    assert (again["name"], again["opens_at"], again["closes_at"], again["counts_exits"]) == ("North gate", None, None, True)
    inside = scan(client, world.gate_id, made.code, world.staff, scanned_at="2027-08-22T13:00:00+07:00").get_json()
    assert inside["result"] == "admitted"

    with app.app_context():
        changes = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.entity == "checkpoints", AuditEntry.action == "update").order_by(AuditEntry.id)).all()
        db.session.remove()
    assert changes[0].before["name"] == "Main gate" and changes[0].after["name"] == "North gate"


def test_what_a_checkpoint_is_cannot_change_and_bad_values_are_refused_field_by_field(app, client, world):
    cases = [
        (world.booth_checkpoint_id, {"counts_exits": True}, "counts_exits", "invalid"),
        (world.gate_id, {"opens_at": "2027-08-22T10:00:00+07:00", "closes_at": "2027-08-22T09:00:00+07:00"},
         "closes_at", "before_opening"),
        (world.gate_id, {"kind": "booth"}, "kind", "validation_error"),
        (world.door_id, {"session_id": 1}, "session_id", "validation_error"),
        (world.gate_id, {"name": ""}, "name", "validation_error"),
        (world.gate_id, {"name": "   "}, "name", "required"),
        (world.gate_id, {"opens_at": "2027-08-22T10:00:00"}, "opens_at", "validation_error"),
        (world.gate_id, {"counts_exits": "maybe"}, "counts_exits", "validation_error"),
    ]
    before = stored(app)
    for checkpoint_id, body, field, code in cases:
        answer = patch(client, checkpoint_id, world.organiser, **body)
        assert answer.status_code == 422, body
        assert answer.get_json()["code"] == code and field in answer.get_json()["errors"], (body, answer.get_json())
    assert stored(app) == before
    # A closing time before the stored opening is caught too, not only one sent with it.
    assert patch(client, world.gate_id, world.organiser, **MORNING).status_code == 200
    morning = stored(app)
    refused = patch(client, world.gate_id, world.organiser, closes_at="2027-08-22T07:00:00+07:00")
    assert refused.status_code == 422 and refused.get_json()["code"] == "before_opening"
    assert stored(app) == morning


def stored(app):
    with app.app_context():
        rows = [tuple(row) for row in db.session.execute(sa.select(
            Checkpoint.id, Checkpoint.name, Checkpoint.kind, Checkpoint.session_id, Checkpoint.booth_id,
            Checkpoint.opens_at, Checkpoint.closes_at, Checkpoint.counts_exits).order_by(Checkpoint.id))]
        db.session.remove()
    return rows


def test_only_the_citys_organisers_edit_checkpoints(client, world, make_city, make_user):
    assert patch(client, world.gate_id, world.staff, name="Mine").status_code == 403
    _, other = make_user("organiser", make_city("yala", "ยะลา", "Yala"))
    assert patch(client, world.gate_id, bearer(other), name="Mine").status_code == 403
    assert patch(client, world.gate_id, {}, name="Mine").status_code == 401
    assert patch(client, 999_999, world.organiser, name="Mine").status_code == 404
    listed = client.get(f"/api/v1/festivals/{world.slug}/checkpoints", headers=world.staff).get_json()
    assert "Mine" not in [c["name"] for c in listed]


def test_the_console_edits_a_checkpoint_in_the_festivals_time_in_thai(app, client, world, make_user):
    make_user("organiser", world.city_id, password="pw-organiser-1", email="noi@bkk.example")
    login(client, "noi@bkk.example", "pw-organiser-1")
    console = client.get(f"/organiser/festivals/{world.slug}/checkpoints?lang=th").get_data(as_text=True)
    assert f'href="/organiser/checkpoints/{world.gate_id}"' in console

    assert patch(client, world.gate_id, world.organiser, **MORNING).status_code == 200
    page = client.get(f"/organiser/checkpoints/{world.gate_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "แก้ไขจุดตรวจ" in html
    # The stored 01:00 UTC is shown as 08:00 in Bangkok, the zone the organiser types in.
    assert 'value="2027-08-22T08:00"' in html and 'value="2027-08-22T12:00"' in html

    token = csrf_from(html)
    bad = client.post(f"/organiser/checkpoints/{world.gate_id}", data={
        "csrf_token": token, "name": "ประตูเหนือ", "opens_at": "2027-08-22T10:00", "closes_at": "2027-08-22T09:00"})
    assert bad.status_code == 422 and 'data-field="closes_at"' in bad.get_data(as_text=True)
    saved = client.post(f"/organiser/checkpoints/{world.gate_id}", data={
        "csrf_token": token, "name": "ประตูเหนือ", "opens_at": "2027-08-22T07:30", "closes_at": "",
        "counts_exits": "y"})
    assert saved.status_code == 303 and saved.headers["Location"].endswith(f"#checkpoint-{world.gate_id}")
    body = client.get(f"/api/v1/checkpoints/{world.gate_id}", headers=world.organiser).get_json()
    assert (body["name"], body["opens_at"], body["closes_at"], body["counts_exits"]) == (
        "ประตูเหนือ", "2027-08-22T07:30:00+07:00", None, True)
    assert "บันทึกจุดตรวจแล้ว" in client.get(f"/organiser/festivals/{world.slug}/checkpoints?lang=th").get_data(
        as_text=True)
