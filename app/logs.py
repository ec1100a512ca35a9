"""Structured logs: one JSON line per request and per job, tied together by a request id.

The request id comes from the proxy (nginx's `$request_id` as X-Request-Id) or is made
here; the answer carries it back. The outbox records it with every message a request
emits (app/outbox.py), the relay puts it in the RQ job's meta, and the dispatch copies it
into each job it fans out, so `grep <id>` finds the request and every job it caused on
any machine.

PDPA: no personal data in logs. Request lines name the route's pattern
(`/passes/<token>`), never the path or query; no addresses, e-mails, names, tokens or
codes. As a net under every other log line (tracebacks from SMTP libraries, third-party
messages), anything shaped like an e-mail address or a long secret is masked.
"""
import contextvars
import logging
import re
import sys
import time
import uuid

from flask import g, request
from pythonjsonlogger.json import JsonFormatter

_request_id = contextvars.ContextVar("thetsakan_request_id", default=None)
_VALID_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")
# E-mail addresses, and long runs of URL-safe characters (tokens, pass codes, signed links).
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_SECRET = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{24,}(?![A-Za-z0-9_-])")
RESERVED = {"request_id"}
log = logging.getLogger("thetsakan.access")
job_log = logging.getLogger("thetsakan.jobs")


def current_request_id():
    return _request_id.get()


def set_request_id(value):
    """Adopt a request id (a job running for a request); returns a token for reset_request_id."""
    return _request_id.set(value if value and _VALID_ID.match(str(value)) else None)


def reset_request_id(token):
    _request_id.reset(token)


def new_request_id():
    return uuid.uuid4().hex


def scrub(text):
    """Mask e-mail addresses and token-shaped strings.

    A secret here is a long run with a digit and a capital: URL-safe tokens and Base32
    pass codes have both; our job ids and request ids (lower case) stay readable."""
    text = _EMAIL.sub("[email]", text)
    return _SECRET.sub(lambda m: "[secret]" if _looks_secret(m.group(0)) else m.group(0), text)


def _looks_secret(word):
    return any(c.isdigit() for c in word) and any(c.isupper() for c in word)


class _Formatter(JsonFormatter):
    def process_log_record(self, log_record):
        for key in ("message", "exc_info", "stack_info"):
            if isinstance(log_record.get(key), str):
                log_record[key] = scrub(log_record[key])
        return super().process_log_record(log_record)


class _RequestIdFilter(logging.Filter):
    def filter(self, record):
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get()
        return True


def configure(level=logging.INFO):
    """One JSON handler on the root logger (idempotent): web processes, workers and commands alike."""
    root = logging.getLogger()
    if any(getattr(handler, "_thetsakan", False) for handler in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler._thetsakan = True
    handler.setFormatter(
        _Formatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            json_ensure_ascii=False,
        )
    )
    handler.addFilter(_RequestIdFilter())
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    # The development server's own access line carries the raw path (tokens in pass URLs).
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # RQ installs its own text handler on its loggers when a worker starts; ours is enough.
    for name in ("rq.worker", "rq.scheduler"):
        rq_logger = logging.getLogger(name)
        rq_logger.propagate = True


def install(app):
    configure()

    @app.before_request
    def adopt_request_id():
        incoming = request.headers.get("X-Request-Id", "")
        value = incoming if _VALID_ID.match(incoming) else new_request_id()
        g._request_id_token = _request_id.set(value)
        g._log_started = time.perf_counter()

    @app.after_request
    def log_request(response):
        value = _request_id.get()
        if value:
            response.headers["X-Request-Id"] = value
        started = g.get("_log_started")
        rule = request.url_rule.rule if request.url_rule is not None else None
        log.info(
            "request",
            extra={
                "event": "request",
                "method": request.method,
                "route": rule or "unmatched",
                "endpoint": request.endpoint or "unmatched",
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
                "bytes": response.calculate_content_length(),
            },
        )
        return response

    @app.teardown_request
    def forget_request_id(_exc):
        token = g.pop("_request_id_token", None)
        if token is not None:
            try:
                _request_id.reset(token)
            except ValueError:  # reset in another context (streamed answers): just clear it
                _request_id.set(None)

    return app


def log_job(job, queue_name, outcome, seconds, error=None):
    """One line per job: no arguments (they name passes and bookings by id only, but say nothing useful here)."""
    fields = {
        "event": "job",
        "job_id": job.id,
        "job": job.func_name,
        "queue": queue_name,
        "outcome": outcome,
        "duration_ms": round(seconds * 1000, 2),
        "request_id": (job.meta or {}).get("request_id"),
    }
    if error is not None:
        fields["error"] = type(error).__name__
    # The job id in the message lets workers/schedule.py keep its quiet recurring jobs out.
    job_log.log(logging.WARNING if outcome == "failed" else logging.INFO, f"job {job.id} {outcome}", extra=fields)
