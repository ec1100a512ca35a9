"""Offline scanners: idempotent uploads, the earliest scan wins, and the scanner bundle."""
import base64

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.database import db
from checkin.models import Scan
from registrations import pass_codes
from tests.checkin.conftest import scan
from tests.conftest import bearer


def batch(client, checkpoint_id, headers, device_id, *scans):
    return client.post(f"/api/v1/checkpoints/{checkpoint_id}/scans/batch", headers=headers,
                       json={"device_id": device_id, "scans": list(scans)})


def item(local_id, code, at):
    return {"local_id": local_id, "code": code, "scanned_at": at}


def scans_of(app, pass_id):
    with app.app_context():
        return [(s.device_id, s.local_id, s.result, s.source, s.scanned_at.isoformat())
                for s in db.session.scalars(sa.select(Scan).where(Scan.pass_id == pass_id).order_by(Scan.scanned_at))]


def test_an_upload_sent_twice_changes_nothing_and_answers_the_same(app, client, world, make_pass):
    one, two = make_pass(world.festival_id, name="One"), make_pass(world.festival_id, name="Two")
    upload = [
        item("a-1", one.code, "2027-08-22T09:00:00+07:00"),
        item("a-2", two.code, "2027-08-22T09:01:00+07:00"),
        item("a-3", one.code, "2027-08-22T09:02:00+07:00"),
        item("a-4", "NOT A CODE", "2027-08-22T09:03:00+07:00"),
    ]
    first = batch(client, world.gate_id, world.staff, "phone-A", *upload)
    assert first.status_code == 200
    results = first.get_json()["results"]
    assert [(r["local_id"], r["result"]) for r in results] == [
        ("a-1", "admitted"), ("a-2", "admitted"), ("a-3", "already_admitted"), ("a-4", "invalid"),
    ]
    assert results[0]["pass"]["name"] == "One"
    assert results[2]["first_scanned_at"] == "2027-08-22T09:00:00+07:00"
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(Scan))
    again = batch(client, world.gate_id, world.staff, "phone-A", *upload)
    assert again.get_json() == first.get_json()
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Scan)) == count == 4
        assert {s.source for s in db.session.scalars(sa.select(Scan))} == {"offline"}


def test_two_offline_scanners_the_earliest_scan_wins_even_when_it_arrives_last(app, client, world, make_pass):
    made = make_pass(world.festival_id)
    # Phone B admitted the pass at 09:10 and comes back online first.
    late = batch(client, world.gate_id, world.staff, "phone-B", item("b-1", made.code, "2027-08-22T09:10:00+07:00"))
    assert late.get_json()["results"][0]["result"] == "admitted"
    # Phone A had admitted it at 09:05: its scan is the admission, B's becomes the duplicate.
    early = batch(client, world.gate_id, world.staff, "phone-A", item("a-1", made.code, "2027-08-22T09:05:00+07:00"))
    assert early.get_json()["results"][0]["result"] == "admitted"
    assert scans_of(app, made.id) == [
        ("phone-A", "a-1", "admitted", "offline", "2027-08-22T02:05:00+00:00"),
        ("phone-B", "b-1", "already_admitted", "offline", "2027-08-22T02:10:00+00:00"),
    ]
    # B sending its upload again now hears the truth: already admitted, at 09:05.
    replay = batch(client, world.gate_id, world.staff, "phone-B", item("b-1", made.code, "2027-08-22T09:10:00+07:00"))
    assert replay.get_json()["results"][0]["result"] == "already_admitted"
    assert replay.get_json()["results"][0]["first_scanned_at"] == "2027-08-22T09:05:00+07:00"
    # A later online scan is a duplicate of the 09:05 admission.
    online = scan(client, world.gate_id, made.code, world.staff).get_json()
    assert (online["result"], online["first_scanned_at"]) == ("already_admitted", "2027-08-22T09:05:00+07:00")


def test_an_offline_scan_earlier_than_an_online_admission_takes_its_place(app, client, world, make_pass):
    made = make_pass(world.festival_id)
    online = scan(client, world.gate_id, made.code, world.staff, scanned_at="2027-08-22T10:00:00+07:00")
    assert online.get_json()["result"] == "admitted"
    offline = batch(client, world.gate_id, world.staff, "phone-C", item("c-1", made.code, "2027-08-22T09:30:00+07:00"))
    assert offline.get_json()["results"][0]["result"] == "admitted"
    assert [s[2] for s in scans_of(app, made.id)] == ["admitted", "already_admitted"]


