"""Cities and festivals over the API: who may write, drafts hidden, every validation error with its code."""
from datetime import datetime, timezone

import pytest

from app.database import db
from app.outbox import messages
from events.models import Festival
from tests.conftest import bearer


def festival_payload(**changes):
    payload = {
        "city": "bangkok",
        "slug": "bangkok-learning-festival-2027",
        "name_th": "มหกรรมเมืองแห่งการเรียนรู้กรุงเทพฯ",
        "name_en": "Bangkok Learning Festival",
        "starts_on": "2027-03-06",
        "ends_on": "2027-03-07",
        "venue_en": "Na at Bangkok1899",
    }
    payload.update(changes)
    return payload


def test_cities_are_public_and_only_an_admin_adds_one(client, world):
    listed = client.get("/api/v1/cities").get_json()
    assert [c["slug"] for c in listed] == ["bangkok", "chiang-mai"]
    assert listed[0]["name_th"] == "กรุงเทพมหานคร"

    city = {"slug": "phuket", "name_th": "ภูเก็ต", "name_en": "Phuket", "member_since": 2019, "unit": "city municipality"}
    assert client.post("/api/v1/cities", json=city).status_code == 401
    refused = client.post("/api/v1/cities", json=city, headers=world.bangkok_organiser)
    assert refused.status_code == 403 and refused.get_json()["code"] == "forbidden_role"
    made = client.post("/api/v1/cities", json=city, headers=world.admin)
    assert made.status_code == 201
    assert made.get_json()["slug"] == "phuket" and made.get_json()["member_since"] == 2019
    again = client.post("/api/v1/cities", json=city, headers=world.admin)
    assert again.status_code == 409
    assert again.get_json()["code"] == "duplicate" and again.get_json()["field"] == "slug"


def test_an_organiser_creates_a_draft_festival_of_their_city(client, world):
    answer = client.post("/api/v1/festivals", json=festival_payload(), headers=world.bangkok_organiser)
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["status"] == "draft"
    assert body["city"] == "bangkok" and body["timezone"] == "Asia/Bangkok"
    assert (body["starts_on"], body["ends_on"]) == ("2027-03-06", "2027-03-07")
    # A draft announces nothing yet.
    with client.application.app_context():
        assert messages("programme.changed") == []


def test_a_festival_slug_defaults_to_the_english_name_and_year(client, world):
    payload = festival_payload()
    del payload["slug"]
    answer = client.post("/api/v1/festivals", json=payload, headers=world.bangkok_organiser)
    assert answer.status_code == 201
    assert answer.get_json()["slug"] == "bangkok-learning-festival-2027"


def test_an_organiser_of_another_city_is_refused_every_write(client, world, make_session):
    session_id = make_session(world.festival_id)
    other = world.chiang_mai_organiser
    created = client.post("/api/v1/festivals", json=festival_payload(), headers=other)
    assert created.status_code == 403 and created.get_json()["code"] == "forbidden"
    writes = [
        ("patch", f"/api/v1/festivals/{world.slug}", {"name_en": "Mine now"}),
        ("post", f"/api/v1/festivals/{world.slug}/venues", {"name_en": "Annex", "kind": "room"}),
        ("post", f"/api/v1/festivals/{world.slug}/booths", {"name_en": "A booth"}),
        ("post", f"/api/v1/festivals/{world.slug}/sessions", {"title_en": "x", "kind": "talk",
                                                              "starts_at": "2027-08-22T10:00:00+07:00",
                                                              "ends_at": "2027-08-22T11:00:00+07:00"}),
        ("patch", f"/api/v1/venues/{world.stage_id}", {"name_en": "Renamed"}),
        ("patch", f"/api/v1/sessions/{session_id}", {"title_en": "Mine"}),
        ("delete", f"/api/v1/sessions/{session_id}", None),
    ]
    for method, path, body in writes:
        answer = getattr(client, method)(path, json=body, headers=other)
        assert answer.status_code == 403, (path, answer.get_json())
        assert answer.get_json()["code"] == "forbidden"
        assert client.open(path, method=method.upper(), json=body).status_code == 401
    # Staff of the right city are not organisers.
    staff = client.patch(f"/api/v1/festivals/{world.slug}", json={"name_en": "x"}, headers=world.bangkok_staff)
    assert staff.status_code == 403 and staff.get_json()["code"] == "forbidden_role"
    with client.application.app_context():
        assert db.session.get(Festival, world.festival_id).name_en == "Learning City Days"


def test_a_draft_is_invisible_to_the_public_until_published(client, world):
    path = f"/api/v1/festivals/{world.slug}"
    assert client.get(path).status_code == 404
    assert client.get(path + "/sessions").status_code == 404
    assert client.get(path + "/venues").status_code == 404
    assert client.get(path + "/booths").status_code == 404
    assert world.slug not in [f["slug"] for f in client.get("/api/v1/festivals").get_json()]
    # Its own city's organiser and an admin see it; another city's organiser does not.
    assert client.get(path, headers=world.bangkok_organiser).status_code == 200
    assert client.get(path, headers=world.admin).status_code == 200
    assert client.get(path, headers=world.chiang_mai_organiser).status_code == 404
    listed = client.get("/api/v1/festivals", headers=world.bangkok_organiser).get_json()
    assert [f["slug"] for f in listed] == [world.slug]
    assert client.get("/api/v1/festivals", headers=world.chiang_mai_organiser).get_json() == []

    published = client.patch(path, json={"status": "published"}, headers=world.bangkok_organiser)
    assert published.status_code == 200 and published.get_json()["status"] == "published"
    assert client.get(path).get_json()["name_en"] == "Learning City Days"
    assert [f["slug"] for f in client.get("/api/v1/festivals?city=bangkok").get_json()] == [world.slug]
    assert client.get("/api/v1/festivals?city=chiang-mai").get_json() == []
    with client.application.app_context():
        assert [m.payload for m in messages("programme.changed")] == [{"festival_id": world.festival_id}]


