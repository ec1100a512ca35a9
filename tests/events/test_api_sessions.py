"""Sessions over the API: the payload, every validation error, clashes, and what booked visitors get told."""
import secrets
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from app.database import db, now_utc
from app.outbox import messages
from events import services
from events.models import ProgrammeSession
from events.schemas import SessionSchema, session_payload
from registrations.models import Booking, Pass
from tests.events.conftest import session_fields


def publish(client, world):
    answer = client.patch(f"/api/v1/festivals/{world.slug}", json={"status": "published"}, headers=world.admin)
    assert answer.status_code == 200


def post_session(client, world, **changes):
    return client.post(
        f"/api/v1/festivals/{world.slug}/sessions", json=session_fields(**changes), headers=world.bangkok_organiser
    )


def topics(app):
    with app.app_context():
        return [(m.topic, m.payload) for m in messages()]


def test_a_session_comes_back_as_the_contract_names_it(client, world):
    answer = post_session(client, world, venue_id=world.room_id)
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["festival"] == world.slug
    assert body["starts_at"] == "2027-08-22T10:00:00+07:00" and body["ends_at"] == "2027-08-22T11:30:00+07:00"
    assert body["capacity"] == 30 and body["seats_left"] == 30 and body["waitlist_length"] == 0
    assert body["venue_id"] == world.room_id and body["venue"]["name_en"] == "Workshop room 1"
    assert body["themes"] == ["lifelong-culture"] and body["age_groups"] == ["adult", "senior"]
    assert body["hosts"] == ["Khru Boonmee"] and body["language"] == "th"
    assert body["status"] == "scheduled" and body["kind"] == "workshop"
    for field in ("title_th", "title_en", "description_th", "description_en"):
        assert field in body
    assert client.get(f"/api/v1/sessions/{body['id']}", headers=world.admin).get_json() == body


def test_times_without_an_offset_are_read_in_the_festival_zone(client, world):
    answer = post_session(client, world, starts_at="2027-08-22T14:00:00", ends_at="2027-08-22T15:00:00")
    assert answer.status_code == 201
    assert answer.get_json()["starts_at"] == "2027-08-22T14:00:00+07:00"
    utc = post_session(client, world, starts_at="2027-08-22T09:00:00Z", ends_at="2027-08-22T10:00:00Z")
    assert utc.get_json()["starts_at"] == "2027-08-22T16:00:00+07:00"


def test_open_sessions_have_no_seats_to_count(client, world):
    body = post_session(client, world, capacity=None).get_json()
    assert body["capacity"] is None and body["seats_left"] is None


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"starts_at": "2027-08-21T10:00:00+07:00", "ends_at": "2027-08-21T11:00:00+07:00"}, "outside_festival", "starts_at"),
        # 23:30 on the last day to 00:30 the day after: ends outside.
        ({"starts_at": "2027-08-23T23:30:00+07:00", "ends_at": "2027-08-24T00:30:00+07:00"}, "outside_festival", "ends_at"),
        # 05:00 UTC on the 24th is noon in Bangkok on the 24th: outside, though the UTC date is inside.
        ({"starts_at": "2027-08-24T05:00:00+00:00", "ends_at": "2027-08-24T06:00:00+00:00"}, "outside_festival", "starts_at"),
        ({"ends_at": "2027-08-22T09:00:00+07:00"}, "ends_before_start", "ends_at"),
        ({"ends_at": "2027-08-22T10:00:00+07:00"}, "ends_before_start", "ends_at"),
        ({"venue_id": 987654}, "venue_not_in_festival", "venue_id"),
        ({"kind": "party"}, "validation_error", "kind"),
        ({"themes": ["happiness"]}, "validation_error", "themes"),
        ({"age_groups": ["toddler"]}, "validation_error", "age_groups"),
        ({"language": "fr"}, "validation_error", "language"),
        ({"capacity": -1}, "validation_error", "capacity"),
        ({"capacity": 10**12}, "validation_error", "capacity"),
        ({"title_th": "", "title_en": ""}, "required", "title_th"),
        ({"starts_at": "tomorrow"}, "validation_error", "starts_at"),
        ({"starts_at": "0001-01-01T00:00:00+14:00"}, "out_of_range", "starts_at"),
        ({"hosts": "one person"}, "validation_error", "hosts"),
    ],
)
def test_session_validation_names_the_code_and_field(client, world, changes, code, field):
    answer = post_session(client, world, **changes)
    assert answer.status_code == 422, answer.get_json()
    body = answer.get_json()
    assert (body["code"], body["field"]) == (code, field)
    assert field in body["errors"]
    with client.application.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ProgrammeSession)) == 0


