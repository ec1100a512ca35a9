"""A rush larger than the connection pool answers 503 busy with Retry-After, never a 500."""
from app import create_app
from app.database import db


def test_an_exhausted_pool_answers_503_busy(app, make_city):
    make_city()
    crowded = create_app(
        {
            **{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "REDIS_URL", "SECRET_KEY", "INSTANCE_DIR")},
            "TESTING": True,
            "RATELIMIT_ENABLED": False,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 1, "max_overflow": 0, "pool_timeout": 0.2},
        }
    )
    with crowded.app_context():
        held = db.engine.connect()  # the one connection, taken by "another request"
        try:
            answer = crowded.test_client().get("/api/v1/cities")
        finally:
            held.close()
            db.engine.dispose()
    assert answer.status_code == 503
    assert answer.get_json()["code"] == "busy"
    assert answer.headers["Retry-After"] == "5"
