"""The team through the API: invitations by e-mail, one-time links, roles, removal, audit, city scoping."""
from datetime import timedelta

import sqlalchemy as sa

from app.audit import AuditEntry
from app.database import db, now_utc
from app.users import User
from checkin import devices
from events.models import Festival
from teams.models import TeamLink
from tests.conftest import bearer
from tests.teams.conftest import link_in, token_of


def invite(client, team, email="somchai@cm.example", role="staff", locale="th", headers=None, slug=None):
    return client.post(f"/api/v1/cities/{slug or team.slug}/team", headers=headers or team.organiser,
                       json={"email": email, "role": role, "name": "", "locale": locale})


def latest_token(app, email):
    """The token of the newest link of this member, as the mail carries it."""
    from teams.services.links import token_for
    with app.app_context():
        link = db.session.scalars(sa.select(TeamLink).join(User, User.id == TeamLink.user_id)
                                  .where(User.email == email).order_by(TeamLink.id.desc())).first()
        return token_for(link)


def accept(client, token, name="สมชาย ใจดี", password="a-long-password-1"):
    return client.post(f"/api/v1/invitations/{token}/accept", json={"name": name, "password": password})


def test_an_organiser_invites_staff_the_mail_arrives_and_the_link_works_once(app, client, team, smtp, run_jobs):
    answer = invite(client, team, email=" Somchai@CM.example ")
    assert answer.status_code == 201
    member = answer.get_json()
    assert member["email"] == "somchai@cm.example" and member["role"] == "staff"
    assert member["status"] == "invited" and member["city"] == "chiang-mai"

    run_jobs()
    assert len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert mail["To"].addresses[0].addr_spec == "somchai@cm.example"
    assert "เชียงใหม่" in mail["Subject"]  # Thai, as the organiser chose
    link, lang = link_in(mail)
    assert lang == "th" and link.startswith(app.config["PUBLIC_URL"] + "/invitations/")

    accepted = accept(client, token_of(link))
    assert accepted.status_code == 201
    body = accepted.get_json()
    assert body["member"]["status"] == "active" and body["member"]["name"] == "สมชาย ใจดี"
    assert client.get("/api/v1/scanner/festivals", headers=bearer(body["token"])).status_code == 200

    again = accept(client, token_of(link), password="another-password-2")
    assert again.status_code == 409 and again.get_json()["code"] == "link_used"
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "somchai@cm.example"))
        assert user.check_password("a-long-password-1") and not user.check_password("another-password-2")
        assert user.password_hash.startswith("scrypt:")  # Werkzeug's current default


def test_inviting_twice_sends_a_fresh_link_that_replaces_the_first_and_makes_no_second_member(
    app, client, team, smtp, run_jobs
):
    first = invite(client, team, locale="en")
    first_token = latest_token(app, "somchai@cm.example")
    second = invite(client, team, locale="en")
    assert first.status_code == 201 and second.status_code == 200
    assert first.get_json()["id"] == second.get_json()["id"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id)).where(User.email == "somchai@cm.example")) == 1

    run_jobs()
    # The replaced link is not mailed; the fresh one is, in English as asked.
    assert len(smtp.messages) == 1
    link, lang = link_in(smtp.messages[0])
    assert lang == "en" and "invited" in smtp.messages[0]["Subject"]
    assert token_of(link) != first_token

    old = accept(client, first_token)
    assert old.status_code == 410 and old.get_json()["code"] == "link_replaced"
    assert accept(client, token_of(link)).status_code == 201
    # Accepted: inviting the address again is refused, not a second member.
    third = invite(client, team)
    assert third.status_code == 409 and third.get_json()["code"] == "already_member"
    assert third.get_json()["field"] == "email"


