"""Rate limits count the actor they protect against (an e-mail, a pass, a phone, an account);
one address is only a high ceiling. A breach answers 429 `rate_limited` with Retry-After."""
from datetime import date

import pytest

from app.extensions import limiter
from app.limits import LIMITS
from tests.conftest import bearer, csrf_from


@pytest.fixture
def limited(app):
    """The limiter is on for the whole suite; these tests only make sure they start from zero."""
    limiter.reset()
    yield


@pytest.fixture
def rush_fest(make_city, make_festival):
    make_festival(make_city(), slug="rush-fest", starts_on=date(2099, 1, 1), ends_on=date(2099, 1, 2))
    return "rush-fest"


def test_every_declared_limit_names_a_real_endpoint(app):
    assert set(LIMITS) <= set(app.view_functions)


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
    # The page says it in the visitor's language, not Flask-Limiter's "10 per 1 minute".
    page = blocked.get_data(as_text=True)
    assert "กรุณารอสักครู่แล้วลองอีกครั้ง" in page
    assert "per 1 minute" not in page


def test_scanners_behind_one_address_are_limited_each_on_their_own(app, client, limited, make_city, make_user):
    city = make_city()
    _, first = make_user("staff", city)
    _, second = make_user("staff", city)
    # 600 scans a minute per scanner: exhaust the first scanner's allowance cheaply by
    # hitting a checkpoint that does not exist (the limit counts requests, not results).
    for _ in range(600):
        client.post("/api/v1/checkpoints/999999/scans", json={"code": "X", "device_id": "d1"}, headers=bearer(first))
    assert client.post("/api/v1/checkpoints/999999/scans", json={"code": "X", "device_id": "d1"},
                       headers=bearer(first)).status_code == 429
    # The second phone on the same venue Wi-Fi still scans.
    assert client.post("/api/v1/checkpoints/999999/scans", json={"code": "X", "device_id": "d2"},
                       headers=bearer(second)).status_code == 404


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
