"""RQ queues named by purpose, and the workers that run jobs inside the app context."""
import os
import time

from prometheus_client.core import GaugeMetricFamily
from rq import Queue, SimpleWorker, Worker
from rq.defaults import DEFAULT_WORKER_TTL
from rq.worker import WorkerStatus

from app import logs, metrics
from app.database import db
from app.redis_conn import connection

MAIL, FEEDS, REPORTS, DEFAULT = "mail", "feeds", "reports", "default"
QUEUES = (MAIL, FEEDS, REPORTS, DEFAULT)
# Callables run by every worker at start and on each maintenance pass (in the app
# context): how workers/ keeps its recurring jobs scheduled without app/ naming it.
MAINTENANCE_HOOKS = "thetsakan_worker_maintenance"
MAINTENANCE_INTERVAL = 60  # seconds; RQ's default is 600
# Dotted paths of jobs the forking worker runs in its own process, registered by the
# app (app/ names no job). For jobs as small and as trusted as its own maintenance:
# a fork and a new database connection would cost more than the job.
IN_PROCESS_JOBS = "thetsakan_worker_in_process_jobs"


def observed(job, queue, perform):
    """Run perform() (RQ's perform_job) as the job's request: its log line, its metrics, its request id.

    The request id in the job's meta becomes current, so the messages the job emits
    carry it on to the jobs they cause."""
    token = logs.set_request_id((job.meta or {}).get("request_id"))
    started = time.perf_counter()
    ok = False
    try:
        ok = perform()
        return ok
    finally:
        seconds = time.perf_counter() - started
        outcome = "finished" if ok else "failed"
        metrics.observe_job(queue.name, job.func_name, outcome, seconds)
        logs.log_job(job, queue.name, outcome, seconds)
        logs.reset_request_id(token)


def queue(name=DEFAULT, app=None):
    return Queue(name, connection=connection(app))


class MaintenanceHooks:
    """Runs the app's MAINTENANCE_HOOKS after RQ's own maintenance (at start, then every interval)."""

    flask_app = None

    def run_maintenance_tasks(self):
        super().run_maintenance_tasks()
        with self.flask_app.app_context():
            for hook in self.flask_app.extensions.get(MAINTENANCE_HOOKS, ()):
                try:
                    hook()
                except Exception:  # noqa: BLE001 - a failed hook must not stop the worker
                    self.log.exception("worker maintenance hook %s failed", getattr(hook, "__name__", hook))
                finally:
                    db.session.remove()


class AppWorker(MaintenanceHooks, Worker):
    """An RQ worker whose work-horses get their own database connections and an app context.

    Jobs registered with run_in_worker_process (the outbox dispatch: read one row,
    enqueue its jobs) run in the worker process, as its maintenance does; every
    other job gets a forked work-horse, so a job that crashes cannot take the
    worker down."""

    flask_app = None

    def runs_in_process(self, job):
        return job.func_name in self.flask_app.extensions.get(IN_PROCESS_JOBS, ())

    def execute_job(self, job, queue):
        if not self.runs_in_process(job):
            return super().execute_job(job, queue)
        # What SimpleWorker.execute_job does: no fork, RQ's own bookkeeping, timeout by SIGALRM.
        self.prepare_execution(job)
        with self.flask_app.app_context():
            try:
                observed(job, queue, lambda: super(AppWorker, self).perform_job(job, queue))
            finally:
                db.session.remove()
        self.set_state(WorkerStatus.IDLE)

    def get_heartbeat_ttl(self, job):
        if not self.runs_in_process(job):
            return super().get_heartbeat_ttl(job)
        # No monitoring loop renews the heartbeat while the job runs here: cover its
        # whole time limit, as SimpleWorker does, or the job would look abandoned.
        return DEFAULT_WORKER_TTL if job.timeout == -1 else int(job.timeout or DEFAULT_WORKER_TTL) + 60

    def kill_horse(self, *args, **kwargs):
        # With no work-horse (an in-process job), RQ's kill_horse would signal the
        # process group of pid 0: the worker's own.
        if self.horse_pid:
            super().kill_horse(*args, **kwargs)

    def perform_job(self, job, queue):
        # Called in the forked work-horse, which inherits the parent's pooled
        # connections: sharing a socket with the parent corrupts both, so drop them
        # without closing.
        metrics.become_work_horse(os.getppid())
        with self.flask_app.app_context():
            db.engine.dispose(close=False)
            try:
                return observed(job, queue, lambda: super(AppWorker, self).perform_job(job, queue))
            finally:
                db.session.remove()


class InProcessAppWorker(MaintenanceHooks, SimpleWorker):
    """Jobs run in the worker process itself (no fork per job): more throughput for short jobs
    such as mail (docs/benchmarks.md), at the price of isolation: a job that crashes the
    interpreter or leaks memory takes the worker with it. `flask --app wsgi worker --no-fork`."""

    flask_app = None

    def perform_job(self, job, queue):
        with self.flask_app.app_context():
            try:
                return observed(job, queue, lambda: super(InProcessAppWorker, self).perform_job(job, queue))
            finally:
                db.session.remove()


def run_in_worker_process(app, func_name):
    """Let the forking worker run this job (a dotted path) without a work-horse."""
    app.extensions.setdefault(IN_PROCESS_JOBS, set()).add(func_name)


def add_maintenance_hook(app, hook):
    hooks = app.extensions.setdefault(MAINTENANCE_HOOKS, [])
    if hook not in hooks:
        hooks.append(hook)


def make_worker(app, queue_names=QUEUES, worker_class=AppWorker, **kwargs):
    conn = connection(app)
    worker_type = type("BoundAppWorker", (worker_class,), {"flask_app": app})
    kwargs.setdefault("maintenance_interval", MAINTENANCE_INTERVAL)
    return worker_type([Queue(name, connection=conn) for name in queue_names], connection=conn, **kwargs)


@metrics.add_collector
def queue_metrics():
    """Jobs waiting, running and failed per queue, read from Redis on each scrape."""
    waiting = GaugeMetricFamily("thetsakan_queue_jobs", "Jobs waiting in each RQ queue.", labels=["queue"])
    running = GaugeMetricFamily("thetsakan_queue_running_jobs", "Jobs a worker is running now, per queue.", labels=["queue"])
    failed = GaugeMetricFamily(
        "thetsakan_queue_failed_jobs", "Jobs that gave up after their retries, kept for /admin/jobs, per queue.",
        labels=["queue"],
    )
    conn = connection()
    for name in QUEUES:
        q = Queue(name, connection=conn)
        waiting.add_metric([name], q.count)
        running.add_metric([name], q.started_job_registry.count)
        failed.add_metric([name], q.failed_job_registry.count)
    workers = GaugeMetricFamily("thetsakan_workers", "RQ workers registered in Redis (any machine).")
    workers.add_metric([], len(Worker.all(connection=conn)))
    return [waiting, running, failed, workers]
