"""The team in the console and behind the mailed links, in Thai: Team page, invitation page, password reset."""
from datetime import datetime, timezone

import sqlalchemy as sa

from app.database import db
from app.users import User
from teams.models import TeamLink
from teams.services.links import token_for
from tests.conftest import csrf_from, login
from tests.teams.conftest import link_in, token_of


def signed_in(app, email, password):
    client = app.test_client()
    client.set_cookie("lang", "th")
    assert login(client, email, password).status_code == 302
    return client


def newest_link(app, email):
    with app.app_context():
        link = db.session.scalars(sa.select(TeamLink).join(User, User.id == TeamLink.user_id)
                                  .where(User.email == email).order_by(TeamLink.id.desc())).first()
        return token_for(link)


def post_form(client, path, **data):
    csrf = csrf_from(client.get(path if "/remove" in path or "/team" in path or "/password" in path
                                or "/invitations" in path else "/login").get_data(as_text=True))
    return client.post(path, data={"csrf_token": csrf, **data})


def test_an_organiser_invites_from_the_team_page_in_thai(app, team):
    client = signed_in(app, "org@cm.example", "organiser-pass-1")
    assert client.get("/organiser/teams").headers["Location"].endswith("/organiser/cities/chiang-mai/team")
    page = client.get("/organiser/cities/chiang-mai/team").get_data(as_text=True)
    assert "ทีมงานของเชียงใหม่" in page and "เชิญสมาชิก" in page
    # The organiser's own sign-in just now, in the city's zone and the Buddhist Era.
    with app.app_context():
        signed = db.session.get(User, team.organiser_id).last_sign_in_at.astimezone()
    assert str(signed.year + 543) in page

    bad = post_form(client, "/organiser/cities/chiang-mai/team", email="nobody", role="staff", locale="th", name="")
    assert bad.status_code == 422 and "กรุณากรอกอีเมลให้ถูกต้อง" in bad.get_data(as_text=True)
    sent = post_form(client, "/organiser/cities/chiang-mai/team", email="nok@cm.example", role="staff",
                     locale="th", name="นก")
    assert sent.status_code == 303
    page = client.get("/organiser/cities/chiang-mai/team").get_data(as_text=True)
    assert "ส่งคำเชิญไปที่ nok@cm.example แล้ว" in page and "ได้รับเชิญ" in page

    # Another city's organiser is refused, page and actions alike.
    other = signed_in(app, "org@kk.example", "organiser-pass-2")
    assert other.get("/organiser/cities/chiang-mai/team").status_code == 403
    with app.app_context():
        nok = db.session.scalar(sa.select(User).where(User.email == "nok@cm.example"))
    csrf = csrf_from(other.get("/organiser/cities/khon-kaen/team").get_data(as_text=True))
    assert other.post(f"/organiser/team/{nok.id}/remove", data={"csrf_token": csrf}).status_code == 403
    assert other.post(f"/organiser/team/{nok.id}/role", data={"csrf_token": csrf, "role": "organiser"}).status_code == 403
    with app.app_context():
        assert db.session.get(User, nok.id).role == "staff" and db.session.get(User, nok.id).removed_at is None


def test_role_change_resend_and_removal_from_the_team_page(app, team):
    client = signed_in(app, "org@cm.example", "organiser-pass-1")
    post_form(client, "/organiser/cities/chiang-mai/team", email="nok@cm.example", role="staff", locale="th", name="")
    with app.app_context():
        member_id = db.session.scalar(sa.select(User.id).where(User.email == "nok@cm.example"))
    first = newest_link(app, "nok@cm.example")
    assert post_form(client, f"/organiser/team/{member_id}/invitation").status_code == 303
    assert newest_link(app, "nok@cm.example") != first
    assert post_form(client, f"/organiser/team/{member_id}/role", role="city-team").status_code == 303
    confirm = client.get(f"/organiser/team/{member_id}/remove").get_data(as_text=True)
    assert "นำ nok@cm.example ออกจากทีม?" in confirm
    assert post_form(client, f"/organiser/team/{member_id}/remove").status_code == 303
    page = client.get("/organiser/cities/chiang-mai/team").get_data(as_text=True)
    assert "นำออกแล้ว" in page
    with app.app_context():
        user = db.session.get(User, member_id)
        assert user.role == "city-team" and user.removed_at is not None


def test_the_admin_console_links_to_everything_an_admin_has(app, team):
    client = signed_in(app, "admin@net.example", "admin-pass-123")
    home = client.get("/organiser/").get_data(as_text=True)
    for href in ('href="/organiser/teams"', 'href="/organiser/audit"', 'href="/admin/jobs"'):
        assert href in home
    teams = client.get("/organiser/teams").get_data(as_text=True)
    for href in ('/organiser/cities/chiang-mai/team', '/organiser/cities/khon-kaen/team', '/admin/jobs',
                 '/organiser/audit', '/network', 'href="/organiser/"'):
        assert href in teams
    assert "เชิญผู้ดูแลระบบ" in teams
    # An organiser sees Team and Audit, never the operator's jobs.
    organiser = signed_in(app, "org@cm.example", "organiser-pass-1").get("/organiser/").get_data(as_text=True)
    assert 'href="/organiser/teams"' in organiser and 'href="/admin/jobs"' not in organiser


