"""RQ queues named by purpose, and the workers that run jobs inside the app context."""
from rq import Queue, SimpleWorker, Worker

from app.database import db
from app.redis_conn import connection

MAIL, FEEDS, REPORTS, DEFAULT = "mail", "feeds", "reports", "default"
QUEUES = (MAIL, FEEDS, REPORTS, DEFAULT)
# Callables run by every worker at start and on each maintenance pass (in the app
# context): how workers/ keeps its recurring jobs scheduled without app/ naming it.
MAINTENANCE_HOOKS = "thetsakan_worker_maintenance"
MAINTENANCE_INTERVAL = 60  # seconds; RQ's default is 600


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
    """An RQ worker whose work-horses get their own database connections and an app context."""

    flask_app = None

    def perform_job(self, job, queue):
        # The forked work-horse inherits the parent's pooled connections: sharing a
        # socket with the parent corrupts both, so drop them without closing.
        with self.flask_app.app_context():
            db.engine.dispose(close=False)
            try:
                return super().perform_job(job, queue)
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
                return super().perform_job(job, queue)
            finally:
                db.session.remove()


def add_maintenance_hook(app, hook):
    hooks = app.extensions.setdefault(MAINTENANCE_HOOKS, [])
    if hook not in hooks:
        hooks.append(hook)


def make_worker(app, queue_names=QUEUES, worker_class=AppWorker, **kwargs):
    conn = connection(app)
    worker_type = type("BoundAppWorker", (worker_class,), {"flask_app": app})
    kwargs.setdefault("maintenance_interval", MAINTENANCE_INTERVAL)
    return worker_type([Queue(name, connection=conn) for name in queue_names], connection=conn, **kwargs)
