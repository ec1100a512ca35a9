"""Rate limits count the actor they protect against (an e-mail, a pass, a phone, an account);
one address is only a high ceiling. A breach answers 429 `rate_limited` with Retry-After."""
import re
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from limits import parse_many

from app.database import db
from app.extensions import limiter
from app.limits import declared_limits
from app.users import User, issue_token
from tests.conftest import bearer, csrf_from

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def limited(app):
    """The limiter is on for the whole suite; these tests only make sure they start from zero."""
    limiter.reset()
    yield


@pytest.fixture
def rush_fest(make_city, make_festival):
    make_festival(make_city(), slug="rush-fest", starts_on=date(2099, 1, 1), ends_on=date(2099, 1, 2))
    return "rush-fest"


def test_each_domain_declares_its_limits_next_to_its_views(app):
    policy = declared_limits(app)
    assert {endpoint: sorted(per for _, per, _ in limits) for endpoint, limits in policy.items()} == {
        "registrations_api.sign_up": ["by_address", "by_email", "by_slug"],
        "registrations.signup": ["by_address", "by_email", "by_slug"],
        "registrations_api.book": ["by_address", "by_token"],
        "registrations.book_session": ["by_address", "pass_in_form"],
        "checkin_api.scan": ["by_caller"],
        "checkin_api.scan_batch": ["by_caller"],
        "checkin_api.visit": ["by_manage_token"],
        "login.login": ["by_address", "by_email"],
        "teams_api.accept_invitation": ["by_address", "by_token"],
        "teams.invitation": ["by_address", "by_token"],
        "teams_api.reset_password": ["by_address", "by_token"],
        "teams.reset_password": ["by_address", "by_token"],
        "teams_api.request_password_reset": ["by_address", "by_email"],
        "teams.forgot_password": ["by_address", "by_email"],
    }
    # app/ holds the mechanism only: it names no domain and no endpoint.
    source = (ROOT / "app" / "limits.py").read_text()
    assert not re.search(r"\b(registrations|checkin|events|reports|login)(_api)?\.\w", source)


