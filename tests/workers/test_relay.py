"""The relay: committed outbox messages reach RQ once, after the commit or by the sweep."""
import logging
import time
from datetime import datetime, timedelta, timezone

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
import sqlalchemy as sa
from rq import Queue
from rq.job import Job
from rq.utils import import_attribute

from app import redis_conn, relay
from app.database import db
from app.outbox import OutboxMessage, emit
from app.queues import DEFAULT, FEEDS, MAIL
from app.redis_conn import connection
from tests.conftest import free_port
from workers import dispatch, schedule
from workers.warmup import warm_up


def commit():
    """Commit, and wait for the process's courier to hand the messages over (app/relay.py)."""
    db.session.commit()
    relay.settle()


def outbox_rows(app):
    with app.app_context():
        rows = db.session.execute(
            sa.select(OutboxMessage.id, OutboxMessage.dispatched_at, OutboxMessage.last_error).order_by(OutboxMessage.id)
        ).all()
        db.session.remove()
        return rows


@pytest.fixture
def outage(app):
    """outage.start(): the app talks to a port where no Redis listens; outage.end(): back to the suite's."""
    saved = connection(app)

    class Outage:
        def start(self):
            # No client-side retries: the relay's behaviour is under test, not redis-py's backoff.
            app.extensions["thetsakan_redis"] = redis.Redis(
                host="127.0.0.1", port=free_port(), socket_connect_timeout=1, retry=Retry(NoBackoff(), 0)
            )

        def end(self):
            app.extensions["thetsakan_redis"] = saved
            with app.app_context():
                relay.resume()

    outage = Outage()
    outage.start()
    yield outage
    outage.end()


def test_a_commit_hands_its_messages_to_rq_and_marks_them(app):
    with app.app_context():
        message = emit("programme.changed", festival_id=1)
        commit()
        job = Job.fetch(f"outbox-{message.id}", connection=connection())
        assert job.func_name == "workers.dispatch.handle_message"
        assert job.kwargs == {"message_id": message.id}
        assert job.origin == DEFAULT
        assert Queue(DEFAULT, connection=connection()).job_ids == [job.id]
        db.session.remove()
    [(_, dispatched_at, error)] = outbox_rows(app)
    assert dispatched_at is not None and error is None


def test_a_rollback_hands_over_nothing(app):
    with app.app_context():
        emit("programme.changed", festival_id=1)
        db.session.rollback()
        commit()
        assert Queue(DEFAULT, connection=connection()).count == 0
        db.session.remove()
    assert outbox_rows(app) == []


def test_a_quiet_topic_costs_the_commit_no_hand_over_and_the_sweep_marks_it_without_a_job(app, outage):
    """scan.recorded has no job behind it: a gate scan must not pay an RQ round trip for it.
    With Redis unreachable the quiet message is still marked: nothing was ever to be sent."""
    assert dispatch.TOPICS["scan.recorded"] == () and "scan.recorded" in relay._quiet_topics
    with app.app_context():
        quiet = emit("scan.recorded", scan_id=1, checkpoint_id=1, festival_id=1).id
        commit()
        db.session.remove()
    # The after-commit relay never touched it, so the unreachable Redis paused nothing.
    assert outbox_rows(app) == [(quiet, None, None)]
    with app.app_context():
        assert not relay._paused()
        assert relay.sweep(older_than=timedelta(0)) == 1
        db.session.remove()
    [(_, dispatched_at, error)] = outbox_rows(app)
    assert dispatched_at is not None and error is None
    outage.end()
    assert Queue(DEFAULT, connection=connection(app)).count == 0


def test_in_one_commit_the_consumed_message_is_handed_over_and_the_quiet_one_left_to_the_sweep(app):
    with app.app_context():
        loud = emit("programme.changed", festival_id=1).id
        quiet = emit("scan.recorded", scan_id=1, checkpoint_id=1, festival_id=1).id
        commit()
        assert Queue(DEFAULT, connection=connection()).job_ids == [f"outbox-{loud}"]
        db.session.remove()
    rows = {message_id: dispatched_at for message_id, dispatched_at, _ in outbox_rows(app)}
    assert rows[loud] is not None and rows[quiet] is None
    with app.app_context():
        assert relay.sweep(older_than=timedelta(0)) == 1
        assert Queue(DEFAULT, connection=connection()).job_ids == [f"outbox-{loud}"]
        db.session.remove()
    assert all(dispatched_at is not None for _, dispatched_at, _ in outbox_rows(app))


