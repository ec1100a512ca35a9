"""Fixtures over real parts: the database of DATABASE_URL (else SQLite), the Redis of
REDIS_URL (else an embedded redis-server), a real SMTP server on loopback, a live
threaded HTTP server and headless Chromium."""
import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from datetime import date, datetime, timedelta, timezone
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import sync_playwright
import sqlalchemy as sa
from flask_migrate import upgrade
from werkzeug.serving import make_server

from app import create_app, relay
from app.database import db
from app.extensions import limiter
from app.redis_conn import EmbeddedRedis, connection
from app.users import create_user, issue_token
from events import programme_store
from events.models import City, Festival, ProgrammeSession, Venue

IN_CI = os.environ.get("CI", "").lower() == "true"
ROOT = Path(__file__).resolve().parents[1]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("thetsakan")


@pytest.fixture(scope="session")
def redis_url(workdir):
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    server = EmbeddedRedis(workdir / "redis").start()
    yield server.url
    server.close()


@pytest.fixture(scope="session")
def database_url(workdir):
    return os.environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def app(workdir, redis_url, database_url):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "REDIS_URL": redis_url,
            "SECRET_KEY": "test-secret-key-not-for-production",
            "PUBLIC_URL": "http://127.0.0.1:5000",
            "MAILDIR": str(workdir / "maildir"),
            "INSTANCE_DIR": str(workdir / "instance"),
            # On, as production has it: every test runs with the limiter counting in Redis.
            "RATELIMIT_ENABLED": True,
            # The live server is threaded without a bound: give it a pool as wide as the races we run.
            "DB_POOL_SIZE": 20,
            "DB_MAX_OVERFLOW": 60,
            "SERVER_NAME": None,
        }
    )
    with app.app_context():
        _fresh_schema()
        upgrade()  # the real migrations, on SQLite or PostgreSQL: the suite tests them every run
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _fresh_schema():
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    else:
        path = db.engine.url.database
        db.engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            if path and os.path.exists(path + suffix):
                os.remove(path + suffix)


def _table_names():
    return [t.name for t in reversed(db.metadata.sorted_tables)]


@pytest.fixture(autouse=True)
def clean_state(app, request):
    """Every test starts from empty tables and an empty Redis database (the limiter's counters too)."""
    assert limiter.enabled, "the limiter is on in production: a test (or an app it built) switched it off"
    yield
    # A test's courier hands over what its commits gave it before the tables and Redis are
    # emptied: else it would mark and enqueue another test's messages of the same ids.
    assert relay.settle(app=app), "the outbox courier did not finish within its time"
    with app.app_context():
        db.session.remove()
        names = _table_names()
        with db.engine.begin() as conn:
            # DELETE, dependants first, not TRUNCATE: TRUNCATE makes each table a new file, about
            # 0.1 s a test on a disk slow to sync, and a test leaves only a few rows behind.
            for name in names:
                conn.execute(sa.text(f'DELETE FROM "{name}"'))
            if db.engine.dialect.name == "postgresql":
                # What RESTART IDENTITY did: ids start at 1 again, as SQLite's do in emptied tables.
                conn.execute(sa.text(
                    "SELECT setval(c.oid::regclass, 1, false) FROM pg_class c "
                    "WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace"
                ))
        connection(app).flushdb()
        limiter.reset()  # the limiter's own store: the same Redis today, but said rather than assumed
    # The stored programme's process memory is keyed by ids and versions that the next test's
    # fresh tables can repeat.
    programme_store.kept.clear()
    maildir = Path(app.config["MAILDIR"])
    if maildir.exists():
        shutil.rmtree(maildir)


@pytest.fixture
def ctx(app):
    """An app context for calling services directly; commit what you want the app to see."""
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- people and programme -------------------------------------------------


@pytest.fixture
def make_city(app):
    def make(slug="bangkok", name_th="กรุงเทพมหานคร", name_en="Bangkok", **fields):
        with app.app_context():
            city = City(slug=slug, name_th=name_th, name_en=name_en, **fields)
            db.session.add(city)
            db.session.commit()
            return city.id

    return make


@pytest.fixture
def make_user(app):
    """make_user(role, city_id=None, password=None) -> (user_id, bearer token)."""
    counter = iter(range(1, 10_000))

    def make(role, city_id=None, password=None, email=None):
        with app.app_context():
            user = create_user(email or f"{role}{next(counter)}@example.org", role, city_id=city_id, password=password)
            token = issue_token(user)
            db.session.commit()
            return user.id, token

    return make


def statements_of(app, call):
    """(what call() returns, the SQL statements it sent, whitespace folded): what a request costs the database."""
    seen = []

    def note(_conn, _cursor, statement, _parameters, _context, _many):
        seen.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        answer = call()
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
    return answer, seen


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def make_festival(app):
    """make_festival(city_id, slug=..., status='published', **fields) -> festival id."""

    def make(city_id, slug="learning-city-days", status="published", **fields):
        values = dict(
            name_th="วันเมืองแห่งการเรียนรู้",
            name_en="Learning City Days",
            starts_on=date(2027, 8, 22),
            ends_on=date(2027, 8, 23),
            timezone="Asia/Bangkok",
            venue_th="นำ อาท บางกอก1899",
            venue_en="Na at Bangkok1899",
            address="Bangkok",
        )
        values.update(fields)
        with app.app_context():
            festival = Festival(slug=slug, city_id=city_id, status=status, **values)
            db.session.add(festival)
            db.session.commit()
            return festival.id

    return make