def _allowance(rule, seconds):
    """How many requests the rule lets through in `seconds`, at the most even pace."""
    return min(item.amount * max(1, seconds // item.get_expiry()) for item in parse_many(rule))


def test_one_address_is_only_a_ceiling_a_desk_never_reaches(app):
    """120 families a minute and 1,000 an hour from one address, signing up or booking, API or page."""
    for endpoint in ("registrations_api.sign_up", "registrations.signup", "registrations_api.book",
                     "registrations.book_session"):
        (rule,) = [rule for rule, per, _ in declared_limits(app)[endpoint] if per == "by_address"]
        assert _allowance(rule, 60) >= 120 and _allowance(rule, 3600) >= 1000, endpoint


def _sign_up(client, slug, email, **request):
    return client.post(f"/api/v1/festivals/{slug}/passes",
                       json={"name": "Visitor", "email": email, "age_group": "adult", "consent": True}, **request)


def test_120_sign_ups_from_one_address_all_succeed(app, client, limited, rush_fest):
    """A registration desk, or a venue's Wi-Fi: one address, a family after another."""
    answers = [_sign_up(client, rush_fest, f"family{n}@example.org") for n in range(120)]
    assert [a.status_code for a in answers] == [201] * 120


def test_the_same_email_hammered_is_refused_with_retry_after(app, client, limited, rush_fest):
    answers = [_sign_up(client, rush_fest, "same@example.org") for _ in range(6)]
    # The first signs up; the next are told the pass exists (its link is mailed again), then refused.
    assert [a.status_code for a in answers] == [201, 200, 200, 200, 200, 429]
    refused = answers[-1]
    assert refused.get_json()["code"] == "rate_limited"
    assert 0 < int(refused.headers["Retry-After"]) <= 61  # the rest of the 5/minute window, rounded up
    assert refused.get_json()["retry_after"] == int(refused.headers["Retry-After"])
    # Only a refusal says when to come back: the limiter adds no Retry-After to other answers.
    assert all("Retry-After" not in answer.headers for answer in answers[:-1])
    # The same address, another family: not refused. The same e-mail at another address: refused.
    assert _sign_up(client, rush_fest, "other@example.org").status_code == 201
    elsewhere = _sign_up(client, rush_fest, " Same@Example.org ", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert elsewhere.status_code == 429


def _sign_in(client, token, email, **request):
    return client.post("/login", data={"email": email, "password": "guess", "csrf_token": token}, **request)


def test_sign_in_attempts_are_limited(app, client, limited):
    # Counted where the password is checked: a request without its CSRF token never gets there.
    token = csrf_from(client.get("/login").get_data(as_text=True))
    guesses = [client.post("/login", data={"email": "x@example.org", "password": f"guess{n}", "csrf_token": token})
               for n in range(10)]
    assert [g.status_code for g in guesses] == [422] * 10
    blocked = client.post("/login", data={"email": "x@example.org", "password": "guess", "csrf_token": token},
                          headers={"Accept-Language": "th"})
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    # The page says it in the visitor's language, not the limits package's "10 per 1 minute".
    page = blocked.get_data(as_text=True)
    assert "ลองหลายครั้งเกินไปในเวลาสั้น ๆ โปรดรอสักครู่แล้วลองใหม่" in page  # the catalogue's Thai
    assert "per 1 minute" not in page


def test_scans_are_limited_per_phone_not_per_address(app, client, limited, make_city, make_user):
    city = make_city()
    staff_id, first = make_user("staff", city)
    with app.app_context():
        second = issue_token(db.session.get(User, staff_id), label="scanner: second phone")  # the same staff member
        db.session.commit()
    # 600 scans a minute per phone: exhaust the first phone's allowance cheaply by
    # hitting a checkpoint that does not exist (the limit counts requests, not results).
    for _ in range(600):
        client.post("/api/v1/checkpoints/999999/scans", json={"code": "X", "device_id": "d1"}, headers=bearer(first))
    refused = client.post("/api/v1/checkpoints/999999/scans", json={"code": "X", "device_id": "d1"},
                          headers=bearer(first))
    assert refused.status_code == 429
    assert refused.get_json()["code"] == "rate_limited"
    # The second phone on the same venue Wi-Fi still scans.
    assert client.post("/api/v1/checkpoints/999999/scans", json={"code": "X", "device_id": "d2"},
                       headers=bearer(second)).status_code == 404
    # Offline uploads are counted per phone too, on their own allowance.
    assert client.post("/api/v1/checkpoints/999999/scans/batch", json={"device_id": "d1", "scans": []},
                       headers=bearer(first)).status_code == 404


def test_a_booking_rush_of_200_passes_from_one_address_succeeds(app, client, limited, rush_fest, make_session):
    with app.app_context():
        from events.models import Festival
        festival_id = db.session.scalar(db.select(Festival.id).where(Festival.slug == rush_fest))
    session_id = make_session(festival_id, starts_at=datetime(2099, 1, 1, 3, 0, tzinfo=timezone.utc), capacity=500)
    tokens = [_sign_up(client, rush_fest, f"lab{n}@example.org").get_json()["manage_token"] for n in range(200)]
    answers = [client.post(f"/api/v1/passes/{token}/bookings", json={"session_id": session_id}) for token in tokens]
    assert [a.status_code for a in answers] == [201] * 200
    # One pass hammering the rush is refused.
    again = [client.post(f"/api/v1/passes/{tokens[0]}/bookings", json={"session_id": session_id}) for _ in range(30)]
    assert again[-1].status_code == 429


def test_a_school_lab_signs_up_and_books_120_families_through_the_pages(app, client, limited, rush_fest, make_session):
    with app.app_context():
        from events.models import Festival
        festival_id = db.session.scalar(db.select(Festival.id).where(Festival.slug == rush_fest))
    session_id = make_session(festival_id, starts_at=datetime(2099, 1, 1, 3, 0, tzinfo=timezone.utc), capacity=500)
    token = csrf_from(client.get(f"/festivals/{rush_fest}/signup").get_data(as_text=True))
    signed = [client.post(f"/festivals/{rush_fest}/signup", data={
        "name": f"Family {n}", "email": f"page{n}@example.org", "age_group": "adult", "consent": "yes",
        "csrf_token": token}) for n in range(120)]
    assert [a.status_code for a in signed] == [303] * 120
    links = [a.headers["Location"] for a in signed]
    booked = [client.post(f"/sessions/{session_id}/book", data={"pass_link": link, "csrf_token": token})
              for link in links]
    assert [a.status_code for a in booked] == [303] * 120


def _sign_ins_through(client, count, forwarded_for, start=0):
    """Sign-in attempts for different accounts, so that only the per-address limit (10 a minute) counts."""
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return [_sign_in(client, token, f"who{n}@example.org", headers={"X-Forwarded-For": forwarded_for},
                     environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code
            for n in range(start, start + count)]


def test_a_forged_forwarded_for_does_not_escape_the_limit_when_no_proxy_is_trusted(app, client, limited):
    assert app.config["TRUSTED_PROXIES"] == 0
    answers = [_sign_ins_through(client, 1, f"198.51.100.{n}", start=n)[0] for n in range(11)]
    assert answers == [422] * 10 + [429]


def test_behind_a_trusted_proxy_each_visitor_is_limited_on_their_own_address(app, client, limited):
    from app.factory import _trust_proxies

    bare = app.wsgi_app
    app.config["TRUSTED_PROXIES"] = 1
    try:
        _trust_proxies(app)
        assert _sign_ins_through(client, 11, "203.0.113.7") == [422] * 10 + [429]
        # Another visitor behind the same proxy is counted on their own.
        assert _sign_ins_through(client, 1, "203.0.113.8", start=100) == [422]
        # One hop is trusted: an address the visitor put in front of the proxy's is not believed.
        assert _sign_ins_through(client, 1, "192.0.2.1, 203.0.113.7", start=200) == [429]
    finally:
        app.wsgi_app = bare
        app.config["TRUSTED_PROXIES"] = 0


def test_trusted_proxies_must_be_a_count(monkeypatch):
    from app.config import ConfigError, from_environment

    monkeypatch.setenv("TRUSTED_PROXIES", "nginx")
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        from_environment()
    monkeypatch.setenv("TRUSTED_PROXIES", "2")
    assert from_environment()["TRUSTED_PROXIES"] == 2