def test_a_second_hand_over_of_the_same_message_is_refused_by_rq(app):
    with app.app_context():
        message = emit("programme.changed", festival_id=1)
        commit()
        # Pretend the mark was lost: the sweep finds the row again and hands it over again.
        db.session.execute(sa.update(OutboxMessage).values(dispatched_at=None))
        commit()
        assert relay.sweep(older_than=timedelta(0)) == 1  # RQ already holds it: counted as held
        assert Queue(DEFAULT, connection=connection()).job_ids == [f"outbox-{message.id}"]
        db.session.remove()
    assert outbox_rows(app)[0][1] is not None


def test_with_redis_down_the_commit_succeeds_and_the_sweep_delivers_later(app, outage, runner):
    with app.app_context():
        first = emit("programme.changed", festival_id=1).id
        commit()  # the relay fails quietly: the write stands
        second = emit("programme.changed", festival_id=2).id
        commit()  # the relay is paused now: no second connect attempt
        db.session.remove()
    rows = outbox_rows(app)
    assert [row[0] for row in rows] == [first, second]
    assert all(row[1] is None for row in rows)
    assert "ConnectionError" in rows[0][2]

    failed = runner.invoke(args=["outbox", "sweep"])
    assert failed.exit_code != 0 and "ConnectionError" in failed.output

    outage.end()
    result = runner.invoke(args=["outbox", "sweep"])
    assert result.exit_code == 0, result.output
    assert "handed over 2 message(s); 0 still waiting" in result.output
    with app.app_context():
        # The sweep hands what waited over together: one dispatch job for both messages.
        [job_id] = Queue(DEFAULT, connection=connection()).job_ids
        assert job_id == relay.job_id_for_many([first, second])
        job = Job.fetch(job_id, connection=connection())
        assert job.func_name == relay.DISPATCH_MANY_JOB and job.kwargs == {"message_ids": [first, second]}
    assert all(row[1] is not None and row[2] is None for row in outbox_rows(app))


def test_the_sweep_leaves_young_messages_to_the_after_commit_relay(app, outage):
    with app.app_context():
        emit("programme.changed", festival_id=1)
        commit()
        outage.end()
        assert relay.sweep() == 0  # younger than SWEEP_AGE
        db.session.execute(
            sa.update(OutboxMessage).values(created_at=datetime.now(timezone.utc) - relay.SWEEP_AGE - timedelta(seconds=1))
        )
        commit()
        assert relay.sweep() == 1
        db.session.remove()


def test_handle_message_fans_out_once_even_when_run_twice(app):
    with app.app_context():
        message = emit("session.moved", session_id=7, festival_id=3, changes={"starts_at": ["a", "b"]})
        commit()
        first = dispatch.handle_message(message.id)
        second = dispatch.handle_message(message.id)
        assert first == second == [
            f"m{message.id}-notify_session_moved",
            f"m{message.id}-replan_session",
            f"m{message.id}-rebuild_festival",
            f"m{message.id}-rebuild_session_agendas",
        ]  # no partner's webhook listens: no recording job (tests/webhooks/test_delivery.py)
        conn = connection()
        assert Queue(MAIL, connection=conn).job_ids == first[:2]
        assert Queue(FEEDS, connection=conn).job_ids == first[2:]
        job = Job.fetch(first[0], connection=conn)
        assert job.kwargs == {"session_id": 7, "message_id": message.id}
        assert job.retries_left == 5 and job.retry_intervals == [10, 30, 60, 300, 900]
        feed_job = Job.fetch(first[2], connection=conn)
        assert set(feed_job.kwargs) == {"festival_id", "since"}
        db.session.remove()


def test_a_message_that_lacks_a_field_fails_loudly(app):
    with app.app_context():
        message = emit("pass.created", festival_id=3)
        commit()
        with pytest.raises(KeyError, match="lacks pass_id"):
            dispatch.handle_message(message.id)
        db.session.remove()


def test_every_topic_of_the_brief_has_an_entry_and_every_job_exists():
    topics = {
        "pass.created", "pass.cancelled", "pass.link_requested", "booking.confirmed", "booking.waitlisted",
        "booking.promoted", "booking.cancelled", "session.moved", "session.cancelled", "programme.changed",
        "scan.recorded", "report.requested", "import.requested",
    }
    assert topics <= set(dispatch.TOPICS)
    for specs in dispatch.TOPICS.values():
        for spec in specs:
            assert callable(import_attribute(spec.func)), spec.func
    for entry in schedule.RECURRING:
        assert callable(import_attribute(entry.func)), entry.func