def test_a_venue_of_another_festival_is_refused(client, world, make_festival, make_venue):
    other_festival = make_festival(world.bangkok, slug="another-festival")
    elsewhere = make_venue(other_festival, "Elsewhere", "ที่อื่น", "room")
    answer = post_session(client, world, venue_id=elsewhere)
    assert answer.status_code == 422 and answer.get_json()["code"] == "venue_not_in_festival"


def test_two_sessions_in_one_venue_at_once_clash_naming_the_other(client, world):
    first = post_session(client, world, venue_id=world.stage_id).get_json()
    clash = post_session(
        client, world, venue_id=world.stage_id, starts_at="2027-08-22T11:00:00+07:00", ends_at="2027-08-22T12:00:00+07:00"
    )
    assert clash.status_code == 409
    assert clash.get_json()["code"] == "clash" and clash.get_json()["session_id"] == first["id"]
    # Back to back is fine, and so is another venue at the same time.
    assert post_session(
        client, world, venue_id=world.stage_id, starts_at="2027-08-22T11:30:00+07:00", ends_at="2027-08-22T12:00:00+07:00"
    ).status_code == 201
    assert post_session(client, world, venue_id=world.room_id).status_code == 201
    # A cancelled session frees its venue.
    assert client.patch(f"/api/v1/sessions/{first['id']}", json={"status": "cancelled"}, headers=world.admin).status_code == 200
    assert post_session(client, world, venue_id=world.stage_id).status_code == 201
    # ... and cannot be reinstated over the session that took its place.
    reinstated = client.patch(f"/api/v1/sessions/{first['id']}", json={"status": "scheduled"}, headers=world.admin)
    assert reinstated.status_code == 409 and reinstated.get_json()["code"] == "clash"


def test_moving_into_a_taken_slot_is_a_clash_too(client, world):
    first = post_session(client, world, venue_id=world.stage_id).get_json()
    second = post_session(client, world, venue_id=world.room_id).get_json()
    answer = client.patch(f"/api/v1/sessions/{second['id']}", json={"venue_id": world.stage_id}, headers=world.admin)
    assert answer.status_code == 409 and answer.get_json()["session_id"] == first["id"]
    # The session changing its own times never clashes with itself.
    later = client.patch(
        f"/api/v1/sessions/{first['id']}", json={"ends_at": "2027-08-22T12:00:00+07:00"}, headers=world.admin
    )
    assert later.status_code == 200


def test_a_published_session_that_moves_tells_visitors_what_changed(app, client, world):
    publish(client, world)
    session = post_session(client, world, venue_id=world.room_id).get_json()
    before = topics(app)
    answer = client.patch(
        f"/api/v1/sessions/{session['id']}",
        json={"starts_at": "2027-08-22T13:00:00+07:00", "ends_at": "2027-08-22T14:30:00+07:00", "venue_id": world.stage_id},
        headers=world.bangkok_organiser,
    )
    assert answer.status_code == 200
    assert answer.get_json()["sequence"] == session["sequence"] + 1
    new = topics(app)[len(before):]
    assert new == [
        (
            "session.moved",
            {
                "session_id": session["id"],
                "festival_id": world.festival_id,
                "changes": {
                    "starts_at": ["2027-08-22T10:00:00+07:00", "2027-08-22T13:00:00+07:00"],
                    "ends_at": ["2027-08-22T11:30:00+07:00", "2027-08-22T14:30:00+07:00"],
                    "venue_id": [world.room_id, world.stage_id],
                },
            },
        ),
        ("programme.changed", {"festival_id": world.festival_id}),
    ]


def test_a_title_change_is_no_move_but_changes_the_programme_and_sequence(app, client, world):
    publish(client, world)
    session = post_session(client, world).get_json()
    before = topics(app)
    answer = client.patch(f"/api/v1/sessions/{session['id']}", json={"title_en": "Lacquer"}, headers=world.admin)
    assert answer.get_json()["sequence"] == session["sequence"] + 1
    assert topics(app)[len(before):] == [("programme.changed", {"festival_id": world.festival_id})]
    # Sending the same values again changes nothing and announces nothing.
    same = client.patch(f"/api/v1/sessions/{session['id']}", json={"title_en": "Lacquer"}, headers=world.admin)
    assert same.get_json()["sequence"] == session["sequence"] + 1
    assert len(topics(app)) == len(before) + 1


