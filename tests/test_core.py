"""The ground floor: health, users and tokens, errors, the outbox, locale and Buddhist Era dates."""
from datetime import date

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app import relay
from app.database import db
from app.i18n import long_date, short_date
from app.outbox import OutboxMessage, emit, messages
from app.queues import make_worker
from app.redis_conn import connection
from app.users import User
from tests.conftest import bearer, csrf_from, login


def test_migrations_match_the_models(app):
    """The suite's schema comes from `flask db upgrade`; autogenerate must find nothing left to do."""
    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
    assert diff == []


def test_healthz_reports_each_part_and_needs_a_worker(app, client):
    body = client.get("/healthz")
    assert body.status_code == 503
    report = body.get_json()
    assert report["database"]["ok"] is True
    assert report["redis"]["ok"] is True
    assert report["workers"] == {"ok": False, "alive": 0, "workers": []}

    with app.app_context():
        worker = make_worker(app)
        worker.register_birth()
        worker.heartbeat()
        try:
            answer = client.get("/healthz")
            assert answer.status_code == 200
            assert answer.get_json()["workers"]["alive"] == 1
            assert answer.get_json()["status"] == "ok"
        finally:
            worker.register_death()


def test_health_and_workers_leave_the_shared_redis_client_s_timeouts_alone(app, client):
    """RQ raises the socket timeout of any client a Worker object is built with to 415 s; the shared
    client (requests, the relay) must keep its own, or a hung Redis holds every later request."""
    with app.app_context():
        shared = connection().connection_pool.connection_kwargs
        before = (shared["socket_timeout"], shared["socket_connect_timeout"])
        worker = make_worker(app)
        worker.register_birth()
        try:
            assert client.get("/healthz").status_code == 200
            assert worker.connection.connection_pool.connection_kwargs["socket_timeout"] > before[0]
        finally:
            worker.register_death()
        assert (shared["socket_timeout"], shared["socket_connect_timeout"]) == before == (2, 1)


def test_users_create_prints_a_working_token_last(app, runner, make_city, client):
    make_city("chiang-mai", "เชียงใหม่", "Chiang Mai")
    result = runner.invoke(args=["users", "create", "noi@cm.example", "--role", "organiser", "--city", "chiang-mai"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("tsk_") and len(token) > 40
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "noi@cm.example"))
        assert user.role == "organiser" and user.city_id is not None
        assert token not in {t.token_hash for t in user.tokens}  # only the hash is stored


def test_users_create_refuses_a_city_role_without_a_city_and_an_unknown_city(runner):
    missing = runner.invoke(args=["users", "create", "a@b.example", "--role", "staff"])
    assert missing.exit_code != 0 and "city" in missing.output
    unknown = runner.invoke(args=["users", "create", "a@b.example", "--role", "staff", "--city", "atlantis"])
    assert unknown.exit_code != 0 and "atlantis" in unknown.output


def test_a_bad_bearer_token_is_401_with_a_code(client):
    answer = client.get("/api/v1/openapi.json", headers=bearer("tsk_not-a-real-token"))
    # The OpenAPI document is public; a wrong token on a protected call is tested by each domain.
    assert answer.status_code == 200
    assert answer.get_json()["info"]["title"] == "Thetsakan"
    assert "bearerAuth" in answer.get_json()["components"]["securitySchemes"]


def test_unknown_api_path_answers_json_with_a_code(client):
    answer = client.get("/api/v1/no-such-thing")
    assert answer.status_code == 404
    assert answer.get_json()["code"] == "not_found"


def test_outbox_message_commits_with_the_write_and_vanishes_with_a_rollback(app):
    with app.app_context():
        emit("booking.confirmed", booking_id=1)
        db.session.rollback()
        assert messages() == []
        emit("booking.confirmed", booking_id=2)
        db.session.commit()
        assert relay.settle()
        stored = messages("booking.confirmed")
        assert [m.payload for m in stored] == [{"booking_id": 2}]
        assert stored[0].dispatched_at is not None  # the after-commit relay handed it to RQ
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 1


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("th", "22 สิงหาคม 2566"), ("en", "22 August 2023")],
)
def test_long_dates_use_the_buddhist_era_in_thai(app, locale, expected):
    with app.test_request_context():
        assert long_date(date(2023, 8, 22), locale) == expected


def test_short_thai_date_has_a_two_digit_be_year(app):
    with app.test_request_context():
        assert short_date(date(2023, 8, 22), "th") == "22 ส.ค. 66"


def test_login_form_needs_its_csrf_token_and_the_right_password(app, client, make_user):
    make_user("admin", password="correct horse", email="boss@example.org")
    refused = client.post("/login", data={"email": "boss@example.org", "password": "correct horse"})
    assert refused.status_code == 400  # no CSRF token
    wrong = login(client, "boss@example.org", "wrong")
    assert wrong.status_code == 422
    assert "Email or password is not right." in wrong.get_data(as_text=True) or "ไม่ถูกต้อง" in wrong.get_data(as_text=True)
    ok = login(client, "boss@example.org", "correct horse")
    assert ok.status_code == 302


def test_login_page_speaks_thai_by_default_and_english_on_request(client):
    thai = client.get("/login", headers={"Accept-Language": "th"}).get_data(as_text=True)
    assert "เข้าสู่ระบบ" in thai and 'lang="th"' in thai
    english = client.get("/login?lang=en").get_data(as_text=True)
    assert "Sign in" in english and 'lang="en"' in english
    assert csrf_from(english)