@pytest.fixture
def make_venue(app):
    def make(festival_id, name_en="Main stage", name_th="เวทีหลัก", kind="stage", capacity=None):
        with app.app_context():
            venue = Venue(festival_id=festival_id, name_th=name_th, name_en=name_en, kind=kind, capacity=capacity)
            db.session.add(venue)
            db.session.commit()
            return venue.id

    return make


@pytest.fixture
def make_session(app):
    """make_session(festival_id, starts_at=aware datetime, minutes=60, capacity=None, **fields) -> id."""

    def make(festival_id, starts_at=None, minutes=60, capacity=None, kind="workshop", **fields):
        starts_at = starts_at or datetime(2027, 8, 22, 3, 0, tzinfo=timezone.utc)  # 10:00 in Bangkok
        values = dict(
            title_th="เวิร์กช็อปทอผ้า",
            title_en="Weaving workshop",
            themes=["lifelong-culture"],
            # A family workshop, for every age group: the age rule has tests of its own.
            age_groups=["child", "teen", "adult", "senior"],
            hosts=[],
        )
        values.update(fields)
        with app.app_context():
            session = ProgrammeSession(
                festival_id=festival_id,
                kind=kind,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=minutes),
                capacity=capacity,
                **values,
            )
            db.session.add(session)
            db.session.commit()
            return session.id

    return make


# --- forms ------------------------------------------------------------------

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_from(html):
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1) or match.group(2)


def login(client, email, password):
    page = client.get("/login")
    token = csrf_from(page.get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


# --- live server, SMTP and browser -----------------------------------------


class LiveServer:
    def __init__(self, app):
        self.port = free_port()
        self.server = make_server("127.0.0.1", self.port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture(scope="session")
def live_server(app):
    server = LiveServer(app).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def smtp_server():
    """A real SMTP server on loopback (aiosmtpd); .messages holds what it received."""
    class Inbox:
        def __init__(self):
            self.messages = []
            self.peers = []  # the client's (address, port) of each message taken: one port per connection
            self.refuse = 0  # refuse this many DATA commands with 451, to test retries
            self.delay = 0.0  # seconds before answering each DATA: a slow server, so a batch is still going
            self.lock = threading.Lock()

        async def handle_DATA(self, server, session, envelope):
            if self.delay:
                await asyncio.sleep(self.delay)
            with self.lock:
                if self.refuse > 0:
                    self.refuse -= 1
                    return "451 4.3.0 try again later"
                self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
                self.peers.append(session.peer)
            return "250 OK"

        @property
        def connections(self):
            return len(set(self.peers))

        def clear(self):
            with self.lock:
                self.messages.clear()
                self.peers.clear()
                self.refuse = 0
                self.delay = 0.0

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.host, inbox.port = controller.hostname, controller.port
    yield inbox
    controller.stop()


@pytest.fixture
def chromium():
    """A headless Chromium (Debian's) via Playwright; skipped off CI when not installed."""
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(executable):
        if IN_CI:
            pytest.fail("Chromium is missing under CI: .ci/run must install it")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture
def hanging_redis(tmp_path, app):
    """A redis-server of this test's own, to hang; the limiter's store (one per process) is given back after.

    For the tests of what a process keeps under a generation (app/generations.py): `app_process()` is
    another web process of the same database on this server, and `commit_while_hung(script, *args)`
    runs a script (argv: database, this server's URL, instance dir, *args) in another process while
    the server hangs, so that its commit cannot replace the generation."""
    from tests.faults.conftest import RedisServer  # tests/faults imports this module

    server = RedisServer(tmp_path).start()
    saved = (limiter.storage, limiter.windows)
    made = []

    def app_process():
        other = create_app({
            **{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "INSTANCE_DIR")},
            "REDIS_URL": server.url, "TESTING": True, "RATELIMIT_ENABLED": True,
        })
        made.append(other)
        return other

    def commit_while_hung(script, *args):
        server.hang()
        try:
            changed = subprocess.run(
                [sys.executable, "-c", script, app.config["SQLALCHEMY_DATABASE_URI"], server.url,
                 app.config["INSTANCE_DIR"], *map(str, args)],
                cwd=ROOT, capture_output=True, text=True, timeout=120)
        finally:
            server.unhang()
        assert changed.returncode == 0, changed.stderr[-3000:]
        assert "not replaced" in changed.stdout + changed.stderr  # the other process could not say so

    server.app_process, server.commit_while_hung = app_process, commit_while_hung
    try:
        yield server
    finally:
        for other in made:
            with other.app_context():
                db.session.remove()
                db.engine.dispose()
        server.stop()
        limiter.storage, limiter.windows = saved
