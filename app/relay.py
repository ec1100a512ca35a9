"""The relay: committed outbox messages handed to RQ, after each commit and in a sweep.

Domains only emit(); this module moves what they emitted into Redis without
naming any worker code: it enqueues the dotted path DISPATCH_JOB with a job id
derived from the message id, so a second hand-over of the same message (the
after-commit relay and a sweep racing, two sweeps) is refused by RQ itself.

After a commit the relay hands over what that session itself wrote: it knows the
messages' ids, topics and request ids, and that their transaction committed (a
savepoint rolled back takes its messages off the list), so it reads nothing back.
The sweep knows only ids, and reads the rows that still wait.

The request does not wait for the hand-over: it gives its messages to the process's
courier, a thread that hands over what has gathered, at most once every LINGER
seconds. A lone booking goes at once; in a rush the messages of many requests go
together, as one dispatch job and one mark. That hand-over, done per request, had cost
a booking a quarter of its throughput (docs/benchmarks.md). A process that dies with
messages on the courier leaves them to the sweep, as a Redis that did not answer does.

A message is marked handed over (dispatched_at) only once RQ holds it. When
Redis does not answer, the commit that emitted the message has already
succeeded; the relay logs, pauses itself for a few seconds (so that a dead
Redis host does not add a connect timeout to every request) and leaves the
message to the sweep.

Quiet topics (recorded for the record, with no job behind them: a scan) are not
handed over after the commit at all: a gate scan should not pay for an RQ round
trip that starts nothing. The sweep marks them handed over in batches, without
enqueueing anything.
"""
import atexit
import hashlib
import logging
import os
import threading
import time
from datetime import timedelta

import redis
import sqlalchemy as sa
from flask import current_app
from prometheus_client.core import GaugeMetricFamily
from rq import Queue

from app import metrics
from app.database import db, now_utc
from app.enqueue import enqueue_once
from app.outbox import EMITTED, OutboxMessage
from app.queues import DEFAULT
from app.redis_conn import connection

log = logging.getLogger(__name__)

DISPATCH_JOB = "workers.dispatch.handle_message"
DISPATCH_MANY_JOB = "workers.dispatch.handle_messages"  # several messages handed over together
SWEEP_AGE = timedelta(seconds=5)  # younger messages are the after-commit relay's
SWEEP_BATCH = 500
# The courier's rounds are at least this far apart: a lone message waits for none, and in a
# rush of 200 bookings a second each round of a gunicorn worker carries about twenty (50 ms
# rounds carried about six and served the rush a little less: docs/benchmarks.md).
LINGER = 0.2
AT_EXIT_SECONDS = 5.0
# After a failure the after-commit relay leaves everything to the sweep for a while:
# redis-py retries a refused connection for about 4 s, and no request should wait that
# long more than once or twice a minute while Redis is down.
PAUSE_AFTER_FAILURE = 30.0

_PAUSE_KEY = "thetsakan_relay_paused_until"
_QUEUE_KEY = "thetsakan_relay_queue"
_COURIER_KEY = "thetsakan_relay_courier"
_COMMITTED = "outbox_committed"  # session.info key: messages whose transaction committed, to hand over
# Topics that no job consumes, given by create_app() (it alone names the workers).
_quiet_topics = frozenset()


def job_id_for(message_id):
    return f"outbox-{message_id}"


def job_id_for_many(message_ids):
    """One job id per set of messages: a sweep's batch that overlaps the courier's is another job
    (the dispatch of a message twice enqueues its jobs once), never refused as the courier's."""
    digest = hashlib.sha1(",".join(map(str, message_ids)).encode()).hexdigest()[:12]
    return f"outbox-{message_ids[0]}-{message_ids[-1]}-{digest}"


def hand_over(ids):
    """Enqueue these outbox messages (committed, not yet handed over); return how many RQ now holds.

    Safe to call twice for the same ids, from any process: RQ refuses a second
    job with the same id, and a refused duplicate counts as held.
    """
    ids = sorted(set(ids))
    if not ids:
        return 0
    # Only rows that really committed and are still waiting: an id emitted in a
    # rolled-back savepoint, or already handed over, is skipped here.
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.select(OutboxMessage.id, OutboxMessage.topic, OutboxMessage.request_id).where(
                OutboxMessage.id.in_(ids), OutboxMessage.dispatched_at.is_(None)
            )
        ).all()
    return _enqueue_and_mark(rows)


