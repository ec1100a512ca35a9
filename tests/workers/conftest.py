"""Workers fixtures: real RQ workers on the suite's Redis, the real SMTP server, a festival with workshops."""
import time
from datetime import datetime, timezone
from itertools import count

import pytest
from rq import Queue
from rq.job import Job

from app import relay
from app.database import db
from app.queues import QUEUES, InProcessAppWorker, make_worker
from app.redis_conn import connection
from registrations import services as registrations
from mail.services import batch

FUTURE = datetime(2027, 8, 22, 3, 0, tzinfo=timezone.utc)  # 10:00 in Bangkok, a Sunday
_emails = count(1)


def promote_scheduled(app, horizon):
    """Enqueue scheduled jobs due within `horizon` seconds from now: RQ's scheduler, fast-forwarded.

    Recurring jobs (scheduled by a real worker's maintenance) stay put: each run
    schedules the next, so fast-forwarding them would never end."""
    conn = connection(app)
    moved = 0
    for name in QUEUES:
        queue = Queue(name, connection=conn)
        registry = queue.scheduled_job_registry
        for job_id in registry.get_jobs_to_schedule(timestamp=int(time.time() + horizon)):
            if job_id.startswith("recurring-"):
                continue
            job = Job.fetch(job_id, connection=conn)
            registry.remove(job)
            queue.enqueue_job(job)
            moved += 1
    return moved


@pytest.fixture
def run_jobs(app):
    """run_jobs(fast_forward=0) -> jobs run: real RQ workers (no fork: `flask worker --no-fork`), in burst
    mode with the scheduler, until nothing is left (optionally
    running scheduled jobs, such as retries, that are due within fast_forward seconds)."""

    def run(fast_forward=0, rounds=20):
        total = 0
        for _ in range(rounds):
            # What the requests, and the last round's jobs, committed is in RQ before the workers look.
            relay.settle(app=app)
            worker = make_worker(app, worker_class=InProcessAppWorker)
            worker.work(burst=True, with_scheduler=True)
            total += worker.successful_job_count + worker.failed_job_count
            if not fast_forward or not promote_scheduled(app, fast_forward):
                relay.settle(app=app)
                if not any(Queue(name, connection=connection(app)).count for name in QUEUES):
                    break
        return total

    return run


@pytest.fixture
def smtp(app, smtp_server):
    """Point the app at the suite's SMTP server for this test; its inbox starts empty."""
    saved = {key: app.config.get(key) for key in ("SMTP_HOST", "SMTP_PORT", "MAIL_FROM")}
    app.config.update(SMTP_HOST=smtp_server.host, SMTP_PORT=smtp_server.port, MAIL_FROM="Thetsakan <no-reply@thetsakan.example>")
    end_batch(app)
    smtp_server.clear()
    yield smtp_server
    end_batch(app)
    smtp_server.clear()
    app.config.update(saved)


def end_batch(app):
    """The test process runs mail jobs in process, like a worker: no test inherits another's SMTP connection."""
    with app.app_context():
        batch.end()


@pytest.fixture(autouse=True)
def relay_ready(app):
    """Each test starts with the after-commit relay awake (a test that stops Redis pauses it)."""
    with app.app_context():
        relay.resume()
    yield


@pytest.fixture
def festival(make_city, make_festival, make_venue):
    """A published festival with two venues; returns a namespace of ids."""
    city_id = make_city()
    festival_id = make_festival(city_id)

    class F:
        slug = "learning-city-days"

    F.id, F.city_id = festival_id, city_id
    F.stage = make_venue(festival_id, "Main stage", "เวทีหลัก", "stage")
    F.room = make_venue(festival_id, "Weaving room", "ห้องทอผ้า", "room", capacity=30)
    return F


@pytest.fixture
def workshop(festival, make_session):
    def make(capacity=10, starts_at=FUTURE, minutes=60, venue_id=None, **fields):
        return make_session(
            festival.id, starts_at=starts_at, minutes=minutes, capacity=capacity, venue_id=venue_id or festival.room, **fields
        )

    return make


@pytest.fixture
def sign_up(app, festival):
    """sign_up(locale='th', party=(), **fields) -> pass id, through the registrations service, committed."""

    def make(slug=None, **fields):
        values = {
            "name": "สมศรี ใจดี",
            "email": f"visitor{next(_emails)}@example.org",
            "age_group": "adult",
            "consent": True,
            "locale": "th",
        }
        values.update(fields)
        with app.app_context():
            result = registrations.sign_up(slug or festival.slug, **values)
            db.session.commit()
            pass_id = result.pass_.id
            db.session.remove()
            return pass_id

    return make


@pytest.fixture
def book(app):
    def make(pass_id, session_id, seats=None):
        with app.app_context():
            booking = registrations.book(pass_id, session_id, seats=seats)
            db.session.commit()
            result = booking.id
            db.session.remove()
            return result

    return make
