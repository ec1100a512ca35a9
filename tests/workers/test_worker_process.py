"""Where the forking worker (`flask --app wsgi worker`) runs each job: the outbox dispatch and the mail in its own
process (no fork, no new database connection per message), everything else in a forked work-horse."""
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
from rq import Queue
from rq.exceptions import StopRequested
from rq.job import Job

from app import relay
from app.database import db
from app.enqueue import RETRY_MAX
from app.outbox import OutboxMessage, emit
from app.queues import (
    DEFAULT, IN_PROCESS_JOBS, IN_PROCESS_QUEUES, MAIL, MAINTENANCE_HOOKS, AppWorker, add_maintenance_hook, make_worker,
    run_in_worker_process,
)
from app.redis_conn import connection
from events import services as events
from events.models import ProgrammeSession
from registrations.models import Pass
from workers.dispatch import TOPICS, job_id
from mail.models import SENT, SentMessage
from workers.warmup import job_modules

ROOT = Path(__file__).resolve().parents[2]


def note_pid(path):
    """A job that writes down the process it ran in."""
    Path(path).write_text(str(os.getpid()))


def note_pid_too(path):
    note_pid(path)


@pytest.fixture
def in_process(app):
    """Register a job to run in the worker process for one test, then put the app's list back."""
    saved = set(app.extensions.get(IN_PROCESS_JOBS, ()))
    yield lambda func_name: run_in_worker_process(app, func_name)
    app.extensions[IN_PROCESS_JOBS] = saved


def test_a_registered_job_runs_in_the_worker_process_and_any_other_in_a_work_horse(app, in_process, tmp_path):
    in_process(f"{__name__}.note_pid")
    with app.app_context():
        queue = Queue(DEFAULT, connection=connection())
        queue.enqueue(f"{__name__}.note_pid", str(tmp_path / "registered"))
        queue.enqueue(f"{__name__}.note_pid_too", str(tmp_path / "other"))
        worker = make_worker(app)  # the default, forking worker
        worker.work(burst=True)
    assert int((tmp_path / "registered").read_text()) == os.getpid()
    assert int((tmp_path / "other").read_text()) != os.getpid()


def test_the_dispatch_and_the_mail_queue_run_in_the_worker_and_no_feed_or_report_job(app):
    registered = app.extensions[IN_PROCESS_JOBS]
    assert relay.DISPATCH_JOB in registered
    assert not registered & {spec.func for specs in TOPICS.values() for spec in specs}
    # Mail by its queue (every mail job, the fan-outs' too: tests/workers/test_mail_batch.py); nothing else.
    assert app.extensions[IN_PROCESS_QUEUES] == {MAIL}


def test_sign_ups_through_the_forking_worker_each_get_one_confirmation(app, smtp, festival, sign_up):
    pass_ids = [sign_up(locale="en", email=f"fork{n}@example.org") for n in range(6)]
    with app.app_context():
        relay.settle(app=app)  # what was committed is in RQ before the worker looks
        make_worker(app).work(burst=True)
        rows = dict(db.session.execute(sa.select(SentMessage.key, SentMessage.status)).all())
        emails = db.session.scalars(sa.select(Pass.email)).all()
        db.session.remove()
    assert rows == {f"pass.created:{pass_id}": SENT for pass_id in pass_ids}
    per_recipient = Counter(m["To"].addresses[0].addr_spec for m in smtp.messages)
    assert per_recipient == Counter(emails)


def test_a_failing_dispatch_in_the_worker_process_keeps_its_retry_and_the_worker_goes_on(app, smtp, festival, sign_up):
    with app.app_context():
        broken = emit("pass.created")  # no pass_id: handle_message raises
        db.session.commit()
        relay.settle()  # handed over alone, as its own job
        broken_id = broken.id
        db.session.remove()
    pass_id = sign_up(locale="en")
    with app.app_context():
        relay.settle()
        make_worker(app).work(burst=True)
        conn = connection()
        job = Job.fetch(relay.job_id_for(broken_id), connection=conn)
        scheduled = Queue(DEFAULT, connection=conn).scheduled_job_registry.get_job_ids()
        status = db.session.scalar(sa.select(SentMessage.status).where(SentMessage.key == f"pass.created:{pass_id}"))
        db.session.remove()
    # RQ's retry is kept (the job waits for its next attempt, one fewer left), and the
    # next message was dispatched and mailed by the same worker.
    assert job.get_status() == "scheduled" and job.retries_left == RETRY_MAX - 1
    assert relay.job_id_for(broken_id) in scheduled
    assert status == SENT and len(smtp.messages) == 1
    assert not Job.exists(job_id(broken_id, TOPICS["pass.created"][0]), connection=conn)


