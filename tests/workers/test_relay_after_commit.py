"""The after-commit relay hands over what its session wrote without reading it back:
savepoints decide which messages exist, and the only statement is the mark."""
import pytest
import sqlalchemy as sa
from rq import Queue

from app import relay
from app.database import db
from app.outbox import OutboxMessage, emit
from app.queues import DEFAULT
from app.redis_conn import connection


def commit():
    """Commit, and wait for the process's courier to hand the messages over (app/relay.py)."""
    db.session.commit()
    relay.settle()


class Rolled(Exception):
    pass


def outbox_rows(app):
    with app.app_context():
        rows = db.session.execute(
            sa.select(OutboxMessage.id, OutboxMessage.dispatched_at).order_by(OutboxMessage.id)
        ).all()
        db.session.remove()
        return rows


def queued(app):
    with app.app_context():
        return Queue(DEFAULT, connection=connection()).job_ids


def test_a_savepoint_rolled_back_takes_only_its_own_message_off_the_hand_over(app):
    with app.app_context():
        kept = emit("programme.changed", festival_id=1).id
        with pytest.raises(Rolled):
            with db.session.begin_nested():
                emit("programme.changed", festival_id=2)
                raise Rolled
        commit()
        db.session.remove()
    # The message written before the savepoint goes at the commit, not later by the sweep.
    assert queued(app) == [f"outbox-{kept}"]
    [(row_id, dispatched_at)] = outbox_rows(app)
    assert row_id == kept and dispatched_at is not None


def test_a_message_written_after_a_rolled_back_savepoint_is_handed_over_once(app):
    """SQLite may give the rolled-back row's id to the next message: the job must be that message's."""
    with app.app_context():
        with pytest.raises(Rolled):
            with db.session.begin_nested():
                emit("programme.changed", festival_id=1)
                raise Rolled
        after = emit("programme.changed", festival_id=2).id
        commit()
        db.session.remove()
    assert queued(app) == [f"outbox-{after}"]
    assert [row_id for row_id, dispatched_at in outbox_rows(app) if dispatched_at is not None] == [after]


def test_a_savepoint_released_and_then_rolled_back_with_its_transaction_hands_over_nothing(app):
    with app.app_context():
        # A write first: pysqlite begins no transaction before a SAVEPOINT, and releasing a
        # savepoint that is not inside one would commit it on SQLite.
        emit("programme.changed", festival_id=1)
        with db.session.begin_nested():
            emit("programme.changed", festival_id=2)
        db.session.rollback()
        commit()
        db.session.remove()
    assert queued(app) == []
    assert outbox_rows(app) == []


def test_a_nested_savepoint_released_inside_one_rolled_back_goes_with_it(app):
    with app.app_context():
        kept = emit("programme.changed", festival_id=1).id
        with pytest.raises(Rolled):
            with db.session.begin_nested():
                with db.session.begin_nested():
                    emit("programme.changed", festival_id=2)
                raise Rolled
        commit()
        db.session.remove()
    assert queued(app) == [f"outbox-{kept}"]


def test_after_the_commit_the_relay_reads_nothing_back_and_marks_in_one_statement(app):
    statements = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if "outbox" in statement:
            statements.append(statement.split()[0].upper())

    with app.app_context():
        message = emit("programme.changed", festival_id=1).id
        db.session.flush()
        sa.event.listen(db.engine, "before_cursor_execute", seen)
        try:
            commit()
            relay.settle()  # the courier's mark is part of what is counted
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", seen)
        db.session.remove()
    assert statements == ["UPDATE"]
    assert queued(app) == [f"outbox-{message}"]
    [(_, dispatched_at)] = outbox_rows(app)
    assert dispatched_at is not None
