"""The audit log records organisers' and admins' changes with before and after, scoped to the city."""
import sqlalchemy as sa
from flask import g

from app.audit import AuditEntry
from app.database import db
from app.users import User
from events.models import Festival, Venue
from tests.conftest import bearer, login


def _as(app, user_id, path="/organiser/x"):
    context = app.test_request_context(path)
    context.push()
    g.principal = db.session.get(User, user_id)
    return context


def test_an_organisers_change_is_logged_with_before_and_after(app, make_city, make_user, make_festival):
    city = make_city()
    festival_id = make_festival(city, status="draft")
    organiser, _ = make_user("organiser", city)
    context = _as(app, organiser)
    try:
        festival = db.session.get(Festival, festival_id)
        festival.name_en = "Learning City Days 2027"
        festival.status = "published"
        db.session.add(Venue(festival_id=festival_id, name_th="ห้องสมุด", name_en="Library", kind="room"))
        db.session.commit()
        entries = list(db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)))
    finally:
        db.session.remove()
        context.pop()
    by_entity = {(e.entity, e.action): e for e in entries}
    update = by_entity[("festivals", "update")]
    assert update.before == {"name_en": "Learning City Days", "status": "draft"}
    assert update.after["name_en"] == "Learning City Days 2027" and update.after["status"] == "published"
    assert update.city_id == city and update.role == "organiser" and update.user_email.startswith("organiser")
    create = by_entity[("venues", "create")]
    assert create.after["name_en"] == "Library" and create.entity_id is not None and create.city_id == city


def test_visitors_and_background_work_are_not_logged(app, make_city, make_festival):
    city = make_city()
    festival_id = make_festival(city)
    with app.test_request_context("/festivals/x/signup"):
        g.principal = None
        festival = db.session.get(Festival, festival_id)
        festival.address = "changed without an organiser"
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0
        db.session.remove()


def test_secrets_never_reach_the_log(app, make_city, make_user):
    city = make_city()
    admin, _ = make_user("admin")
    context = _as(app, admin, "/admin")
    try:
        user = db.session.get(User, admin)
        user.password_hash = "scrypt:something-secret"
        user.name = "Somchai"
        db.session.commit()
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.entity == "users"))
    finally:
        db.session.remove()
        context.pop()
    assert entry.after == {"name": "Somchai"}
    assert "password_hash" not in (entry.before or {})


def test_the_log_is_readable_by_the_citys_organisers_only(app, client, make_city, make_user, make_festival):
    bangkok, chiang_mai = make_city(), make_city("chiang-mai", "เชียงใหม่", "Chiang Mai")
    fest_bkk = make_festival(bangkok)
    fest_cm = make_festival(chiang_mai, slug="cm-fest")
    organiser_bkk, token_bkk = make_user("organiser", bangkok, password="pw-bkk-123")
    organiser_cm, _ = make_user("organiser", chiang_mai)
    for user_id, festival_id, name in ((organiser_bkk, fest_bkk, "BKK edit"), (organiser_cm, fest_cm, "CM edit")):
        context = _as(app, user_id)
        try:
            db.session.get(Festival, festival_id).name_en = name
            db.session.commit()
        finally:
            db.session.remove()
            context.pop()

    answer = client.get("/api/v1/audit", headers=bearer(token_bkk))
    assert answer.status_code == 200
    names = [e["after"].get("name_en") for e in answer.get_json()]
    assert names == ["BKK edit"]

    assert client.get("/api/v1/audit").status_code == 401
    _, staff_token = make_user("staff", bangkok)
    assert client.get("/api/v1/audit", headers=bearer(staff_token)).get_json()["code"] == "forbidden_role"

    with app.app_context():
        email = db.session.get(User, organiser_bkk).email
    login(client, email, "pw-bkk-123")
    page = client.get("/organiser/audit?lang=en").get_data(as_text=True)
    assert "BKK edit" in page and "CM edit" not in page


def test_attendee_list_downloads_are_logged_with_who_and_how_many_never_whose(app, client, make_city, make_user,
                                                                             make_festival, make_session):
    """PDPA: the controller knows who took visitors' personal data out; the log names no visitor."""
    bangkok, chiang_mai = make_city(), make_city("chiang-mai", "เชียงใหม่", "Chiang Mai")
    festival_id = make_festival(bangkok)
    session_id = make_session(festival_id, kind="workshop", capacity=5)
    for n, name in enumerate(("วนิดา ศรีสุข", "Dao")):
        assert client.post("/api/v1/festivals/learning-city-days/passes", json={
            "name": name, "email": f"v{n}@example.org", "age_group": "adult", "consent": True}).status_code == 201
    organiser, token = make_user("organiser", bangkok, password="pw-bkk-123", email="noi@bkk.example")
    _, other_token = make_user("organiser", chiang_mai)

    assert client.get("/api/v1/festivals/learning-city-days/attendees.csv", headers=bearer(token)).status_code == 200
    assert client.get(f"/api/v1/sessions/{session_id}/attendees.csv", headers=bearer(token)).status_code == 200
    login(client, "noi@bkk.example", "pw-bkk-123")
    assert client.get("/organiser/festivals/learning-city-days/attendees.csv").status_code == 200
    # Refused downloads took nothing out and log nothing.
    assert client.get("/api/v1/festivals/learning-city-days/attendees.csv",
                      headers=bearer(other_token)).status_code in (403, 404)

    with app.app_context():
        entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "export")
                                     .order_by(AuditEntry.id)).all()
        db.session.remove()
    assert [(e.entity, e.entity_id, e.after) for e in entries] == [
        ("festivals", festival_id, {"attendee_rows": 2}),
        ("sessions", session_id, {"attendee_rows": 0}),
        ("festivals", festival_id, {"attendee_rows": 2}),
    ]
    assert {(e.user_id, e.role, e.city_id) for e in entries} == {(organiser, "organiser", bangkok)}
    assert entries[0].path == "/api/v1/festivals/learning-city-days/attendees.csv"
    assert not any("วนิดา" in str(e.after) or "example.org" in str(e.after) for e in entries)

    # The city's organisers read it, in Thai too; another city's do not.
    assert [e["action"] for e in client.get("/api/v1/audit", headers=bearer(token)).get_json()][:3] == ["export"] * 3
    assert client.get("/api/v1/audit", headers=bearer(other_token)).get_json() == []
    page = client.get("/organiser/audit?lang=th").get_data(as_text=True)
    assert "บันทึกการใช้งาน" in page and page.count('data-action="export">ดาวน์โหลด') == 3
