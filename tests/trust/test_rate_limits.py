"""Rate limits on sign-up, booking, scanning and sign-in: 429 with Retry-After and a code."""
from datetime import date

import pytest

from app.extensions import limiter
from app.limits import LIMITS
from tests.conftest import bearer, csrf_from


@pytest.fixture
def limited(app):
    limiter.enabled = True
    limiter.reset()
    yield
    limiter.reset()
    limiter.enabled = False


def test_every_declared_limit_names_a_real_endpoint(app):
    assert set(LIMITS) <= set(app.view_functions)


def _sign_up(client, slug, n):
    return client.post(
        f"/api/v1/festivals/{slug}/passes",
        json={"name": f"Visitor {n}", "email": f"v{n}@example.org", "age_group": "adult", "consent": True},
    )


def test_sign_up_is_limited_per_address_with_retry_after(app, client, limited, make_city, make_festival):
    city = make_city()
    make_festival(city, slug="rush-fest", starts_on=date(2099, 1, 1), ends_on=date(2099, 1, 2))
    answers = [_sign_up(client, "rush-fest", n) for n in range(21)]
    assert [a.status_code for a in answers[:20]] == [201] * 20
    refused = answers[20]
    assert refused.status_code == 429
    assert refused.get_json()["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0
    # Another address is not affected.
    other = client.post(
        "/api/v1/festivals/rush-fest/passes",
        json={"name": "Other", "email": "other@example.org", "age_group": "adult", "consent": True},
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )
    assert other.status_code == 201


def test_sign_in_attempts_are_limited(app, client, limited):
    # Counted where the password is checked: a request without its CSRF token never gets there.
    token = csrf_from(client.get("/login").get_data(as_text=True))
    guesses = [client.post("/login", data={"email": "x@example.org", "password": f"guess{n}", "csrf_token": token})
               for n in range(10)]
    assert [g.status_code for g in guesses] == [422] * 10
    blocked = client.post("/login", data={"email": "x@example.org", "password": "guess", "csrf_token": token})
    assert blocked.status_code == 429
    assert "Retry-After" in blocked.headers


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


def _sign_ups_through(client, slug, start, count, forwarded_for):
    return [client.post(f"/api/v1/festivals/{slug}/passes",
                        json={"name": f"Visitor {n}", "email": f"p{n}@example.org", "age_group": "adult", "consent": True},
                        headers={"X-Forwarded-For": forwarded_for}, environ_base={"REMOTE_ADDR": "10.0.0.2"})
            for n in range(start, start + count)]


def test_a_forged_forwarded_for_does_not_escape_the_limit_when_no_proxy_is_trusted(app, client, limited, make_city,
                                                                                     make_festival):
    make_festival(make_city(), slug="forge-fest", starts_on=date(2099, 1, 1), ends_on=date(2099, 1, 2))
    assert app.config["TRUSTED_PROXIES"] == 0
    answers = [_sign_ups_through(client, "forge-fest", n, 1, f"198.51.100.{n}")[0] for n in range(21)]
    assert [a.status_code for a in answers] == [201] * 20 + [429]


def test_behind_a_trusted_proxy_each_visitor_is_limited_on_their_own_address(app, client, limited, make_city,
                                                                             make_festival):
    from app.factory import _trust_proxies

    make_festival(make_city(), slug="proxy-fest", starts_on=date(2099, 1, 1), ends_on=date(2099, 1, 2))
    bare = app.wsgi_app
    app.config["TRUSTED_PROXIES"] = 1
    try:
        _trust_proxies(app)
        first = _sign_ups_through(client, "proxy-fest", 0, 21, "203.0.113.7")
        assert [a.status_code for a in first] == [201] * 20 + [429]
        # Another visitor behind the same proxy is counted on their own.
        assert _sign_ups_through(client, "proxy-fest", 100, 1, "203.0.113.8")[0].status_code == 201
        # One hop is trusted: an address the visitor put in front of the proxy's is not believed.
        spoofed = _sign_ups_through(client, "proxy-fest", 200, 1, "192.0.2.1, 203.0.113.7")[0]
        assert spoofed.status_code == 429
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