def test_one_upload_with_the_same_pass_twice_admits_the_earlier(app, client, world, make_pass):
    made = make_pass(world.festival_id)
    answer = batch(client, world.gate_id, world.staff, "phone-D",
                   item("d-2", made.code, "2027-08-22T11:00:00+07:00"),
                   item("d-1", made.code, "2027-08-22T10:00:00+07:00"))
    assert [(r["local_id"], r["result"]) for r in answer.get_json()["results"]] == [
        ("d-2", "already_admitted"), ("d-1", "admitted"),
    ]


def test_bad_uploads_are_422_and_store_nothing(app, client, world, make_pass):
    made = make_pass(world.festival_id)
    for body in (
        {"scans": []},
        {"device_id": "p", "scans": "nope"},
        {"device_id": "p", "scans": [{"code": made.code, "scanned_at": "2027-08-22T10:00:00+07:00"}]},
        {"device_id": "p", "scans": [{"local_id": "x", "code": made.code, "scanned_at": "soon"}]},
        {"device_id": "p", "scans": [{"local_id": "x", "code": made.code}]},
    ):
        answer = client.post(f"/api/v1/checkpoints/{world.gate_id}/scans/batch", json=body, headers=world.staff)
        assert answer.status_code == 422, body
        assert answer.get_json()["code"] == "validation_error"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Scan)) == 0


def test_the_scanner_bundle_carries_keys_revocations_bookings_and_an_etag(
    app, client, world, make_pass, make_booking
):
    booked = make_pass(world.festival_id, name="Booked", party=(("Kid", "child"),))
    make_booking(booked.id, world.session_id, "confirmed")
    waiting = make_pass(world.festival_id, name="Waiting")
    make_booking(waiting.id, world.session_id, "waitlisted")
    cancelled = make_pass(world.festival_id, name="Cancelled", status="cancelled")
    reissued = make_pass(world.festival_id, name="Reissued", serial=3)

    answer = client.get(f"/api/v1/festivals/{world.slug}/scanner-bundle", headers=world.staff)
    assert answer.status_code == 200
    bundle = answer.get_json()
    assert bundle["festival"]["id"] == world.festival_id
    assert bundle["festival"]["allow_walk_ins"] is False
    # The keys verify a real pass code, as the scanner page does offline.
    parsed, payload, signature = pass_codes.parse(booked.code)
    key = base64.b64decode(bundle["keys"][0]["base64"])
    assert key.hex() == bundle["keys"][0]["hex"]
    Ed25519PublicKey.from_public_bytes(key).verify(signature, payload)
    assert bundle["revoked"]["cancelled"] == [cancelled.public_id_hex]
    assert bundle["revoked"]["min_serial"] == {reissued.public_id_hex: 3}
    assert bundle["bookings"][str(world.session_id)] == {
        booked.public_id_hex: "confirmed", waiting.public_id_hex: "waitlisted",
    }
    assert bundle["passes"][booked.public_id_hex] == {"name": "Booked", "age_group": "adult", "party_size": 2}
    assert cancelled.public_id_hex not in bundle["passes"]
    assert {c["name"] for c in bundle["checkpoints"]} == {"Main gate", "Workshop door", "Booth A1"}
    assert bundle["sessions"][str(world.session_id)]["seats_confirmed"] == 2

    etag = answer.headers["ETag"]
    unchanged = client.get(f"/api/v1/festivals/{world.slug}/scanner-bundle", headers={**world.staff,
                                                                                       "If-None-Match": etag})
    assert unchanged.status_code == 304
    scan(client, world.gate_id, booked.code, world.staff)
    changed = client.get(f"/api/v1/festivals/{world.slug}/scanner-bundle", headers={**world.staff,
                                                                                     "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert booked.public_id_hex in changed.get_json()["admitted"][str(world.gate_id)]


def test_the_bundle_is_for_staff_and_organisers_of_the_city(client, world, make_user):
    _, city_team = make_user("city-team", world.city_id)
    assert client.get(f"/api/v1/festivals/{world.slug}/scanner-bundle", headers=bearer(city_team)).status_code == 403
    assert client.get(f"/api/v1/festivals/{world.slug}/scanner-bundle").status_code == 401
    assert client.get(f"/api/v1/festivals/{world.slug}/scanner-bundle", headers=world.organiser).status_code == 200
    assert client.get("/api/v1/festivals/nowhere/scanner-bundle", headers=world.staff).status_code == 404