def test_an_expired_link_is_refused_and_a_resend_gives_a_working_one(app, client, team):
    member_id = invite(client, team).get_json()["id"]
    token = latest_token(app, "somchai@cm.example")
    with app.app_context():
        link = db.session.scalars(sa.select(TeamLink).where(TeamLink.user_id == member_id)).one()
        assert link.expires_at - link.created_at == timedelta(days=7)
        link.expires_at = now_utc() - timedelta(seconds=1)
        db.session.commit()
    expired = accept(client, token)
    assert expired.status_code == 410 and expired.get_json()["code"] == "link_expired"

    resent = client.post(f"/api/v1/team/{member_id}/invitation", headers=team.organiser, json={})
    assert resent.status_code == 201 and resent.get_json()["status"] == "invited"
    assert accept(client, latest_token(app, "somchai@cm.example")).status_code == 201


def test_bad_input_names_the_field_and_leaves_the_link_unused(app, client, team):
    bad_email = invite(client, team, email="not-an-address")
    assert bad_email.status_code == 422 and bad_email.get_json()["field"] == "email"
    bad_role = invite(client, team, role="superuser")
    assert bad_role.status_code == 422 and "role" in bad_role.get_json()["errors"]

    invite(client, team)
    token = latest_token(app, "somchai@cm.example")
    short = accept(client, token, password="short")
    assert short.status_code == 422 and short.get_json()["field"] == "password"
    assert short.get_json()["code"] == "too_short"
    nameless = accept(client, token, name="   ")
    assert nameless.status_code == 422 and nameless.get_json()["field"] == "name"
    forged = accept(client, token[:-3] + "abc")
    assert forged.status_code == 404 and forged.get_json()["code"] == "invalid_link"
    assert accept(client, token).status_code == 201  # the refusals used nothing up


def test_who_may_invite_whom(client, team):
    # An organiser: staff, city team and organisers of their own city; never an admin.
    for role in ("staff", "city-team", "organiser"):
        assert invite(client, team, email=f"{role}@cm.example", role=role).status_code == 201
    admin = invite(client, team, email="boss@cm.example", role="admin")
    assert admin.status_code == 403 and admin.get_json()["code"] == "forbidden_role"
    # Another city's organiser is refused on this city's team, reading and inviting.
    assert client.get(f"/api/v1/cities/{team.slug}/team", headers=team.other_organiser).status_code == 403
    assert invite(client, team, email="x@kk.example", headers=team.other_organiser).status_code == 403
    # The admin invites organisers of any city and other admins.
    assert invite(client, team, email="o@kk.example", role="organiser", headers=team.admin,
                  slug=team.other_slug).status_code == 201
    other_admin = invite(client, team, email="admin2@net.example", role="admin", headers=team.admin)
    assert other_admin.status_code == 201 and other_admin.get_json()["city"] is None
    # An address of one city cannot be pulled into another.
    taken = invite(client, team, email="staff@cm.example", role="staff", headers=team.other_organiser,
                   slug=team.other_slug)
    assert taken.status_code == 409 and taken.get_json()["code"] == "member_elsewhere"
    listed = client.get(f"/api/v1/cities/{team.slug}/team", headers=team.organiser).get_json()
    assert {m["email"] for m in listed} == {"org@cm.example", "staff@cm.example", "city-team@cm.example",
                                            "organiser@cm.example"}


def test_cross_city_changes_are_refused_and_change_nothing(app, client, team):
    member_id = invite(client, team).get_json()["id"]
    for method, path, body in (("PATCH", f"/api/v1/team/{member_id}", {"role": "organiser"}),
                               ("DELETE", f"/api/v1/team/{member_id}", None),
                               ("POST", f"/api/v1/team/{member_id}/invitation", {}),
                               ("GET", f"/api/v1/team/{member_id}", None)):
        answer = client.open(path, method=method, headers=team.other_organiser, json=body)
        assert answer.status_code == 403, (method, path)
    with app.app_context():
        user = db.session.get(User, member_id)
        assert user.role == "staff" and user.active and user.removed_at is None