def _enqueue_and_mark(rows):
    """Enqueue (id, topic, request_id) of committed messages and mark those RQ holds; how many it holds."""
    if not rows:
        return 0
    pending = [message_id for message_id, _, _ in rows]
    # Nothing consumes a quiet message: it counts as held without a job.
    held, error = [message_id for message_id, topic, _ in rows if topic in _quiet_topics], None
    loud = [(message_id, request_id) for message_id, topic, request_id in rows if topic not in _quiet_topics]
    if loud:
        try:
            _enqueue_dispatch(loud)
            held.extend(message_id for message_id, _ in loud)
        except (redis.exceptions.RedisError, OSError) as exc:
            error = exc
    # Each UPDATE stands on its own, so no BEGIN and COMMIT around them: one round trip each.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if held:
            conn.execute(_MARK_HELD, {"ids": held, "at": now_utc()})
        if error is not None:
            failed = sorted(set(pending) - set(held))
            conn.execute(
                sa.update(OutboxMessage)
                .where(OutboxMessage.id.in_(failed))
                .values(attempts=OutboxMessage.attempts + 1, last_error=f"{type(error).__name__}: {error}"[:2000])
            )
    if error is not None:
        raise error
    return len(held)


def _enqueue_dispatch(loud):
    """One dispatch job for these (message id, request id): a message alone keeps its own job id, and
    its request id for the job's log lines; several go as one job (each message names its request)."""
    queue = _queue()
    if len(loud) == 1:
        [(message_id, request_id)] = loud
        # None back means RQ holds it already (a racing relay or sweep got there first): held too.
        enqueue_once(
            DEFAULT, DISPATCH_JOB, {"message_id": message_id}, job_id_for(message_id), queue=queue,
            # The request that emitted it: its jobs log the same id (app/logs.py).
            meta={"request_id": request_id} if request_id else None,
            description=f"outbox message {message_id}",
        )
        return
    ids = sorted(message_id for message_id, _ in loud)
    # The dispatch job only fans messages out into other jobs; it retries like them.
    enqueue_once(DEFAULT, DISPATCH_MANY_JOB, {"message_ids": ids}, job_id_for_many(ids), queue=queue,
                 description=f"outbox messages {ids[0]} to {ids[-1]} ({len(ids)})")


# Built once: every booking and sign-up hands its message over and marks it.
_MARK_HELD = (
    sa.update(OutboxMessage.__table__)
    .where(OutboxMessage.id.in_(sa.bindparam("ids", expanding=True)), OutboxMessage.dispatched_at.is_(None))
    .values(dispatched_at=sa.bindparam("at"), attempts=OutboxMessage.attempts + 1, last_error=None)
)


def _queue():
    """The default queue on the app's shared client, made once for that client, not per hand-over."""
    conn = connection()
    made = current_app.extensions.get(_QUEUE_KEY)
    if made is None or made.connection is not conn:
        made = current_app.extensions[_QUEUE_KEY] = Queue(DEFAULT, connection=conn)
    return made


def sweep(older_than=SWEEP_AGE, limit=SWEEP_BATCH):
    """Hand over what the after-commit relay left behind (Redis was down, the process died).

    Returns the number handed over. Runs as a recurring job in the worker and
    as `flask --app wsgi outbox sweep`.
    """
    cutoff = now_utc() - older_than
    total = 0
    last_id = 0
    while True:
        with db.engine.connect() as conn:
            ids = list(
                conn.scalars(
                    sa.select(OutboxMessage.id)
                    .where(
                        OutboxMessage.dispatched_at.is_(None),
                        OutboxMessage.created_at <= cutoff,
                        OutboxMessage.id > last_id,
                    )
                    .order_by(OutboxMessage.id)
                    .limit(limit)
                )
            )
        if not ids:
            return total
        total += hand_over(ids)
        last_id = ids[-1]


def forget_hand_over(since):
    """Mark messages emitted since `since` as waiting again (Redis lost the jobs). Returns how many."""
    with db.engine.begin() as conn:
        result = conn.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.created_at >= since, OutboxMessage.dispatched_at.is_not(None))
            .values(dispatched_at=None)
        )
    return result.rowcount


def backlog():
    """(undispatched count, oldest created_at or None): for the admin page and health."""
    row = db.session.execute(
        sa.select(sa.func.count(OutboxMessage.id), sa.func.min(OutboxMessage.created_at)).where(
            OutboxMessage.dispatched_at.is_(None)
        )
    ).one()
    return row[0], row[1]


@metrics.add_collector
def outbox_metrics():
    """The backlog the relay has not handed to RQ, and how long its oldest message has waited."""
    pending, oldest = backlog()
    count = GaugeMetricFamily("thetsakan_outbox_backlog", "Outbox messages committed and not yet handed to RQ.")
    count.add_metric([], pending)
    age = GaugeMetricFamily(
        "thetsakan_outbox_oldest_age_seconds", "Age of the oldest message not yet handed to RQ (0 when none waits)."
    )
    age.add_metric([], (now_utc() - oldest).total_seconds() if oldest is not None else 0.0)
    return [count, age]


def _paused():
    return time.monotonic() < current_app.extensions.get(_PAUSE_KEY, 0.0)


def _relay_after_commit(session):
    if session.in_nested_transaction():
        return  # a savepoint released: its messages wait for the transaction around it
    # The session still holds its pooled connection here, and the hand-over takes another:
    # a burst of requests larger than the pool would then hold every connection while
    # each waits for a second one. Hand over once the transaction has given its back.
    emitted = session.info.pop(EMITTED, None)
    loud = [message for message in emitted or () if message.topic not in _quiet_topics]
    if loud:
        session.info.setdefault(_COMMITTED, []).extend(loud)