@pytest.mark.parametrize(
    ("changes", "status", "code", "field"),
    [
        ({"ends_on": "2027-03-05"}, 422, "ends_before_start", "ends_on"),
        ({"timezone": "Asia/Krung_Thep"}, 422, "invalid_timezone", "timezone"),
        ({"timezone": "../../etc/passwd"}, 422, "invalid_timezone", "timezone"),
        ({"starts_on": "not-a-date"}, 422, "validation_error", "starts_on"),
        ({"status": "live"}, 422, "validation_error", "status"),
        ({"slug": "Not A Slug"}, 422, "validation_error", "slug"),
        ({"slug": "learning-city-days"}, 409, "duplicate", "slug"),
        ({"name_th": "", "name_en": ""}, 422, "required", "name_th"),
        ({"name_en": "x\x00y"}, 422, "invalid", "name_en"),
        ({"ends_on": "2029-03-07"}, 422, "too_long", "ends_on"),
        ({"city": "atlantis"}, 422, "not_found", "city"),
        ({"surprise": 1}, 422, "validation_error", "surprise"),
    ],
)
def test_festival_validation_names_the_code_and_field(client, world, changes, status, code, field):
    answer = client.post("/api/v1/festivals", json=festival_payload(**changes), headers=world.admin)
    assert answer.status_code == status, answer.get_json()
    body = answer.get_json()
    assert body["code"] == code
    assert body["field"] == field
    assert field in body["errors"]


def test_patch_checks_the_festival_as_it_will_be(client, world, make_session):
    make_session(world.festival_id, starts_at=datetime(2027, 8, 23, 3, 0, tzinfo=timezone.utc))
    path = f"/api/v1/festivals/{world.slug}"
    shorter = client.patch(path, json={"ends_on": "2027-08-22"}, headers=world.bangkok_organiser)
    assert shorter.status_code == 422
    assert shorter.get_json()["code"] == "outside_festival" and shorter.get_json()["sessions_outside"] == 1
    backwards = client.patch(path, json={"starts_on": "2027-08-24"}, headers=world.bangkok_organiser)
    assert backwards.status_code == 422 and backwards.get_json()["code"] == "ends_before_start"
    renamed = client.patch(path, json={"slug": "lcd-2027"}, headers=world.bangkok_organiser)
    assert renamed.status_code == 200 and renamed.get_json()["slug"] == "lcd-2027"
    client.patch("/api/v1/festivals/lcd-2027", json={"status": "published"}, headers=world.bangkok_organiser)
    locked = client.patch("/api/v1/festivals/lcd-2027", json={"slug": "lcd"}, headers=world.bangkok_organiser)
    assert locked.status_code == 422 and locked.get_json()["code"] == "slug_locked"


@pytest.mark.parametrize("zone", ["localtime", "Factory", "UTC", "Etc/GMT+7", "US/Eastern", "posix/Asia/Bangkok", "Asia"])
def test_patch_refuses_a_zone_that_is_no_place(client, world, zone):
    """`localtime` is whatever the server is set to and `Factory` no zone at all: both are in the
    zone database, neither says where the festival happens."""
    path = f"/api/v1/festivals/{world.slug}"
    answer = client.patch(path, json={"timezone": zone}, headers=world.bangkok_organiser)
    assert answer.status_code == 422, answer.get_json()
    assert answer.get_json()["code"] == "invalid_timezone" and answer.get_json()["field"] == "timezone"
    assert client.get(path, headers=world.bangkok_organiser).get_json()["timezone"] == "Asia/Bangkok"
    moved = client.patch(path, json={"timezone": "Asia/Yangon"}, headers=world.bangkok_organiser)
    assert moved.status_code == 200 and moved.get_json()["timezone"] == "Asia/Yangon"


def test_lookups_that_cannot_match_are_404_not_500(client, world):
    assert client.get("/api/v1/festivals/%00").status_code == 404
    assert client.get("/api/v1/festivals/" + "a" * 500).status_code == 404
    assert client.get("/api/v1/sessions/99999999999999999999").status_code == 404
    nul = client.get("/api/v1/festivals?city=%00")  # a NUL in an API query is refused at the door (app/input_guard.py)
    assert nul.status_code == 422 and nul.get_json()["field"] == "city"
    assert client.get("/api/v1/booths/2147483648").status_code == 404


def test_a_bad_token_is_401_even_on_a_public_read(client, world):
    answer = client.get("/api/v1/festivals", headers=bearer("tsk_nope"))
    assert answer.status_code == 401 and answer.get_json()["code"] == "invalid_token"
