"""A rush larger than the connection pool answers 503 busy with Retry-After, never a 500.

The crowded app keeps the limiter on, as production does: its Retry-After belongs to
429 answers only and must not replace the one `busy` documents.
"""
from datetime import date

import pytest

from app import create_app
from app.database import db
from app.extensions import limiter


@pytest.fixture
def crowded(app):
    crowded = create_app(
        {
            **{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "REDIS_URL", "SECRET_KEY", "INSTANCE_DIR")},
            "TESTING": True,
            "RATELIMIT_ENABLED": True,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 1, "max_overflow": 0, "pool_timeout": 0.2},
        }
    )
    assert limiter.enabled
    return crowded


def _while_the_pool_is_taken(crowded, request):
    with crowded.app_context():
        held = db.engine.connect()  # the one connection, taken by "another request"
        try:
            return request(crowded.test_client())
        finally:
            held.close()
            db.engine.dispose()


def test_an_exhausted_pool_answers_503_busy(crowded, make_city):
    make_city()
    answer = _while_the_pool_is_taken(crowded, lambda client: client.get("/api/v1/cities"))
    assert answer.status_code == 503
    assert answer.get_json()["code"] == "busy"
    assert answer.headers["Retry-After"] == "5"


def test_a_rate_limited_endpoint_keeps_the_retry_after_of_busy(crowded, make_city, make_festival):
    make_festival(make_city(), slug="busy-fest", starts_on=date(2099, 1, 1), ends_on=date(2099, 1, 2))
    for request in (
        lambda client: client.post("/api/v1/festivals/busy-fest/passes", json={
            "name": "Visitor", "email": "busy@example.org", "age_group": "adult", "consent": True}),
        lambda client: client.post("/api/v1/passes/" + "t" * 43 + "/bookings", json={"session_id": 1}),
    ):
        answer = _while_the_pool_is_taken(crowded, request)
        assert answer.status_code == 503
        assert answer.get_json()["code"] == "busy"
        assert answer.headers["Retry-After"] == "5"
