"""Authorization, generated from the app's URL map.

Every endpoint must have an access rule (declared roles, or public / visitor /
signed-in / development in app.access). Every role-guarded endpoint refuses an
anonymous call, and refuses organiser, staff and city-team users of another
city on every resource of this city that its URL names; an admin reaches the
same URLs, which shows the refusals are about the city and not a broken URL.
"""
import re
from datetime import date, datetime, timedelta, timezone

import pytest

from app import access
from app.database import db
from app.users import User
from checkin.models import Checkpoint, ScannerDevice
from events.models import Booth, ProgrammeImport
from registrations.models import Booking, Pass
from registrations import pass_codes
from reports.models import Report
from tests.conftest import bearer, csrf_from, login
from webhooks.models import WebhookDelivery, WebhookEndpoint

CITY_PARAMS = {"slug", "session_id", "venue_id", "booth_id", "checkpoint_id", "import_id", "report_id",
               "device_id", "booking_id", "city_slug", "member_id", "webhook_id"}
METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")


def _rules(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods & set(METHODS)):
            yield rule, method


def test_every_endpoint_has_an_access_rule(app):
    with app.test_request_context():
        missing = sorted({rule.endpoint for rule, _ in _rules(app) if access.rule_for(rule.endpoint) is None})
    assert missing == [], f"endpoints without an access rule in app/access.py or require_roles: {missing}"


@pytest.fixture
def world(app, make_city, make_festival, make_venue, make_session, make_user):
    """City B with one of everything, and users of city A and an admin."""
    city_a = make_city("chiang-mai", "เชียงใหม่", "Chiang Mai")
    city_b = make_city("phuket", "ภูเก็ต", "Phuket")
    festival = make_festival(city_b, slug="phuket-fest", starts_on=date(2099, 3, 1), ends_on=date(2099, 3, 2))
    venue = make_venue(festival)
    session = make_session(festival, starts_at=datetime(2099, 3, 1, 3, 0, tzinfo=timezone.utc), capacity=10,
                           venue_id=venue)
    with app.app_context():
        booth = Booth(festival_id=festival, name_th="บูธ", name_en="Booth", code="A1")
        db.session.add(booth)
        db.session.flush()
        checkpoint = Checkpoint(festival_id=festival, name="Door", kind="session", session_id=session)
        holder = Pass(festival_id=festival, public_id=pass_codes.new_public_id(), manage_token="m" * 43,
                      manage_token_hash="a" * 64, feed_token="f" * 43, feed_token_hash="b" * 64, name="Malee",
                      email="malee@example.org", age_group="adult", consent_version="v1", consent_locale="th",
                      consent_text_sha256="c" * 64, consent_at=datetime.now(timezone.utc))
        db.session.add_all([checkpoint, holder])
        db.session.flush()
        booking = Booking(pass_id=holder.id, session_id=session, seats=1, status="confirmed")
        admin_user = User(email="root@example.org", role="admin")
        db.session.add_all([booking, admin_user])
        db.session.flush()
        imported = ProgrammeImport(festival_id=festival, content=b"x", filename="p.csv")
        report = Report(festival_id=festival) if "festival_id" in Report.__table__.c else None
        device = ScannerDevice(festival_id=festival, user_id=admin_user.id, token_hash="d" * 64)
        endpoint = WebhookEndpoint(city_id=city_b, url="https://partner.example/hook", topics=["pass.created"],
                                   secret="whsec_x")
        db.session.add_all([x for x in (imported, report, device, endpoint) if x is not None])
        db.session.flush()
        delivery = WebhookDelivery(endpoint_id=endpoint.id, event_id="evt_1", topic="pass.created", body="{}")
        db.session.add(delivery)
        db.session.commit()
        values = {
            "slug": "phuket-fest", "session_id": session, "venue_id": venue, "booth_id": booth.id,
            "checkpoint_id": checkpoint.id, "import_id": imported.id, "report_id": report.id if report else 1,
            "device_id": device.id, "booking_id": booking.id, "fmt": "csv", "queue_name": "default",
            "job_id": "no-such-job", "key": "no-such-message", "index": 0, "filename": "x.css",
            "token": "no-such-token", "manage_token": "no-such-token", "feed_token": "no-such-token",
            "poster_code": "no-such-poster", "city_slug": "phuket", "webhook_id": endpoint.id,
            "delivery_id": delivery.id,
        }
    # A member of city B's team: city A's organiser may neither see, change nor remove them.
    values["member_id"] = make_user("staff", city_b, email="gate@phuket.example")[0]
    users = {}
    for role in ("organiser", "staff", "city-team"):
        users[role] = make_user(role, city_a, password=f"pw-{role}-123", email=f"{role}@cm.example")
    users["admin"] = make_user("admin", password="pw-admin-123", email="admin@net.example")
    return values, users


