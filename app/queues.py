"""RQ queues named by purpose, and the workers that run jobs inside the app context."""
import os
import threading
import time

import redis
from prometheus_client.core import GaugeMetricFamily
from rq import Queue, SimpleWorker, Worker, worker_registration
from rq.worker.base import BaseWorker
from rq.exceptions import DequeueTimeout, NoSuchJobError, StopRequested
from rq.scheduler import SCHEDULER_KEY_TEMPLATE, RQScheduler
from rq.scripts import release_lock
from rq.utils import now, utcparse
from rq.worker import WorkerStatus

from app import logs, metrics
from app.database import db
from app.redis_conn import connection, private_connection

MAIL, FEEDS, REPORTS, DEFAULT, WEBHOOKS = "mail", "feeds", "reports", "default", "webhooks"
# What `flask worker` serves by default. Webhook deliveries wait on partners' servers,
# so they have a queue and a worker of their own (`flask worker --queue webhooks`,
# started beside the other by `make run`): a slow partner never holds up the mail.
GENERAL_QUEUES = (MAIL, FEEDS, REPORTS, DEFAULT)
QUEUES = (*GENERAL_QUEUES, WEBHOOKS)
# Callables run by every worker at start and on each maintenance pass (in the app
# context): how workers/ keeps its recurring jobs scheduled without app/ naming it.
MAINTENANCE_HOOKS = "thetsakan_worker_maintenance"
MAINTENANCE_INTERVAL = 60  # seconds between RQ's registry clean-ups; RQ's default is 600
# RQ waits on the queues for worker_ttl - 15 seconds at a time (405 s by default) and
# does its upkeep only between two waits. 20 makes the wait 5 s, so the upkeep below
# runs at least every UPKEEP_INTERVAL seconds on an idle worker too.
WORKER_TTL = 20
UPKEEP_INTERVAL = 5
# A scheduler that has not beaten for this long is dead (it beats every second; RQ
# keeps its lock for 61 s after the last beat): another worker takes its queues over.
SCHEDULER_DEAD_AFTER = 10
# Dotted paths of jobs the forking worker runs in its own process, registered by the
# app (app/ names no job). For jobs as small and as trusted as its own maintenance:
# a fork and a new database connection would cost more than the job.
IN_PROCESS_JOBS = "thetsakan_worker_in_process_jobs"
# Queues whose every job the forking worker runs in its own process, registered the same
# way: for jobs that come by the thousand and share what the worker keeps between jobs
# (the mail's SMTP connection), where a fork per job cost more than the job.
IN_PROCESS_QUEUES = "thetsakan_worker_in_process_queues"


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


# A worker that found all its queues empty looks again after POLL_FIRST seconds, then
# after twice as long each time, up to POLL_MOST: a lone job waits at most that long,
# and an idle worker asks Redis twice a second.
POLL_FIRST, POLL_MOST = 0.02, 0.5
# One round trip for every queue, in priority order: the first job found moves into
# its queue's intermediate list. KEYS are pairs (queue, its intermediate list).
_MOVE_FIRST = """
for i = 1, #KEYS, 2 do
  local job_id = redis.call('LMOVE', KEYS[i], KEYS[i + 1], 'LEFT', 'RIGHT')
  if job_id then return {(i + 1) / 2, job_id} end
end
return false
"""


class RecoverableQueue(Queue):
    """Takes a job off the queue into the queue's intermediate list, whatever the number of queues.

    RQ moves a job into that list (from where its clean-up gives back a job nobody
    started) only for a worker of one queue; a worker of several queues pops the job
    outright, so a worker killed between that pop and recording the job as started
    loses it for good: a confirmation nobody sends, with nothing left to say so (seen
    in tests/workers/test_resilience.py). Here one script moves the first job of the
    first non-empty queue into that list; when all are empty the worker looks again
    (see POLL_FIRST) until its wait is over: Redis has no blocking move from several
    lists."""

    @classmethod
    def dequeue_any(cls, queues, timeout, connection, job_class=None, serializer=None, death_penalty_class=None):
        queues = list(queues)
        keys = [key for queue in queues for key in (queue.key, queue.intermediate_queue_key)]
        move_first = connection.register_script(_MOVE_FIRST)
        deadline = None if timeout is None else time.monotonic() + timeout
        pause = POLL_FIRST
        while True:
            found = move_first(keys=keys)
            if found:
                queue = queues[int(found[0]) - 1]
                job_id = found[1].decode() if isinstance(found[1], bytes) else found[1]
                try:
                    return queue.job_class.fetch(job_id, connection=connection, serializer=queue.serializer), queue
                except NoSuchJobError:
                    connection.lrem(queue.intermediate_queue_key, 1, job_id)  # deleted while it waited
                    continue
            if deadline is None:
                return None
            if time.monotonic() >= deadline:
                raise DequeueTimeout(timeout, [queue.key for queue in queues])
            time.sleep(pause)
            pause = min(pause * 2, POLL_MOST)


