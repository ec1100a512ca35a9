"""Prometheus metrics for operators: GET /metrics, and the mechanism every domain counts with.

Two kinds of figure:

* Counted as things happen (requests, scans, jobs): prometheus-client metrics made with
  counter() and histogram() below. Gunicorn runs several processes and RQ forks a
  work-horse per job, so the values live in the client's multiprocess mode: each process
  writes its own small file in METRICS_DIR and /metrics adds them up. A counter therefore
  survives the process that counted it (a gunicorn worker recycled after
  --max-requests, a work-horse that ended) until the service restarts.
* Read from the shared database and Redis when /metrics is asked (bookings by status,
  the outbox backlog, queue depths, the mail ledger, report build times): the same on
  every node, and true whichever node counted. Domains register these with
  add_collector(); this module names no domain.

Who may read /metrics (CONTRACT.md): a request from loopback that came through no proxy,
or one carrying an admin's bearer token.
"""
import glob
import ipaddress
import logging
import os
import time
from pathlib import Path

from flask import Blueprint, Response, g, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, values
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from app.auth import current_principal, operator
from app.errors import DomainError
from app.users import ADMIN

log = logging.getLogger(__name__)

ENV_DIR = "PROMETHEUS_MULTIPROC_DIR"
# Seconds: a gate scan is tens of milliseconds, a report download or an import a few seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
JOB_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 1800.0)

# Each process writes files named after its role and pid ("web-4121", "worker-77"); a
# work-horse writes as "horse-<its worker's pid>": a worker runs one work-horse at a time,
# so one file per worker serves all its jobs instead of one file per job.
_role = {"name": "proc", "horse_of": None}


def _process_identifier():
    if _role["horse_of"] is not None:
        return f"horse-{_role['horse_of']}"
    return f"{_role['name']}-{os.getpid()}"


# Before any metric exists: every value of this process goes to the multiprocess files.
values.ValueClass = values.MultiProcessValue(_process_identifier)

_metrics = {}
_collectors = []

bp = Blueprint("metrics", __name__)


def directory():
    """Where this process writes its metric files (PROMETHEUS_MULTIPROC_DIR, else INSTANCE_DIR/metrics)."""
    path = os.environ.get(ENV_DIR)
    if not path:
        from app.config import INSTANCE_DIR

        path = str(INSTANCE_DIR / "metrics")
        os.environ[ENV_DIR] = path
    Path(path).mkdir(parents=True, exist_ok=True)
    return path


def configure(instance_dir):
    """Called by create_app(): the files go under the app's INSTANCE_DIR unless the environment says otherwise."""
    if not os.environ.get(ENV_DIR):
        os.environ[ENV_DIR] = str(Path(instance_dir) / "metrics")
    return directory()


def set_role(name):
    """Name this process's files ('web', 'worker'); call before it counts anything."""
    _role["name"] = name


def become_work_horse(worker_pid):
    """In a forked work-horse: write into the file this worker's work-horses share."""
    _role["horse_of"] = worker_pid


def forget(prefixes):
    """Delete the files of processes of these roles (a service starting afresh, before its processes count)."""
    path = directory()
    removed = 0
    for prefix in prefixes:
        for name in glob.glob(os.path.join(path, f"*_{prefix}-*.db")):
            try:
                os.remove(name)
                removed += 1
            except FileNotFoundError:
                pass
    return removed


def forget_dead_workers():
    """A worker starting removes files of workers (and their work-horses) on this machine that no longer run."""
    path = directory()
    for name in glob.glob(os.path.join(path, "*_worker-*.db")) + glob.glob(os.path.join(path, "*_horse-*.db")):
        pid = name.rsplit("-", 1)[-1][: -len(".db")]
        if pid.isdigit() and not _alive(int(pid)):
            try:
                os.remove(name)
            except FileNotFoundError:
                pass


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _labelled(kind, name, documentation, labelnames, **kwargs):
    if not labelnames:
        # An unlabelled metric creates its value at import, before configure() chose the folder.
        raise ValueError(f"metric {name} needs at least one label")
    metric = _metrics.get(name)
    if metric is None:
        metric = _metrics[name] = kind(name, documentation, labelnames, registry=None, **kwargs)
    return metric


def counter(name, documentation, labelnames):
    """A counter any domain may increment (same name, same object), summed over every process."""
    return _labelled(Counter, name, documentation, labelnames)


def histogram(name, documentation, labelnames, buckets=LATENCY_BUCKETS):
    return _labelled(Histogram, name, documentation, labelnames, buckets=buckets)