def test_the_invitation_page_sets_a_password_and_lands_staff_on_the_scanner(app, client, team):
    client.post(f"/api/v1/cities/{team.slug}/team", headers=team.organiser,
                json={"email": "nok@cm.example", "role": "staff", "locale": "th"})
    token = newest_link(app, "nok@cm.example")
    page = client.get(f"/invitations/{token}?lang=th")
    assert page.status_code == 200 and "เชียงใหม่" in page.get_data(as_text=True)
    csrf = csrf_from(page.get_data(as_text=True))
    short = client.post(f"/invitations/{token}", data={"csrf_token": csrf, "name": "นก", "password": "short"})
    assert short.status_code == 422 and "อย่างน้อย 10 ตัวอักษร" in short.get_data(as_text=True)
    done = client.post(f"/invitations/{token}", data={"csrf_token": csrf, "name": "นก", "password": "nok-password-99"})
    assert done.status_code == 303 and done.headers["Location"].endswith("/console")
    assert client.get("/console").headers["Location"].endswith("/scan")
    used = client.get(f"/invitations/{token}")
    assert used.status_code == 409 and "ลิงก์นี้ถูกใช้ไปแล้ว" in used.get_data(as_text=True)
    assert client.get("/invitations/not-a-token").status_code == 404


def test_city_team_and_organisers_land_where_their_role_works(app, client, team):
    for email, role, landing in (("ct@cm.example", "city-team", "/reports/"), ("o2@cm.example", "organiser", "/organiser/")):
        client.post(f"/api/v1/cities/{team.slug}/team", headers=team.organiser, json={"email": email, "role": role})
        browser = app.test_client()
        token = newest_link(app, email)
        csrf = csrf_from(browser.get(f"/invitations/{token}").get_data(as_text=True))
        browser.post(f"/invitations/{token}", data={"csrf_token": csrf, "name": "X", "password": "long-enough-pw"})
        assert browser.get("/console").headers["Location"].endswith(landing)


def test_password_reset_says_the_same_for_everyone_and_mails_members_only(app, team, smtp, run_jobs):
    browser = app.test_client()
    browser.set_cookie("lang", "th")
    answers = []
    for email in ("org@cm.example", "nobody@cm.example"):
        csrf = csrf_from(browser.get("/password/forgot").get_data(as_text=True))
        sent = browser.post("/password/forgot", data={"csrf_token": csrf, "email": email})
        assert sent.status_code == 303
        answers.append(browser.get(sent.headers["Location"]).get_data(as_text=True).split("csrf_token")[0])
    assert answers[0] == answers[1]
    api = [browser.post("/api/v1/password-resets", json={"email": e}) for e in ("admin@net.example", "x@y.example")]
    assert [a.status_code for a in api] == [202, 202] and api[0].get_json() == api[1].get_json()
    run_jobs()
    assert sorted(m["To"].addresses[0].addr_spec for m in smtp.messages) == ["admin@net.example", "org@cm.example"]
    org_mail = next(m for m in smtp.messages if "org@cm.example" in str(m["To"]))
    assert "รหัสผ่านใหม่" in org_mail["Subject"]
    link, _lang = link_in(org_mail)

    old_session = app.test_client()
    assert login(old_session, "org@cm.example", "organiser-pass-1").status_code == 302
    token = token_of(link)
    csrf = csrf_from(browser.get(f"/password/reset/{token}").get_data(as_text=True))
    done = browser.post(f"/password/reset/{token}", data={"csrf_token": csrf, "password": "a-new-password-7"})
    assert done.status_code == 303
    # The other session ends; the new password signs in; the link works once.
    assert old_session.get("/organiser/").status_code == 302
    assert login(app.test_client(), "org@cm.example", "a-new-password-7").status_code == 302
    assert browser.get(f"/password/reset/{token}").status_code == 409
    again = browser.post(f"/api/v1/password-resets/{token}", json={"password": "yet-another-pw-8"})
    assert again.status_code == 409 and again.get_json()["code"] == "link_used"


def test_a_second_reset_request_within_minutes_mails_nothing_more(app, client, team):
    for _ in range(3):
        assert client.post("/api/v1/password-resets", json={"email": "org@cm.example"}).status_code == 202
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(TeamLink.id))) == 1


def test_reset_requests_for_one_address_are_limited_and_answer_429_rate_limited(app, client, team):
    from app.extensions import limiter
    limiter.reset()
    answers = [client.post("/api/v1/password-resets", json={"email": "Org@CM.example"}).status_code for _ in range(11)]
    assert answers == [202] * 10 + [429]
    refused = client.post("/api/v1/password-resets", json={"email": "org@cm.example"})
    assert refused.status_code == 429 and refused.get_json()["code"] == "rate_limited"
    # Another address from the same client is counted on its own.
    assert client.post("/api/v1/password-resets", json={"email": "admin@net.example"}).status_code == 202
    limiter.reset()
