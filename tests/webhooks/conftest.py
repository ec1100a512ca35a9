"""Webhooks fixtures: a real HTTP receiver on loopback (a threaded http.server), real RQ workers
on the suite's Redis, and a city with a festival, an organiser and a workshop."""
import json
import threading
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count

import pytest
from rq import Queue

from app import relay
from app.database import db
from app.queues import GENERAL_QUEUES, QUEUES, InProcessAppWorker, make_worker
from app.redis_conn import connection
from registrations import services as registrations
from tests.conftest import free_port

FUTURE = datetime(2027, 8, 22, 3, 0, tzinfo=timezone.utc)
_emails = count(1)


class Received:
    def __init__(self, path, headers, body):
        self.path, self.headers, self.body = path, headers, body
        self.json = json.loads(body) if body else None


class Receiver:
    """A partner's server. Each path answers 200 unless told otherwise with .plan(path, *answers):
    an int (a status), ("hang", threading.Event) (hold the request until the event is set),
    ("redirect", url), ("big", n bytes)."""

    def __init__(self):
        self.received = []
        self.plans = {}
        self.arrived = {}
        self.lock = threading.Lock()
        self.unfinished_writes = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.received.append(Received(self.path, dict(self.headers), body))
                    plan = receiver.plans.get(self.path) or []
                    answer = plan.pop(0) if plan else 200
                    receiver.arrived.setdefault(self.path, threading.Event()).set()
                if isinstance(answer, tuple) and answer[0] == "hang":
                    answer[1].wait(300)
                    answer = 200
                if isinstance(answer, tuple) and answer[0] == "redirect":
                    self.send_response(302)
                    self.send_header("Location", answer[1])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if isinstance(answer, tuple) and answer[0] == "big":
                    self.send_response(200)
                    self.send_header("Content-Length", str(answer[1]))
                    self.end_headers()
                    try:
                        chunk = b"x" * 65536
                        for _ in range(answer[1] // len(chunk)):
                            self.wfile.write(chunk)
                    except OSError:
                        with receiver.lock:
                            receiver.unfinished_writes += 1
                    return
                self.send_response(answer)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/hook"):
        return f"http://127.0.0.1:{self.port}{path}"

    def plan(self, path, *answers):
        with self.lock:
            self.plans[path] = list(answers)
            self.arrived[path] = threading.Event()

    def at(self, path):
        with self.lock:
            return [r for r in self.received if r.path == path]

    def wait_for(self, path, timeout=60):
        with self.lock:
            event = self.arrived.setdefault(path, threading.Event())
        return event.wait(timeout)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def private_addresses_allowed(app):
    """The receiver is on loopback: allowed here as in development (WEBHOOKS_ALLOW_PRIVATE=true)."""
    saved = {k: app.config.get(k) for k in ("WEBHOOKS_ALLOW_PRIVATE", "WEBHOOKS_TIMEOUT", "PRODUCTION")}
    app.config.update(WEBHOOKS_ALLOW_PRIVATE=True, WEBHOOKS_TIMEOUT=5, PRODUCTION=False)
    yield
    app.config.update(saved)


@pytest.fixture
def work(app):
    """work(queues=QUEUES) -> jobs run: real RQ workers (no fork) in burst mode until the queues are empty."""

    def run(queues=QUEUES, rounds=10):
        total = 0
        for _ in range(rounds):
            # What the requests, and the last round's jobs, committed is in RQ before the worker looks:
            # each hop from a job's commit to the next job takes a round (the courier, app/relay.py).
            relay.settle(app=app)
            worker = make_worker(app, queues, worker_class=InProcessAppWorker)
            worker.work(burst=True, with_scheduler=True)
            done = worker.successful_job_count + worker.failed_job_count
            total += done
            # A round counts no job that RQ keeps no result of (a delivery pass), though what it
            # committed may have started more: done only when nothing more was handed over.
            relay.settle(app=app)
            if not done and not any(Queue(name, connection=connection(app)).count for name in queues):
                break
        return total

    run.general = lambda: run(GENERAL_QUEUES)
    return run


@pytest.fixture
def city(make_city, make_festival, make_session, make_user):
    """Bangkok with a festival and a workshop, its organiser (token), an admin, and Chiang Mai's organiser."""
    city_id = make_city("bangkok", "กรุงเทพมหานคร", "Bangkok")
    other_city = make_city("chiang-mai", "เชียงใหม่", "Chiang Mai")
    # Running since yesterday (Bangkok), so the gates' scans today are real, not rehearsals,
    # and still on when the workshop (FUTURE) takes place.
    yesterday = (datetime.now(ZoneInfo("Asia/Bangkok")) - timedelta(days=1)).date()
    festival_id = make_festival(city_id, slug="learning-city-days", starts_on=yesterday, ends_on=FUTURE.date())

    class C:
        slug = "bangkok"
        festival = "learning-city-days"

    C.id, C.festival_id, C.other_city = city_id, festival_id, other_city
    C.workshop = make_session(festival_id, starts_at=FUTURE, capacity=10)
    C.organiser_id, C.organiser = make_user("organiser", city_id, password="pw-organiser-1", email="noi@bangkok.example")
    C.admin_id, C.admin = make_user("admin", password="pw-admin-1", email="admin@net.example")
    _id, C.stranger = make_user("organiser", other_city, email="som@chiangmai.example")
    return C


@pytest.fixture
def sign_up(app, city):
    def make(**fields):
        values = {"name": "สมศรี ใจดี", "email": f"visitor{next(_emails)}@example.org", "age_group": "adult",
                  "consent": True, "locale": "th"}
        values.update(fields)
        with app.app_context():
            result = registrations.sign_up(city.festival, **values)
            db.session.commit()
            return result.pass_.id

    return make


def wait_until(predicate, timeout=60):
    """Poll for something another thread does (a generous bound for a slow machine, not a measurement)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


@pytest.fixture
def book(app):
    def make(pass_id, session_id, seats=None):
        with app.app_context():
            booking = registrations.book(pass_id, session_id, seats=seats)
            db.session.commit()
            return booking.id

    return make


@pytest.fixture
def smtp(app, smtp_server):
    """Point the app at the suite's SMTP server for this test; its inbox starts empty."""
    saved = {key: app.config.get(key) for key in ("SMTP_HOST", "SMTP_PORT", "MAIL_FROM")}
    app.config.update(SMTP_HOST=smtp_server.host, SMTP_PORT=smtp_server.port,
                      MAIL_FROM="Thetsakan <no-reply@thetsakan.example>")
    smtp_server.clear()
    yield smtp_server
    smtp_server.clear()
    app.config.update(saved)