def run_with_app(script, redis_url, database_url, tmp_path):
    """Run `script` in a fresh interpreter on the suite's database and Redis, in a session of its own."""
    env = dict(os.environ, DATABASE_URL=database_url, REDIS_URL=redis_url, SECRET_KEY="test-secret-key-not-for-production",
               INSTANCE_DIR=str(tmp_path / "instance"), THETSAKAN_ENV="development")
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          start_new_session=True, timeout=120)


def test_stopping_a_job_that_has_no_work_horse_signals_nobody(redis_url, database_url, tmp_path):
    """RQ's kill_horse signals the process group of the work-horse's pid; with none (0) that
    would be the worker's own group. A regression kills only this interpreter."""
    script = (
        "from wsgi import app\n"
        "from app.queues import make_worker\n"
        "with app.app_context():\n"
        "    make_worker(app).kill_horse()\n"
        "print('still here')\n"
    )
    done = run_with_app(script, redis_url, database_url, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "still here"


def test_the_warm_up_imports_every_module_a_job_names(redis_url, database_url, tmp_path):
    """A module the worker has not imported is imported again by every work-horse."""
    script = (
        "import sys\n"
        "from wsgi import app\n"
        "from workers.warmup import job_modules, warm_up\n"
        "with app.app_context():\n"
        "    warm_up()\n"
        "print(sorted(set(job_modules()) - set(sys.modules)))\n"
    )
    done = run_with_app(script, redis_url, database_url, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert {"workers.jobs.mail", "workers.jobs.feeds", "app.relay", "workers.jobs.session_bookings"} <= set(job_modules())


def test_a_burst_worker_starts_no_scheduler_process(app):
    # RQ moves due scheduled jobs itself in a burst; the upkeep that revives a dead scheduler
    # must not fork one there: it outlived the burst, and a SIGTERM that beat its signal
    # handlers left the teardown waiting for ever (the suite hung so in CI).
    worker = make_worker(app)
    worker.work(burst=True, with_scheduler=True)
    assert worker.scheduler is not None
    assert worker.scheduler._process is None


def test_an_interrupt_during_a_maintenance_hook_stops_the_worker(app):
    """Ctrl-C in `make run`'s first seconds reached the workers inside their warm-up hook: RQ's
    handler raised StopRequested there, the hook runner logged it as a failed hook, and the
    workers ran on."""
    worker = make_worker(app, worker_class=AppWorker)
    ran_after = []

    def interrupted():
        worker.request_stop(signal.SIGINT, None)  # what the signal handler does, mid-hook

    def later():
        ran_after.append(True)

    hooks = app.extensions.pop(MAINTENANCE_HOOKS, None)
    add_maintenance_hook(app, interrupted)
    add_maintenance_hook(app, later)
    try:
        with pytest.raises(StopRequested):
            worker.run_app_hooks()
    finally:
        app.extensions.pop(MAINTENANCE_HOOKS, None)
        if hooks is not None:
            app.extensions[MAINTENANCE_HOOKS] = hooks
    assert ran_after == []


def test_what_a_job_commits_in_its_work_horse_is_handed_over_before_the_horse_ends(
        app, smtp, festival, workshop, sign_up, book, run_jobs, monkeypatch):
    """A cancelled session's job runs in a forked work-horse and commits a booking.cancelled message
    per booking; RQ ends the horse with os._exit, so its courier must be done by then, or the
    messages would wait for a sweep."""
    session_id = workshop(capacity=1, title_en="Batik")
    book(sign_up(locale="en"), session_id)
    run_jobs()
    smtp.clear()
    hand_over = relay._enqueue_and_mark

    def slow_hand_over(rows):
        time.sleep(0.5)  # a Redis slow to answer: the horse's job is done long before its courier
        return hand_over(rows)

    monkeypatch.setattr(relay, "_enqueue_and_mark", slow_hand_over)  # the horse is forked: it has this too
    with app.app_context():
        events.cancel_session(db.session.get(ProgrammeSession, session_id))
        db.session.commit()
        assert relay.settle()
        db.session.remove()
        make_worker(app).work(burst=True)  # the forking worker: the cancellation runs in a work-horse
        waiting = db.session.scalars(
            sa.select(OutboxMessage.topic).where(OutboxMessage.dispatched_at.is_(None))).all()
        db.session.remove()
    assert waiting == []
    assert [str(m["Subject"]) for m in smtp.messages] == ["Cancelled: Batik"]