class RecoverableDequeue:
    """A worker that dequeues with RecoverableQueue, and takes a job out of the intermediate
    list once it is recorded as started (RQ does that only for a worker of one queue)."""

    queue_class = RecoverableQueue

    def prepare_job_execution(self, job, remove_from_intermediate_queue=False):
        return super().prepare_job_execution(job, remove_from_intermediate_queue=True)


class JobHeartbeat(threading.Thread):
    """Beats for a job that runs in the worker process, as RQ's monitoring loop beats for a work-horse's.

    RQ renews a running job's place in its started registry only from the loop that
    waits on a work-horse. A job run in the worker itself got a registration covering
    its whole time limit instead (a mail job: 240 s), so a worker killed during one had
    its job given back minutes later than a work-horse's (about 90 s). This thread
    renews it every job_monitoring_interval with RQ's own time-to-live, and stops
    renewing once the job has outlived its time limit by RQ's minute: a job whose time
    limit could not stop it is then given back, as a work-horse would have been killed."""

    def __init__(self, worker, job):
        super().__init__(name=f"heartbeat of job {job.id}", daemon=True)
        self.worker, self.job = worker, job
        self.started = time.monotonic()
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.wait(self.worker.job_monitoring_interval):
            working = time.monotonic() - self.started
            if self.job.timeout is not None and self.job.timeout != -1 and working > self.job.timeout + 60:
                return
            try:
                self.worker.set_current_job_working_time(working)
                self.worker.maintain_heartbeats(self.job)
            except (redis.exceptions.RedisError, OSError) as error:
                # Redis away for a moment: the next beat tries again (the registration allows a minute).
                self.worker.log.warning("heartbeat of job %s skipped: %s: %s", self.job.id, type(error).__name__, error)

    def stop(self):
        self.stopped.set()
        self.join()


class BeatsForJobsInProcess:
    """A worker that runs jobs in its own process and keeps their heartbeat as for a work-horse (JobHeartbeat)."""

    def perform_in_process(self, job, queue, perform):
        heartbeat = JobHeartbeat(self, job)
        heartbeat.start()
        try:
            with self.flask_app.app_context():
                try:
                    return observed(job, queue, perform)
                finally:
                    db.session.remove()
        finally:
            heartbeat.stop()

    def get_heartbeat_ttl(self, job):
        # RQ's, as for a work-horse: SimpleWorker's covers the job's whole time limit,
        # which nothing would need to renew.
        return BaseWorker.get_heartbeat_ttl(self, job)


def queue(name=DEFAULT, app=None):
    return Queue(name, connection=connection(app))


class MaintenanceHooks:
    """The worker's upkeep, every UPKEEP_INTERVAL seconds whether it is busy or idle: it
    registers itself again if Redis lost its registration (a restart, a flush), restarts
    its scheduler if that died (Redis went away under it) or takes over the queues of a
    dead sibling's scheduler, and runs the app's MAINTENANCE_HOOKS (the recurring jobs'
    next slots). RQ's own registry clean-up still runs every maintenance_interval."""

    flask_app = None
    _last_upkeep = None
    # RQ backs off up to 60 s between attempts to reach a Redis that went away: work
    # would resume up to a minute after Redis came back.
    max_connection_wait_time = 2.0

    @property
    def should_run_maintenance_tasks(self):
        if self._last_upkeep is None or time.monotonic() - self._last_upkeep >= UPKEEP_INTERVAL:
            return True
        return super().should_run_maintenance_tasks

    def run_maintenance_tasks(self):
        self._last_upkeep = time.monotonic()
        cleaning_due = super().should_run_maintenance_tasks
        try:
            self.register_again_if_forgotten()
            if cleaning_due:
                super().run_maintenance_tasks()
            self.revive_scheduler()
        except (redis.exceptions.RedisError, OSError) as error:
            # Redis is away: the dequeue loop waits for it; the next upkeep tries again.
            self.log.warning("worker upkeep skipped: %s: %s", type(error).__name__, error)
            return
        self.run_app_hooks()

    def register_again_if_forgotten(self):
        """After a Redis restart the worker's key and its place in RQ's worker sets are gone
        (its heartbeat recreates only a bare key): /healthz and `rq info` would not see it."""
        if self.birth_date is None or self.connection.sismember(self.redis_workers_keys, self.key):
            return
        self.log.warning("Worker %s: registered again (Redis had lost the registration)", self.name)
        self.last_heartbeat = now()
        with self.connection.pipeline() as pipeline:
            pipeline.hset(self.key, mapping={**self.serialize(), "state": self.get_state()})
            worker_registration.register(self, pipeline)
            pipeline.expire(self.key, self.worker_ttl + 60)
            pipeline.execute()

    def work(self, *args, **kwargs):
        self._in_burst = bool(kwargs.get("burst", args[0] if args else False))
        return super().work(*args, **kwargs)

    def revive_scheduler(self):
        # A burst worker moves due scheduled jobs itself and starts no scheduler process.
        # One started here outlives the burst, and a SIGTERM that reaches it before its
        # own handlers are in place is caught by the worker's: the teardown's join then
        # waits for ever (seen hanging the suite).
        if getattr(self, "_in_burst", False):
            return
        scheduler = self.scheduler
        if scheduler is None or (scheduler._process is not None and scheduler._process.is_alive()):
            return
        release_dead_schedulers_locks(self.connection, scheduler._queue_names)
        scheduler.acquire_locks(auto_start=True)

    def run_app_hooks(self):
        with self.flask_app.app_context():
            for hook in self.flask_app.extensions.get(MAINTENANCE_HOOKS, ()):
                try:
                    hook()
                except StopRequested:
                    # Ctrl-C or SIGTERM arrived during the hook (RQ raises it from its signal
                    # handler): the worker must stop, not log it as the hook's failure and go on.
                    raise
                except Exception:  # noqa: BLE001 - a failed hook must not stop the worker
                    self.log.exception("worker maintenance hook %s failed", getattr(hook, "__name__", hook))
                finally:
                    db.session.remove()


