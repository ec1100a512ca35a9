"""Limits fail open: with the limiter's Redis stopped or hung, sign-ups, bookings, scans and offline
uploads still answer, the log says so once per outage and once when Redis is back.

The app runs as its own process (`flask --app wsgi run`) on a redis-server this test starts
on its own port and stops (SIGTERM) or hangs (SIGSTOP): nothing is mocked.
"""
import os
import signal
import subprocess
import sys
import time
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import redis
import requests

from app.database import db
from checkin.checkpoints import create_checkpoint
from events.models import Festival
from tests.conftest import bearer, free_port
from tests.workers.test_resilience import RedisServer

ROOT = Path(__file__).resolve().parents[2]
DOWN = "rate limits are not counted"
BACK = "rate limits are counted again"


class AppProcess:
    """The app in its own process, on the given Redis, its log in a file."""

    def __init__(self, app, redis_port, directory):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = directory / "app.log"
        env = dict(os.environ)
        env.update(
            DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
            REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
            SECRET_KEY=app.config["SECRET_KEY"],
            PUBLIC_URL=self.url,
            INSTANCE_DIR=str(directory / "instance"),
            MAILDIR=str(directory / "maildir"),
            PORT=str(self.port),
        )
        env.pop("SMTP_HOST", None)
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--port", str(self.port), "--no-reload",
             "--no-debugger"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        for _ in range(300):
            try:
                requests.get(self.url + "/api/v1/openapi.json", timeout=5)
                return
            except requests.ConnectionError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.1)
        raise RuntimeError("the app did not start:\n" + self.log_path.read_text())

    def lines(self, text):
        return [line for line in self.log_path.read_text().splitlines() if text in line]

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        self.log.close()


@pytest.fixture
def limiter_redis(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    if server.process.poll() is None:
        os.kill(server.process.pid, signal.SIGCONT)
        server.stop()


@pytest.fixture
def app_process(app, limiter_redis, tmp_path):
    process = AppProcess(app, limiter_redis.port, tmp_path)
    yield process
    process.stop()


@pytest.fixture
def gate(app, make_city, make_festival, make_session, make_user):
    city = make_city()
    festival = make_festival(city, slug="outage-fest", starts_on=date(2099, 1, 1), ends_on=date(2099, 1, 2))
    session = make_session(festival, starts_at=datetime(2099, 1, 1, 3, 0, tzinfo=timezone.utc), capacity=500)
    _, staff = make_user("staff", city)
    return {"festival": festival, "session": session, "staff": bearer(staff),
            "checkpoint": _checkpoint(app, festival)}


def _checkpoint(app, festival_id):
    with app.app_context():
        checkpoint = create_checkpoint(db.session.get(Festival, festival_id), name="Main gate", kind="gate")
        db.session.commit()
        return checkpoint.id


def _sign_up(url, n, timeout=60):
    return requests.post(f"{url}/api/v1/festivals/outage-fest/passes", timeout=timeout, json={
        "name": f"Visitor {n}", "email": f"outage{n}@example.org", "age_group": "adult", "consent": True})


def _everything_answers(url, gate, start, count=10):
    """Sign-ups, a booking for each, a scan and an offline upload: every answer a success."""
    statuses = []
    for n in range(start, start + count):
        signed = _sign_up(url, n)
        statuses.append(signed.status_code)
        if signed.status_code != 201:
            continue
        body = signed.json()
        booked = requests.post(f"{url}/api/v1/passes/{body['manage_token']}/bookings",
                               json={"session_id": gate["session"]}, timeout=60)
        statuses.append(booked.status_code)
        scanned = requests.post(f"{url}/api/v1/checkpoints/{gate['checkpoint']}/scans", headers=gate["staff"],
                                json={"code": body["code"], "device_id": "gate-1"}, timeout=60)
        statuses.append(scanned.status_code)
    uploaded = requests.post(f"{url}/api/v1/checkpoints/{gate['checkpoint']}/scans/batch", headers=gate["staff"],
                             json={"device_id": "gate-2", "scans": []}, timeout=60)
    statuses.append(uploaded.status_code)
    return statuses


def _until_counted_again(app_process, start):
    """Redis is back: the store is asked again once its short pause after a failure is over."""
    for n in range(start, start + 100):
        assert _sign_up(app_process.url, n).status_code == 201
        if app_process.lines(BACK):
            return
        time.sleep(0.2)
    raise AssertionError("the limiter never said Redis was back:\n" + app_process.log_path.read_text())


def test_with_redis_stopped_everything_answers_and_the_log_says_so_once(app_process, limiter_redis, gate):
    assert _everything_answers(app_process.url, gate, 0, count=2) == [201, 201, 200] * 2 + [200]
    assert redis.Redis(port=limiter_redis.port).keys("LIMITS*"), "the limiter counts in this Redis"

    limiter_redis.stop()
    assert _everything_answers(app_process.url, gate, 100) == [201, 201, 200] * 10 + [200]
    assert len(app_process.lines(DOWN)) == 1
    assert app_process.lines(BACK) == []

    limiter_redis.start()  # back, and empty
    _until_counted_again(app_process, 200)
    assert len(app_process.lines(BACK)) == 1
    assert len(app_process.lines(DOWN)) == 1
    assert redis.Redis(port=limiter_redis.port).keys("LIMITS*"), "counting again"
    assert app_process.lines("Traceback") == []


def test_with_redis_hung_everything_answers(app_process, limiter_redis, gate):
    os.kill(limiter_redis.process.pid, signal.SIGSTOP)
    try:
        assert _everything_answers(app_process.url, gate, 0, count=3) == [201, 201, 200] * 3 + [200]
        assert len(app_process.lines(DOWN)) == 1
    finally:
        os.kill(limiter_redis.process.pid, signal.SIGCONT)
    _until_counted_again(app_process, 100)
    assert len(app_process.lines(DOWN)) == 1
