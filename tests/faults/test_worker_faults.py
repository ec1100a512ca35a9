"""A worker killed mid-batch, and an SMTP server refusing mail for a while, under real processes."""
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import redis
import sqlalchemy as sa
from rq import Queue
from rq.job import Job
from rq.scheduler import RQScheduler
from rq.registry import StartedJobRegistry

from app import relay
from app.database import db
from app.queues import DEFAULT, QUEUES, make_worker
from app.redis_conn import connection
from tests.faults.conftest import health, mails_per_letter, outbox_waiting, sign_up, wait_until
from mail.models import SENDING, SentMessage
from registrations.models import Pass
from tests.workers.test_resilience import kill_worker as kill_hard

pytestmark = pytest.mark.faults


def sign_ups(url, count, prefix):
    with httpx.Client(base_url=url, timeout=30) as client, ThreadPoolExecutor(4) as pool:
        return list(pool.map(lambda n: sign_up(client, n, prefix).status_code, range(count)))


def uncertain_keys(app):
    with app.app_context():
        keys = db.session.scalars(sa.select(SentMessage.key).where(SentMessage.status == SENDING)).all()
        db.session.remove()
        return keys


def uncertain_recipients(app):
    """The addresses of the letters the ledger holds as uncertain (claimed for sending, never marked)."""
    with app.app_context():
        emails = db.session.scalars(sa.select(Pass.email).join(SentMessage, SentMessage.pass_id == Pass.id)
                                    .where(SentMessage.status == SENDING)).all()
        db.session.remove()
        return set(emails)


def accounted_for(smtp, app):
    """Every visitor whose confirmation arrived or is flagged uncertain. A letter the killed worker
    handed to SMTP just before it could mark it is both: it arrived, and the ledger, which cannot
    know, keeps it uncertain for the operator rather than send it twice."""
    return {recipient for recipient, _subject in mails_per_letter(smtp)} | uncertain_recipients(app)


def letters_held_by_started_jobs(conn):
    """The confirmations a killed worker's started jobs held: one a mail, one per message a dispatch."""
    held = 0
    for name in QUEUES:
        for job_id in StartedJobRegistry(name, connection=conn).get_job_ids():
            job = Job.fetch(job_id, connection=conn)
            held += len(job.kwargs.get("message_ids") or ()) if job.func_name == relay.DISPATCH_MANY_JOB else 1
    return held


def test_a_worker_killed_mid_batch_and_restarted_loses_and_doubles_nothing(app, processes, redis_server, festival, smtp):
    web = processes.web()
    assert sign_ups(web.url, 60, "batch") == [201] * 60  # no worker yet: 60 confirmations queued
    # A slow SMTP server (0.2 s a mail), so the batch is still going when the worker is
    # killed however fast this machine sends: the kill lands mid-batch by construction.
    smtp.delay = 0.2
    worker = processes.worker()
    assert wait_until(lambda: len(mails_per_letter(smtp)) >= 6, seconds=120), processes.log(worker)
    lock_key = RQScheduler.get_locking_key(DEFAULT)
    raw = redis.Redis.from_url(redis_server.url)
    killed_scheduler = raw.get(lock_key)
    assert killed_scheduler is not None
    kill_hard(worker)
    at_kill = len(mails_per_letter(smtp))
    assert at_kill < 60, "the worker finished before it was killed"
    held = letters_held_by_started_jobs(raw)
    smtp.delay = 0.0

    restarted_at = time.monotonic()
    processes.worker()
    resumed = wait_until(lambda: len(mails_per_letter(smtp)) > at_kill + 1, seconds=30)
    resumed_after = time.monotonic() - restarted_at
    assert resumed, "the restarted worker sent nothing in 30 s"
    # The killed scheduler's lock (RQ keeps it 61 s) is taken over: retries, reminders and
    # the sweep are scheduled again within seconds, not after a minute or seven.
    taken_over = wait_until(lambda: raw.get(lock_key) not in (None, killed_scheduler), seconds=30)
    scheduling_after = time.monotonic() - restarted_at
    assert taken_over, f"the dead scheduler still holds {lock_key}\n{processes.log(processes.started[-1])}"
    # Every queued confirmation but those the killed worker held goes out: a mail, or the dispatch
    # of the messages the relay handed over together (RQ gives that job back later, below).
    assert wait_until(lambda: len(mails_per_letter(smtp)) >= 60 - held, seconds=120), f"{held} held"

    # The job the killed work-horse held is RQ's to give back once the dead worker's
    # heartbeat has expired (about 90 s): that wait is RQ's, not ours, so the test
    # runs RQ's own clean-up with its clock moved past the expiry.
    # On the processes' Redis (redis_server), not the suite's that `app` talks to: there the
    # clean-up found nothing, and the test leaned on RQ's own expiry arriving within its wait.
    suite_redis = app.extensions.get("thetsakan_redis")
    app.extensions["thetsakan_redis"] = redis.Redis.from_url(redis_server.url)
    try:
        with app.app_context():
            conn = connection()
            survivor = make_worker(app)
            for name in QUEUES:
                queue = Queue(name, connection=conn)
                StartedJobRegistry(name, connection=conn).cleanup(timestamp=time.time() + 3600)
                for job_id in queue.intermediate_queue.get_job_ids():
                    conn.set(queue.intermediate_queue.get_first_seen_key(job_id), time.time() - 120)
                queue.intermediate_queue.cleanup(survivor, queue)
    finally:
        app.extensions.pop("thetsakan_redis")
        if suite_redis is not None:
            app.extensions["thetsakan_redis"] = suite_redis
    uncertain = uncertain_keys(app)
    # The job given back is retried after its first backoff (10 s); a loaded machine may take longer.
    assert wait_until(lambda: len(accounted_for(smtp, app)) >= 60, seconds=180), (
        processes.log(processes.started[-1]))
    time.sleep(2)
    letters = mails_per_letter(smtp)
    assert set(letters.values()) == {1}  # none doubled
    assert len(accounted_for(smtp, app)) == 60 and len(uncertain) <= 1  # none lost without a trace
    raw.close()
    print(f"\nworker killed after {at_kill} of 60; its successor sent again {resumed_after:.1f} s after it started "
          f"and scheduled again after {scheduling_after:.1f} s; "
          f"{len(letters)} letters once, {len(uncertain_keys(app))} uncertain")


def test_smtp_refusing_for_a_while_delays_mail_and_loses_none(app, processes, redis_server, festival, smtp):
    web = processes.web()
    worker = processes.worker()
    assert wait_until(lambda: health(web.url)[0] == 200, seconds=60), processes.log(worker)
    smtp.refuse = 10**6  # 451 to every message
    assert sign_ups(web.url, 20, "refused") == [201] * 20
    time.sleep(5)  # the first attempt is refused; its retry comes 10 s after it
    assert len(mails_per_letter(smtp)) == 0
    with smtp.lock:
        smtp.refuse = 0
    recovered = time.monotonic()
    delivered = wait_until(lambda: len(mails_per_letter(smtp)) >= 20, seconds=60)
    delivered_after = time.monotonic() - recovered
    assert delivered, f"{len(mails_per_letter(smtp))} of 20 within a minute of recovery\n{processes.log(worker)}"
    time.sleep(2)
    assert set(mails_per_letter(smtp).values()) == {1} and len(mails_per_letter(smtp)) == 20
    assert outbox_waiting(app) == 0
    print(f"\nSMTP refused for 5 s: all 20 delivered once, {delivered_after:.1f} s after it accepted again")
