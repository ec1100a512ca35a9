"""A rush larger than the connection pool answers 503 busy with Retry-After, never a 500.

The crowded app keeps the limiter on, as production does (building it with the limiter
off would switch off the one limiter the whole suite shares).
"""
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