class _Collector:
    def __init__(self, function):
        self.function = function
        self.name = f"{function.__module__}.{function.__name__}"

    def collect(self):
        # A part that does not answer (Redis down) must not take the other figures with it:
        # its figures are missing and thetsakan_metrics_source_up says which.
        try:
            families = list(self.function())
            up = 1
        except Exception:  # noqa: BLE001 - reported as a figure, and logged
            log.warning("metrics source %s failed", self.name, exc_info=True)
            _rollback()
            families, up = [], 0
        source = GaugeMetricFamily("thetsakan_metrics_source_up", "1 when this source of figures answered the scrape.",
                                   labels=["source"])
        source.add_metric([self.name], up)
        return [*families, source]


def _rollback():
    from app.database import db

    db.session.rollback()


def add_collector(function):
    """Register function() -> iterable of metric families, read on each scrape inside the app context."""
    if function not in (c.function for c in _collectors):
        _collectors.append(_Collector(function))
    return function


REQUESTS = histogram(
    "thetsakan_http_request_duration_seconds",
    "Time to answer a request, by endpoint, method and status.",
    ("endpoint", "method", "status"),
)
JOBS = histogram(
    "thetsakan_job_duration_seconds",
    "Time an RQ job ran, by queue, job function and outcome (finished or failed).",
    ("queue", "job", "outcome"),
    buckets=JOB_BUCKETS,
)


_PENDING = "thetsakan_metrics_pending"


def count_on_commit(metric, *labelvalues, amount=1):
    """Increment once the current db.session transaction commits (nothing if it rolls back).

    So a scan refused by a failing batch, or a booking undone by a conflict, is never counted."""
    from app.database import db

    db.session.info.setdefault(_PENDING, []).append((metric, labelvalues, amount))


def _count_committed(session):
    for metric, labelvalues, amount in session.info.pop(_PENDING, ()):
        metric.labels(*labelvalues).inc(amount)


def _forget_rolled_back(session):
    session.info.pop(_PENDING, None)


def observe_request(response):
    started = g.get("_metrics_started")
    if started is None:
        return
    endpoint = request.endpoint or "unmatched"
    REQUESTS.labels(endpoint, request.method, str(response.status_code)).observe(time.perf_counter() - started)


def observe_job(queue, job, outcome, seconds):
    JOBS.labels(queue, job, outcome).observe(seconds)


def exposition():
    registry = CollectorRegistry(auto_describe=False)
    MultiProcessCollector(registry, path=directory())
    for collector in _collectors:
        registry.register(collector)
    return generate_latest(registry)


def serve_process_metrics(port, host="127.0.0.1"):
    """A worker machine with no web node: this machine's counted metrics on their own port (a thread)."""
    from prometheus_client import start_http_server

    registry = CollectorRegistry(auto_describe=False)
    MultiProcessCollector(registry, path=directory())
    return start_http_server(port, addr=host, registry=registry)


def _from_loopback():
    """A request from this machine that no proxy forwarded (a proxy on loopback forwards everyone)."""
    if any(name in request.headers for name in ("X-Forwarded-For", "Forwarded", "X-Real-IP")):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def _refuse(status, code, message):
    response = jsonify({"code": code, "message": message})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="thetsakan"'
    return response


@bp.get("/metrics")
@operator
def metrics():
    """Prometheus text. Loopback, or an admin's bearer token."""
    if request.headers.get("Authorization") or not _from_loopback():
        # Answered in JSON whatever the client accepts: a monitoring server reads the code.
        try:
            user = current_principal()
        except DomainError:
            user = None
        if user is None:
            return _refuse(401, "unauthorized", "Send an admin's bearer token, or ask from the machine itself.")
        if user.role != ADMIN:
            return _refuse(403, "forbidden_role", "Only admins read the metrics.")
    body = exposition()
    return Response(body, mimetype=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def install(app):
    import sqlalchemy as sa

    from app.database import db

    configure(app.config["INSTANCE_DIR"])
    if not sa.event.contains(db.session, "after_commit", _count_committed):
        sa.event.listen(db.session, "after_commit", _count_committed)
        sa.event.listen(db.session, "after_rollback", _forget_rolled_back)

    @app.before_request
    def start_clock():
        g._metrics_started = time.perf_counter()

    @app.after_request
    def count_request(response):
        observe_request(response)
        return response

    app.register_blueprint(bp)
    # Limits and CSRF need not guard it: loopback and admins only, GET only.
    return app