def _forget_rolled_back(session, transaction):
    """A rollback (of the whole transaction, or of a savepoint) takes its messages' rows with it."""
    emitted = session.info.get(EMITTED)
    if emitted:
        session.info[EMITTED] = [message for message in emitted if not _within(message.transaction, transaction)]


def _within(inner, outer):
    while inner is not None:
        if inner is outer:
            return True
        inner = inner.parent
    return False


def _relay_after_transaction_end(session, transaction):
    if transaction.parent is not None:
        return
    # Messages still listed here belong to a transaction that ended without its commit.
    session.info.pop(EMITTED, None)
    committed = session.info.pop(_COMMITTED, None)
    if not committed or _paused():
        return
    if not current_app.config.get("REDIS_URL"):
        # A command run with no Redis at all (`make run` loads the demo before it starts its embedded
        # Redis): nothing is wrong and nothing to warn about; the workers' sweep hands these over.
        return
    # Known committed and waiting (this process wrote them a moment ago): handed over without
    # reading them back. A racing sweep is harmless: RQ refuses the second job with its id.
    _courier().take([(m.message_id, m.topic, m.request_id) for m in committed])


class _Courier:
    """The process's hand-over thread: takes what commits give it, hands it over in rounds."""

    def __init__(self, app):
        self.app = app
        self.pid = os.getpid()
        self.lock = threading.Lock()
        self.settled = threading.Condition(self.lock)
        self.waiting = []
        self.running = False  # a thread is handing over, or about to
        self.last_round = 0.0
        # A command that commits and exits (a gunicorn worker told to stop, `flask demo load`) lets
        # its courier finish first, rather than leave the messages to the sweep.
        atexit.register(self.settle, AT_EXIT_SECONDS)

    def take(self, rows):
        with self.lock:
            self.waiting.extend(rows)
            if self.running:
                return
            self.running = True
        threading.Thread(target=self._rounds, name="outbox-courier", daemon=True).start()

    def _rounds(self):
        finished = False
        try:
            with self.app.app_context():
                while True:
                    with self.lock:
                        if not self.waiting:
                            # Under the lock that take() holds: a message given now starts a new thread.
                            self.running, finished = False, True
                            self.settled.notify_all()
                            return
                    wait = self.last_round + LINGER - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)  # what commits meanwhile goes in this round
                    with self.lock:
                        batch, self.waiting = self.waiting, []
                    self.last_round = time.monotonic()
                    self._hand_over(batch)
        finally:
            if not finished:  # the thread died (the interpreter ending): whoever settles must not wait for it
                with self.lock:
                    self.running = False
                    self.settled.notify_all()

    @staticmethod
    def _hand_over(batch):
        if _paused():
            return
        try:
            _enqueue_and_mark(batch)
        except Exception as exc:  # noqa: BLE001 - the commits succeeded; the sweep delivers later
            pause()
            log.warning(
                "outbox relay: %d message(s) left for the sweep (%s: %s)",
                len(batch),
                type(exc).__name__,
                exc,
                exc_info=not isinstance(exc, (redis.exceptions.RedisError, OSError, RuntimeError)),
            )

    def settle(self, timeout):
        with self.lock:
            return self.settled.wait_for(lambda: not self.running and not self.waiting, timeout)


def _courier():
    courier = current_app.extensions.get(_COURIER_KEY)
    # A forked child (a gunicorn worker of a preloading master) has none of its parent's threads.
    if courier is None or courier.pid != os.getpid():
        courier = current_app.extensions[_COURIER_KEY] = _Courier(current_app._get_current_object())
    return courier


def settle(timeout=10.0, app=None):
    """Wait until this process's courier (of `app`, else the current app) has handed over what it
    was given; False on timeout. For whoever must see the hand-over done in the same process: tests."""
    courier = (app or current_app).extensions.get(_COURIER_KEY)
    return courier is None or courier.pid != os.getpid() or courier.settle(timeout)


def pause(seconds=PAUSE_AFTER_FAILURE):
    """Leave hand-overs to the sweep for a while (after a failure; tests that need a backlog)."""
    current_app.extensions[_PAUSE_KEY] = time.monotonic() + seconds


def resume():
    """Let the after-commit relay try again at once (tests, and after an operator fixed Redis)."""
    current_app.extensions.pop(_PAUSE_KEY, None)


def install(quiet_topics=()):
    """Listen on every db.session; called once by create_app() with the topics no job consumes."""
    global _quiet_topics
    _quiet_topics = frozenset(quiet_topics)
    if not sa.event.contains(db.session, "after_commit", _relay_after_commit):
        sa.event.listen(db.session, "after_commit", _relay_after_commit)
        sa.event.listen(db.session, "after_soft_rollback", _forget_rolled_back)
        sa.event.listen(db.session, "after_transaction_end", _relay_after_transaction_end)