def test_recurring_jobs_are_scheduled_once_per_slot_and_schedule_their_successor(app):
    with app.app_context():
        conn = connection()
        first = schedule.ensure_recurring()
        assert sorted(first) == sorted(entry.name for entry in schedule.RECURRING)
        assert schedule.ensure_recurring() == []  # every next slot is held already
        every = schedule.BY_NAME["outbox-sweep"].every
        [job_id] = [i for i in Queue(DEFAULT, connection=conn).scheduled_job_registry.get_job_ids() if "outbox-sweep" in i]
        slot = int(job_id.rsplit("-", 1)[1])
        assert slot * every > time.time() - every  # the next slot, give or take the time this test took

        emit("programme.changed", festival_id=1)
        commit()
        db.session.execute(sa.update(OutboxMessage).values(dispatched_at=None, created_at=datetime(2020, 1, 1, tzinfo=timezone.utc)))
        commit()
        assert schedule.run_recurring("outbox-sweep", slot) == 1  # it ran the sweep
        scheduled = Queue(DEFAULT, connection=conn).scheduled_job_registry.get_job_ids()
        assert f"recurring-outbox-sweep-{slot + 1}" in scheduled
        db.session.remove()


def test_a_worker_warms_up_once_before_it_forks(app, festival, sign_up):
    sign_up()
    with app.app_context():
        app.extensions.pop("thetsakan_workers_warm", None)
        app.jinja_env.cache.clear()
        assert warm_up() is True
        cached = {name for (_loader, name) in app.jinja_env.cache.keys()}
        assert {"mail/confirmation.html", "mail/layout.html", "mail/_card.html", "mail/notice.txt"} <= cached
        assert warm_up() is False
        db.session.remove()


def test_after_redis_lost_its_data_redeliver_hands_messages_over_again_and_nothing_is_sent_twice(app, smtp, festival, sign_up, run_jobs, runner):
    first = sign_up(locale="en")
    run_jobs()
    assert len(smtp.messages) == 1
    second = sign_up(locale="en")
    with app.app_context():
        relay.settle()  # RQ holds the second confirmation's dispatch; then Redis loses it
        connection().flushdb()  # Redis restarted empty: the second confirmation's jobs are gone
        db.session.remove()
    run_jobs()
    assert len(smtp.messages) == 1
    since = (datetime.now(timezone.utc) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    result = runner.invoke(args=["outbox", "redeliver", "--since", since])
    assert result.exit_code == 0, result.output
    run_jobs()
    recipients = sorted(m["To"].addresses[0].addr_spec for m in smtp.messages)
    with app.app_context():
        emails = sorted(db.session.scalars(sa.text("SELECT email FROM passes WHERE id IN (:a, :b)").bindparams(a=first, b=second)))
        db.session.remove()
    assert recipients == emails  # the lost one arrives; the delivered one is not sent again


def test_the_worker_log_leaves_out_routine_sweeps_but_not_their_failures():
    quiet = schedule.QuietRecurringJobs()

    def record(level, message, *args):
        return logging.LogRecord("rq.worker", level, __file__, 1, message, args, None)

    assert not quiet.filter(record(logging.INFO, "Worker %s: %s: %s (%s)", "w1", "default", "Job OK", "recurring-outbox-sweep-7"))
    assert not quiet.filter(record(logging.INFO, "Successfully completed %s job in %ss", "recurring outbox-sweep", "0.1"))
    assert quiet.filter(record(logging.ERROR, "Worker w1: job recurring-outbox-sweep-7: exception raised"))
    assert quiet.filter(record(logging.INFO, "Worker w1: mail: Job OK (m12-send_pass_confirmation)"))


def test_a_command_run_without_redis_leaves_its_messages_to_the_sweep_without_a_warning(app, caplog):
    """`make run` loads the demo before its embedded Redis starts: the relay must not warn about a
    Redis nobody configured, nor pause itself; the workers' sweep hands the messages over."""
    with app.app_context():
        url, client = app.config.pop("REDIS_URL"), app.extensions.pop(redis_conn._EXT, None)
        try:
            with caplog.at_level(logging.WARNING, logger="app.relay"):
                message_id = emit("programme.changed", festival_id=1).id
                commit()
            assert not relay._paused()
        finally:
            app.config["REDIS_URL"] = url
            if client is not None:
                app.extensions[redis_conn._EXT] = client
        db.session.remove()
    assert [r.getMessage() for r in caplog.records if r.name == "app.relay"] == []
    assert outbox_rows(app) == [(message_id, None, None)]
    with app.app_context():
        assert relay.sweep(older_than=timedelta(0)) == 1
        assert Queue(DEFAULT, connection=connection()).job_ids == [f"outbox-{message_id}"]
        db.session.remove()