class AppWorker(RecoverableDequeue, MaintenanceHooks, BeatsForJobsInProcess, Worker):
    """An RQ worker whose work-horses get their own database connections and an app context.

    Jobs registered with run_in_worker_process (the outbox dispatch: read one row,
    enqueue its jobs) and every job of a queue registered with
    run_queue_in_worker_process (mail) run in the worker process, as its maintenance
    does; every other job gets a forked work-horse, so a job that crashes cannot take
    the worker down."""

    flask_app = None

    def runs_in_process(self, job):
        extensions = self.flask_app.extensions
        return job.func_name in extensions.get(IN_PROCESS_JOBS, ()) or job.origin in extensions.get(IN_PROCESS_QUEUES, ())

    def execute_job(self, job, queue):
        if not self.runs_in_process(job):
            return super().execute_job(job, queue)
        # What SimpleWorker.execute_job does: no fork, RQ's own bookkeeping, timeout by SIGALRM.
        self.prepare_execution(job)
        self.perform_in_process(job, queue, lambda: super(AppWorker, self).perform_job(job, queue))
        self.set_state(WorkerStatus.IDLE)

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
                # RQ ends a work-horse with os._exit, which runs no atexit: what the job committed is
                # handed over now, not left to the sweep. Imported here: app.relay imports this module.
                from app import relay

                relay.settle()


class InProcessAppWorker(RecoverableDequeue, MaintenanceHooks, BeatsForJobsInProcess, SimpleWorker):
    """Jobs run in the worker process itself (no fork per job): more throughput for short jobs
    such as mail (docs/benchmarks.md), at the price of isolation: a job that crashes the
    interpreter or leaks memory takes the worker with it. `flask --app wsgi worker --no-fork`."""

    flask_app = None

    def perform_job(self, job, queue):
        return self.perform_in_process(job, queue, lambda: super(InProcessAppWorker, self).perform_job(job, queue))


def run_in_worker_process(app, func_name):
    """Let the forking worker run this job (a dotted path) without a work-horse."""
    app.extensions.setdefault(IN_PROCESS_JOBS, set()).add(func_name)


def run_queue_in_worker_process(app, queue_name):
    """Let the forking worker run every job of this queue without a work-horse."""
    app.extensions.setdefault(IN_PROCESS_QUEUES, set()).add(queue_name)


def add_maintenance_hook(app, hook):
    hooks = app.extensions.setdefault(MAINTENANCE_HOOKS, [])
    if hook not in hooks:
        hooks.append(hook)


def release_dead_schedulers_locks(conn, queue_names):
    """Free the scheduler locks of schedulers that stopped beating (a worker killed with
    SIGKILL releases nothing, and RQ lets its lock live 61 s). Returns the queues freed."""
    freed = []
    for name in queue_names:
        key = RQScheduler.get_locking_key(name)
        holder = conn.get(key)
        if holder is None:
            continue
        holder = holder.decode() if isinstance(holder, bytes) else holder
        beat = conn.hget(SCHEDULER_KEY_TEMPLATE % holder, "last_heartbeat")
        if beat is not None and (now() - utcparse(beat.decode())).total_seconds() < SCHEDULER_DEAD_AFTER:
            continue
        if release_lock(conn, key, holder):  # only if that dead scheduler still holds it
            freed.append(name)
    return freed


def make_worker(app, queue_names=QUEUES, worker_class=AppWorker, **kwargs):
    # Its own Redis client: RQ raises the socket timeout of the client it is given above
    # its wait on the queues, which must not reach the app's shared client.
    conn = private_connection(app)
    worker_type = type("BoundAppWorker", (worker_class,), {"flask_app": app})
    kwargs.setdefault("maintenance_interval", MAINTENANCE_INTERVAL)
    kwargs.setdefault("worker_ttl", WORKER_TTL)
    return worker_type([RecoverableQueue(name, connection=conn) for name in queue_names], connection=conn, **kwargs)


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