def test_cancelling_a_published_session_emits_session_cancelled(app, client, world):
    publish(client, world)
    session = post_session(client, world).get_json()
    before = topics(app)
    answer = client.patch(f"/api/v1/sessions/{session['id']}", json={"status": "cancelled"}, headers=world.bangkok_organiser)
    assert answer.status_code == 200 and answer.get_json()["status"] == "cancelled"
    assert topics(app)[len(before):] == [
        ("session.cancelled", {"session_id": session["id"], "festival_id": world.festival_id}),
        ("programme.changed", {"festival_id": world.festival_id}),
    ]
    # The programme still lists it, marked.
    listed = client.get(f"/api/v1/festivals/{world.slug}/sessions").get_json()
    assert [(s["id"], s["status"]) for s in listed] == [(session["id"], "cancelled")]


def test_changes_to_a_draft_announce_nothing(app, client, world):
    session = post_session(client, world).get_json()
    client.patch(
        f"/api/v1/sessions/{session['id']}",
        json={"starts_at": "2027-08-23T10:00:00+07:00", "ends_at": "2027-08-23T11:00:00+07:00"},
        headers=world.admin,
    )
    client.patch(f"/api/v1/sessions/{session['id']}", json={"status": "cancelled"}, headers=world.admin)
    assert topics(app) == []


def _book(app, session_id, festival_id):
    with app.app_context():
        visitor = Pass(
            festival_id=festival_id,
            public_id=secrets.token_bytes(8),
            manage_token="m" + secrets.token_hex(8),
            manage_token_hash=secrets.token_hex(32),
            feed_token="f" + secrets.token_hex(8),
            feed_token_hash=secrets.token_hex(32),
            name="Malee",
            email="malee@example.org",
            age_group="adult",
            consent_version="1",
            consent_locale="th",
            consent_text_sha256="0" * 64,
            consent_at=now_utc(),
        )
        db.session.add(visitor)
        db.session.flush()
        db.session.add(Booking(pass_id=visitor.id, session_id=session_id, seats=1, status="confirmed"))
        db.session.commit()


def test_a_session_with_bookings_cannot_be_deleted_only_cancelled(app, client, world):
    booked = post_session(client, world).get_json()
    free = post_session(client, world, starts_at="2027-08-23T10:00:00+07:00", ends_at="2027-08-23T11:00:00+07:00").get_json()
    _book(app, booked["id"], world.festival_id)
    refused = client.delete(f"/api/v1/sessions/{booked['id']}", headers=world.bangkok_organiser)
    assert refused.status_code == 409
    assert refused.get_json()["code"] == "has_bookings" and "cancel" in refused.get_json()["message"]
    assert client.delete(f"/api/v1/sessions/{free['id']}", headers=world.chiang_mai_organiser).status_code == 403
    assert client.delete(f"/api/v1/sessions/{free['id']}", headers=world.bangkok_organiser).status_code == 204
    ids = [s["id"] for s in client.get(f"/api/v1/festivals/{world.slug}/sessions", headers=world.admin).get_json()]
    assert ids == [booked["id"]]


def test_the_programme_filters_by_day_kind_theme_age_group_and_venue(client, world):
    publish(client, world)
    made = [
        post_session(client, world, title_en="A", venue_id=world.stage_id, kind="talk", themes=["workplace"],
                     age_groups=["adult"]),
        post_session(client, world, title_en="B", venue_id=world.room_id, kind="workshop", themes=["family-community"],
                     age_groups=["child", "adult"]),
        post_session(client, world, title_en="C", venue_id=world.stage_id, kind="performance",
                     starts_at="2027-08-23T19:00:00+07:00", ends_at="2027-08-23T20:00:00+07:00",
                     themes=["lifelong-culture"], age_groups=["senior"]),
    ]
    assert all(answer.status_code == 201 for answer in made)
    base = f"/api/v1/festivals/{world.slug}/sessions"

    def titles(query=""):
        answer = client.get(base + query)
        assert answer.status_code == 200
        return [s["title_en"] for s in answer.get_json()]

    assert titles() == ["A", "B", "C"]  # by start, then venue order
    assert titles("?day=2027-08-22") == ["A", "B"]
    assert titles("?day=2027-08-23") == ["C"]
    assert titles("?kind=workshop") == ["B"]
    assert titles("?theme=workplace") == ["A"]
    assert titles("?age_group=adult") == ["A", "B"]
    assert titles(f"?venue={world.stage_id}") == ["A", "C"]
    assert titles("?day=2027-08-22&age_group=child") == ["B"]
    for bad in ("?day=not-a-date", "?kind=party", "?theme=x", "?age_group=baby", "?venue=0", "?venue=abc"):
        answer = client.get(base + bad)
        assert answer.status_code == 422, bad
        assert answer.get_json()["code"] == "validation_error"


