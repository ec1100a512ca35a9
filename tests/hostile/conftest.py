"""Hostile-input fixtures: a small published festival built through the API itself, with
every kind of object a path can name (venue, session, booth, checkpoints, a pass and its
booking, a report), and helpers that count rows to prove a refusal stored nothing."""
from dataclasses import dataclass, field

import jsonschema_rs
import pytest
import sqlalchemy as sa

from app.database import db
from tests.conftest import bearer

SLUG = "hostile-days"


@dataclass
class World:
    admin: dict
    organiser: dict
    staff: dict
    other_organiser: dict
    tokens: dict
    slug: str = SLUG
    city: str = "khon-kaen"
    city_id: int = 0
    ids: dict = field(default_factory=dict)


def _ok(answer, status=(200, 201, 202)):
    assert answer.status_code in ((status,) if isinstance(status, int) else status), answer.get_data(as_text=True)
    return answer.get_json()


@pytest.fixture
def world(client, make_city, make_user):
    """A published festival of Khon Kaen with two venues, two sessions, a booth, three
    checkpoints, a pass with a confirmed booking and a queued report."""
    city_id = make_city("khon-kaen", "ขอนแก่น", "Khon Kaen")
    other_city = make_city("chiang-mai", "เชียงใหม่", "Chiang Mai")
    _, admin_token = make_user("admin")
    _, organiser_token = make_user("organiser", city_id=city_id)
    _, staff_token = make_user("staff", city_id=city_id)
    _, other_token = make_user("organiser", city_id=other_city)
    w = World(
        admin=bearer(admin_token),
        organiser=bearer(organiser_token),
        staff=bearer(staff_token),
        other_organiser=bearer(other_token),
        tokens={"admin": admin_token, "organiser": organiser_token, "staff": staff_token, "other": other_token},
        city_id=city_id,
    )
    admin = w.admin
    _ok(client.post("/api/v1/festivals", headers=admin, json={
        "city": "khon-kaen", "slug": SLUG, "name_th": "วันเรียนรู้ขอนแก่น", "name_en": "Khon Kaen Learning Days",
        "starts_on": "2027-08-22", "ends_on": "2027-08-23", "venue_th": "ศูนย์ประชุม", "venue_en": "Convention hall",
        "address": "Khon Kaen",
    }))
    base = f"/api/v1/festivals/{SLUG}"
    stage = _ok(client.post(f"{base}/venues", headers=admin, json={"name_th": "เวที", "name_en": "Stage", "kind": "stage"}))
    room = _ok(client.post(f"{base}/venues", headers=admin,
                           json={"name_th": "ห้อง 1", "name_en": "Room 1", "kind": "room", "capacity": 40}))
    talk = _ok(client.post(f"{base}/sessions", headers=admin, json={
        "title_th": "เสวนา", "title_en": "Talk", "kind": "talk", "venue_id": stage["id"],
        "starts_at": "2027-08-22T10:00:00+07:00", "ends_at": "2027-08-22T11:00:00+07:00",
    }))
    workshop = _ok(client.post(f"{base}/sessions", headers=admin, json={
        "title_th": "ทอผ้า", "title_en": "Weaving", "kind": "workshop", "venue_id": room["id"], "capacity": 20,
        "starts_at": "2027-08-22T13:00:00+07:00", "ends_at": "2027-08-22T14:00:00+07:00",
        "themes": ["lifelong-culture"], "age_groups": ["adult"],
    }))
    booth = _ok(client.post(f"{base}/booths", headers=admin, json={
        "code": "A1", "name_th": "บูธ", "name_en": "Booth", "exhibitor": "KKU",
    }))
    _ok(client.patch(base, headers=admin, json={"status": "published", "allow_self_checkin": True}))
    gate = _ok(client.post(f"{base}/checkpoints", headers=admin, json={"name": "Gate", "kind": "gate"}))
    door = _ok(client.post(f"{base}/checkpoints", headers=admin,
                           json={"name": "Room 1 door", "kind": "session", "session_id": workshop["id"]}))
    booth_point = _ok(client.post(f"{base}/checkpoints", headers=admin,
                                  json={"name": "Booth A1", "kind": "booth", "booth_id": booth["id"]}))
    visitor = _ok(client.post(f"{base}/passes", json={
        "name": "นก ขอนแก่น", "email": "nok@example.org", "age_group": "adult", "consent": True, "locale": "th",
        "party": [{"name": "น้อง", "age_group": "child"}],
    }))
    booking = _ok(client.post(f"/api/v1/passes/{visitor['manage_token']}/bookings", json={"session_id": workshop["id"]}))
    report = _ok(client.post(f"{base}/reports", headers=admin, json={"formats": ["csv"]}))
    # Objects for the operations that destroy what they name, so the others keep real rows to work on.
    spare_pass = _ok(client.post(f"{base}/passes", json={
        "name": "Spare", "email": "spare@example.org", "age_group": "senior", "consent": True, "locale": "en",
    }))
    _ok(client.post("/api/v1/festivals", headers=admin, json={
        "city": "khon-kaen", "slug": "scratch-days", "name_th": "ทดลอง", "name_en": "Scratch Days",
        "starts_on": "2027-09-01", "ends_on": "2027-09-02",
    }))
    w.ids = {
        "stage": stage["id"], "room": room["id"], "talk": talk["id"], "workshop": workshop["id"], "booth": booth["id"],
        "gate": gate["id"], "door": door["id"], "booth_point": booth_point["id"], "pass": visitor["id"],
        "manage_token": visitor["manage_token"], "code": visitor["code"], "booking": booking["id"],
        "report": report["id"], "spare_token": spare_pass["manage_token"], "scratch_slug": "scratch-days",
    }
    return w


@pytest.fixture
def row_counts(app):
    """row_counts() -> {table: rows} over every table: compare before and after a refusal."""

    def count():
        with app.app_context():
            counts = {}
            for table in db.metadata.sorted_tables:
                counts[table.name] = db.session.scalar(sa.select(sa.func.count()).select_from(table))
            db.session.remove()
            return counts

    return count


# schemathesis 4.32's from_fixture() reads and renames `item._nodeid` to report each operation;
# pytest 9.2 keeps the id in `item._id` instead. Read the id, and let the rename go (each operation
# is still reported as a subtest under its own label).
if not hasattr(pytest.Function, "_nodeid"):
    pytest.Function._nodeid = property(lambda item: item.nodeid, lambda item, value: None)


@pytest.fixture
def conforms(client):
    """conforms(method, path, answer): the answer's body fits the schema its operation documents for its status."""
    spec = client.get("/api/v1/openapi.json").get_json()

    def resolve(node):
        if isinstance(node, dict):
            if "$ref" in node:
                target = spec
                for part in node["$ref"].lstrip("#/").split("/"):
                    target = target[part]
                return resolve(target)
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    def check(method, path, answer):
        responses = spec["paths"][path][method.lower()]["responses"]
        documented = resolve(responses.get(str(answer.status_code)) or responses["default"])
        schema = documented["content"][answer.mimetype]["schema"]
        jsonschema_rs.Draft4Validator(schema).validate(answer.get_json())  # OpenAPI 3.0 schemas are draft 4
        return answer.get_json()

    return check