def _url(rule, values):
    missing = [arg for arg in rule.arguments if arg not in values]
    assert not missing, f"{rule.endpoint}: the test has no value for {missing}"
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(values[m.group(1)]), rule.rule.replace(
        "<any(csv, xlsx, pdf):fmt>", "<fmt>"))


def _call(client, method, url, headers=None, csrf=None):
    kwargs = {"headers": dict(headers or {})}
    if method != "GET":
        if url.startswith("/api/"):
            kwargs["json"] = {}
        else:
            kwargs["data"] = {"csrf_token": csrf} if csrf else {}
    return client.open(url, method=method, **kwargs)


def _guarded(app):
    with app.test_request_context():
        return [(rule, method) for rule, method in _rules(app) if access.rule_for(rule.endpoint) == "roles"]


def test_every_guarded_endpoint_refuses_anonymous_calls(app, client, world):
    values, _ = world
    leaks = []
    # A real CSRF token, so that page forms are refused for want of a sign-in, not of the token.
    csrf = csrf_from(client.get("/login").get_data(as_text=True))
    for rule, method in _guarded(app):
        answer = _call(client, method, _url(rule, values), csrf=csrf)
        if rule.rule.startswith("/api/"):
            ok = answer.status_code == 401 and answer.get_json()["code"] == "unauthorized"
        else:
            ok = answer.status_code in (302, 303) and "/login" in answer.headers.get("Location", "")
        if not ok:
            leaks.append((method, rule.rule, answer.status_code))
    assert leaks == []


def _session_client(app, email, password):
    client = app.test_client()
    assert login(client, email, password).status_code == 302
    return client, csrf_from(client.get("/login").get_data(as_text=True))


@pytest.mark.parametrize("role", ["organiser", "staff", "city-team"])
def test_another_citys_users_are_refused_on_every_resource(app, client, world, role):
    values, users = world
    _user_id, token = users[role]
    page_client, csrf = _session_client(app, f"{role}@cm.example", f"pw-{role}-123")
    admin_client, admin_csrf = _session_client(app, "admin@net.example", "pw-admin-123")
    _admin_id, admin_token = users["admin"]
    checked, leaks, unreachable = 0, [], []
    for rule, method in _guarded(app):
        if not (set(rule.arguments) & CITY_PARAMS):
            continue
        url = _url(rule, values)
        if url.startswith("/api/"):
            answer = _call(client, method, url, headers=bearer(token))
            control = _call(client, method, url, headers=bearer(admin_token))
        else:
            answer = _call(page_client, method, url, csrf=csrf)
            control = _call(admin_client, method, url, csrf=admin_csrf)
        checked += 1
        if answer.status_code not in (403, 404):
            leaks.append((method, rule.rule, answer.status_code))
        if control.status_code in (401, 403):
            unreachable.append((method, rule.rule, control.status_code))
    assert checked > 40
    assert leaks == [], f"{role} of another city was not refused"
    assert unreachable == [], "the admin control could not reach these URLs"


def test_visitor_endpoints_show_nothing_for_an_unknown_token(app, client, world):
    values, _ = world
    shown = []
    with app.test_request_context():
        visitor = [(rule, method) for rule, method in _rules(app) if access.rule_for(rule.endpoint) == "visitor"]
    csrf = csrf_from(client.get("/login").get_data(as_text=True))
    for rule, method in visitor:
        answer = _call(client, method, _url(rule, values), csrf=csrf)
        # 404, or a refusal of the (empty) body itself before any pass is looked up.
        body_refused = answer.status_code == 422 and answer.get_json()["code"] == "validation_error"
        if answer.status_code != 404 and not body_refused:
            shown.append((method, rule.rule, answer.status_code))
    assert shown == [], shown