def test_venues_and_booths_round_trip(client, world):
    venue = client.post(
        f"/api/v1/festivals/{world.slug}/venues",
        json={"name_th": "ลานบูธ", "name_en": "Booth zone", "kind": "zone"},
        headers=world.bangkok_organiser,
    )
    assert venue.status_code == 201 and venue.get_json()["kind"] == "zone"
    duplicate = client.post(
        f"/api/v1/festivals/{world.slug}/venues", json={"name_en": "booth ZONE", "kind": "zone"}, headers=world.admin
    )
    assert duplicate.status_code == 409 and duplicate.get_json()["code"] == "duplicate"
    bad_kind = client.post(f"/api/v1/festivals/{world.slug}/venues", json={"name_en": "X", "kind": "tent"}, headers=world.admin)
    assert bad_kind.status_code == 422 and bad_kind.get_json()["field"] == "kind"

    booth = client.post(
        f"/api/v1/festivals/{world.slug}/booths",
        json={"code": "A1", "name_th": "บพท.", "name_en": "PMU A", "exhibitor": "PMU A", "themes": ["workplace"],
              "venue_id": venue.get_json()["id"]},
        headers=world.bangkok_organiser,
    )
    assert booth.status_code == 201, booth.get_json()
    booth_id = booth.get_json()["id"]
    same_code = client.post(f"/api/v1/festivals/{world.slug}/booths", json={"code": "A1", "name_en": "Other"}, headers=world.admin)
    assert same_code.status_code == 409 and same_code.get_json()["field"] == "code"
    patched = client.patch(f"/api/v1/booths/{booth_id}", json={"name_en": "PMU A (Bor Por Tor)"}, headers=world.admin)
    assert patched.get_json()["name_en"] == "PMU A (Bor Por Tor)" and patched.get_json()["festival"] == world.slug
    assert client.patch(f"/api/v1/booths/{booth_id}", json={"name_en": "x"}, headers=world.chiang_mai_organiser).status_code == 403
    publish(client, world)
    listed = client.get(f"/api/v1/festivals/{world.slug}/booths").get_json()
    assert [b["code"] for b in listed] == ["A1"]
    venues = client.get(f"/api/v1/festivals/{world.slug}/venues").get_json()
    assert [v["name_en"] for v in venues] == ["Main stage", "Workshop room 1", "Booth zone"]


def test_renaming_a_venue_raises_the_sequence_of_its_sessions(app, client, world):
    session = post_session(client, world, venue_id=world.stage_id).get_json()
    answer = client.patch(f"/api/v1/venues/{world.stage_id}", json={"name_en": "Garden stage"}, headers=world.admin)
    assert answer.status_code == 200 and answer.get_json()["name_en"] == "Garden stage"
    again = client.get(f"/api/v1/sessions/{session['id']}", headers=world.admin).get_json()
    assert again["sequence"] == session["sequence"] + 1 and again["venue"]["name_en"] == "Garden stage"


def test_lowering_capacity_below_bookings_is_stored(app, client, world):
    session = post_session(client, world, capacity=30).get_json()
    with app.app_context():
        db.session.execute(sa.update(ProgrammeSession).values(seats_confirmed=25))
        db.session.commit()
    answer = client.patch(f"/api/v1/sessions/{session['id']}", json={"capacity": 20}, headers=world.admin)
    assert answer.status_code == 200
    assert answer.get_json()["capacity"] == 20 and answer.get_json()["seats_left"] == 0


def test_sessions_of_a_draft_are_hidden_from_the_public(client, world, make_session):
    session_id = make_session(world.festival_id, starts_at=datetime(2027, 8, 22, 3, 0, tzinfo=timezone.utc))
    assert client.get(f"/api/v1/sessions/{session_id}").status_code == 404
    assert client.get(f"/api/v1/sessions/{session_id}", headers=world.chiang_mai_organiser).status_code == 404
    assert client.get(f"/api/v1/sessions/{session_id}", headers=world.bangkok_organiser).status_code == 200


def test_the_fast_programme_rendering_matches_the_schema(app, client, world):
    publish(client, world)
    post_session(client, world, venue_id=world.room_id)
    post_session(client, world, capacity=None, starts_at="2027-08-23T10:00:00+07:00", ends_at="2027-08-23T11:00:00+07:00")
    with app.app_context():
        festival = services.festival_by_slug(world.slug)
        sessions = services.programme(festival)
        assert [session_payload(s) for s in sessions] == SessionSchema(many=True).dump(sessions)
    listed = client.get(f"/api/v1/festivals/{world.slug}/sessions").get_json()
    assert [s["venue"] and s["venue"]["id"] for s in listed] == [world.room_id, None]