def test_role_change_and_no_change_of_ones_own(app, client, team):
    member_id = invite(client, team).get_json()["id"]
    changed = client.patch(f"/api/v1/team/{member_id}", headers=team.organiser, json={"role": "city-team"})
    assert changed.status_code == 200 and changed.get_json()["role"] == "city-team"
    to_admin = client.patch(f"/api/v1/team/{member_id}", headers=team.organiser, json={"role": "admin"})
    assert to_admin.status_code in (403, 422)
    own = client.patch(f"/api/v1/team/{team.organiser_id}", headers=team.organiser, json={"role": "staff"})
    assert own.status_code == 409 and own.get_json()["code"] == "own_account"


def test_removal_cuts_the_live_token_the_paired_phone_and_the_console_session(app, client, team):
    member_id = invite(client, team).get_json()["id"]
    token = accept(client, latest_token(app, "somchai@cm.example")).get_json()["token"]
    with app.app_context():
        festival = db.session.scalar(sa.select(Festival).where(Festival.slug == "cm-days"))
        code = devices.pairing_code(festival, db.session.get(User, member_id))
    paired = client.post("/api/v1/scanner-devices/pair", json={"pairing_code": code, "label": "Gate 2 phone"})
    assert paired.status_code == 201
    phone_token = paired.get_json()["token"]
    console = app.test_client()
    from tests.conftest import login
    assert login(console, "somchai@cm.example", "a-long-password-1").status_code == 302
    assert console.get("/scan").status_code == 200 and b"data-signed-in=\"1\"" in console.get("/scan").data

    listed = client.get(f"/api/v1/cities/{team.slug}/team", headers=team.organiser).get_json()
    somchai = next(m for m in listed if m["id"] == member_id)
    assert [p["label"] for p in somchai["phones"]] == ["Gate 2 phone"]
    assert somchai["last_sign_in_at"] is not None and somchai["status"] == "active"

    for live in (token, phone_token):
        assert client.get("/api/v1/scanner/festivals", headers=bearer(live)).status_code == 200
    removed = client.delete(f"/api/v1/team/{member_id}", headers=team.organiser)
    assert removed.status_code == 200 and removed.get_json()["status"] == "removed"
    assert removed.get_json()["phones"] == []
    for dead in (token, phone_token):
        answer = client.get("/api/v1/scanner/festivals", headers=bearer(dead))
        assert answer.status_code == 401 and answer.get_json()["code"] == "invalid_token"
    # The console cookie of the removed member no longer signs anyone in.
    assert console.get("/console").status_code == 302 and "/login" in console.get("/console").headers["Location"]
    assert login(console, "somchai@cm.example", "a-long-password-1").status_code == 422


def test_every_change_is_in_the_audit_log(app, client, team):
    member_id = invite(client, team).get_json()["id"]
    client.post(f"/api/v1/team/{member_id}/invitation", headers=team.organiser, json={"locale": "en"})
    accept(client, latest_token(app, "somchai@cm.example"))
    client.patch(f"/api/v1/team/{member_id}", headers=team.organiser, json={"role": "city-team"})
    client.delete(f"/api/v1/team/{member_id}", headers=team.organiser)
    with app.app_context():
        entries = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
        trail = [(e.action, e.entity, e.user_email) for e in entries]
        links = [e for e in entries if e.entity == "team_links"]
        assert all("nonce" not in (e.after or {}) for e in links)  # the secret stays out of the log
        assert all(e.city_id == team.city_id for e in entries)
    assert trail[0] == ("create", "users", "org@cm.example")
    assert trail.count(("create", "team_links", "org@cm.example")) == 2  # the invitation and the resend
    assert ("accept", "team_links", "somchai@cm.example") in trail
    updates = [e for e in entries if e.action == "update" and e.entity == "users"]
    assert updates[0].after == {"role": "city-team"}
    assert updates[-1].after["removed_at"] is not None and updates[-1].after["active"] is False
