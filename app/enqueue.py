"""Putting a job on a queue once, by its id, now or at a given time, with the house's retry policy.

RQ refuses a second job with an id it holds (`unique=True`), so a job id made of
what caused the job (an outbox message, a time slot, a booking and a start time)
makes enqueueing safe to repeat from any process: the relay and a sweep racing,
two workers re-planning the same slot, a dispatch run twice. The relay
(app/relay.py), the dispatch (workers/dispatch.py) and the schedule
(workers/schedule.py) all enqueue through here.
"""
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError
from rq.job import JobStatus

from app.redis_conn import connection

RETRY_INTERVALS = (10, 30, 60, 300, 900)  # seconds between attempts: about 22 minutes of patience in all
RETRY_MAX = len(RETRY_INTERVALS)
KEEP_RESULT = 600
KEEP_FAILURE = 30 * 24 * 3600  # a job that gave up waits this long in RQ's failed registry (/admin/jobs)


def retrying():
    """The options of a job that retries with backoff and, when it gives up, waits for /admin/jobs."""
    return {
        "retry": Retry(max=RETRY_MAX, interval=list(RETRY_INTERVALS)),
        "result_ttl": KEEP_RESULT,
        "failure_ttl": KEEP_FAILURE,
    }


def enqueue_once(queue_name, func, kwargs, job_id, queue=None, **options):
    """Enqueue func(**kwargs) as job_id (retrying() unless `options` say otherwise); None when RQ
    holds a job with this id already. `queue`: a Queue to reuse for many jobs in a row."""
    queue = queue or Queue(queue_name, connection=connection())
    try:
        return queue.enqueue_call(func, kwargs=kwargs, job_id=job_id, unique=True, **{**retrying(), **options})
    except DuplicateJobError:
        return None


def schedule_once(queue_name, at, func, kwargs, job_id, **options):
    """The same, to run at `at` (RQ 2.12's enqueue_at ignores unique=True); no retry unless `options`
    ask for one (retrying()). False when a job with this id exists (scheduled, queued, running or kept)."""
    queue = Queue(queue_name, connection=connection())
    job = queue.create_job(func, kwargs=kwargs, job_id=job_id, status=JobStatus.SCHEDULED, **options)
    try:
        queue.schedule_job(job, at, unique=True)
        return True
    except DuplicateJobError:
        return False
