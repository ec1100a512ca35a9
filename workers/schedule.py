"""Recurring jobs, declared as data (the Redash habit), kept going by RQ's own scheduler.

Each recurring job runs in a time slot: the job for slot N has the id
`recurring-<name>-<N>` and, first thing, schedules slot N+1 with `enqueue_at`.
RQ refuses a second job with an id it holds (`unique=True`), so any number of
workers may (re)schedule a slot and it still runs once. Every worker schedules
the next slot of each entry at start and on each maintenance pass
(app.queues.MAINTENANCE_HOOKS), so a chain broken by a killed work-horse or a
Redis restart resumes within a minute.
"""
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from rq import Queue
from rq.job import JobStatus
from rq.exceptions import DuplicateJobError
from rq.utils import import_attribute

from app.queues import DEFAULT, MAIL, REPORTS
from app.redis_conn import connection

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recurring:
    name: str
    func: str  # dotted path, called with no arguments inside the app context
    every: int  # seconds
    queue: str = DEFAULT
    timeout: int = 300
    quiet: bool = False  # keep its routine runs out of the worker's log (failures still show)


RECURRING = (
    # The relay's safety net: outbox messages the after-commit relay could not hand over.
    Recurring("outbox-sweep", "app.relay.sweep", every=5, quiet=True),
    # Reminders are enqueue_at jobs; this re-plans the next day's in case Redis lost them.
    Recurring("reminders-replan", "workers.jobs.reminders.replan_upcoming", every=3600, queue=MAIL),
    # Outbox rows handed over long ago are history nobody reads.
    Recurring("outbox-purge", "workers.jobs.housekeeping.purge_outbox", every=24 * 3600),
    # PDPA: personal data of festivals past PERSONAL_DATA_RETENTION_DAYS is anonymised (docs/privacy.md).
    Recurring("personal-data-purge", "workers.retention.purge_expired_personal_data", every=24 * 3600, timeout=3600),
    # Reports compiled after each festival day: see docs/reports.md.
    Recurring("daily-reports", "workers.jobs.reports.compile_daily_reports", every=900, queue=REPORTS),
)
BY_NAME = {entry.name: entry for entry in RECURRING}


class QuietRecurringJobs(logging.Filter):
    """Drops the worker's INFO lines about quiet recurring jobs: twelve sweeps a minute would
    bury everything else `make run` prints. Warnings and errors pass."""

    def __init__(self):
        super().__init__()
        self.markers = tuple(f"recurring{sep}{e.name}" for e in RECURRING if e.quiet for sep in ("-", " "))

    def filter(self, record):
        if record.levelno > logging.INFO:
            return True
        message = record.getMessage()
        return not any(marker in message for marker in self.markers)


def quiet_worker_log():
    logger = logging.getLogger("rq.worker")
    if not any(isinstance(f, QuietRecurringJobs) for f in logger.filters):
        logger.addFilter(QuietRecurringJobs())


def job_id(entry, slot):
    return f"recurring-{entry.name}-{slot}"


def schedule_once(queue_name, at, func, kwargs, job_id_, **options):
    """enqueue_at with a job id RQ holds at most once (RQ 2.12's enqueue_at ignores unique=True).

    Returns False when a job with this id exists (scheduled, queued, running or kept).
    """
    queue = Queue(queue_name, connection=connection())
    job = queue.create_job(func, kwargs=kwargs, job_id=job_id_, status=JobStatus.SCHEDULED, **options)
    try:
        queue.schedule_job(job, at, unique=True)
        return True
    except DuplicateJobError:
        return False


def _schedule_slot(entry, slot):
    return schedule_once(
        entry.queue,
        datetime.fromtimestamp(slot * entry.every, timezone.utc),
        run_recurring,
        {"name": entry.name, "slot": slot},
        job_id(entry, slot),
        timeout=entry.timeout,
        result_ttl=entry.every * 2,
        # A failing 5-second sweep must not fill the failed registry: keep about a dozen failures.
        failure_ttl=min(7 * 24 * 3600, max(600, entry.every * 12)),
        description=f"recurring {entry.name}",
    )


def _next_slot(entry, at=None):
    return int((at or time.time()) // entry.every) + 1


def ensure_recurring():
    """Schedule the next slot of every recurring job unless it is scheduled already."""
    return [entry.name for entry in RECURRING if _schedule_slot(entry, _next_slot(entry))]


def run_recurring(name, slot):
    entry = BY_NAME.get(name)
    if entry is None:
        log.warning("recurring job %s is no longer declared; not rescheduled", name)
        return None
    # The next slot first: this run may fail or its work-horse may be killed.
    _schedule_slot(entry, max(slot + 1, _next_slot(entry)))
    return import_attribute(entry.func)()
