"""The courier (app/relay.py): a process hands its committed messages over off the request, and
what several commits give it while it lingers goes as one dispatch job and one mark."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from rq import Queue
from rq.job import Job

from app import logs, relay
from app.database import db
from app.outbox import OutboxMessage, emit
from app.queues import DEFAULT, MAIL
from app.redis_conn import connection
from workers import dispatch

ROOT = Path(__file__).resolve().parents[2]


def handed_over(app):
    """{job id: message ids} of the dispatch jobs waiting on the default queue."""
    with app.app_context():
        conn = connection()
        jobs = {}
        for job_id in Queue(DEFAULT, connection=conn).job_ids:
            job = Job.fetch(job_id, connection=conn)
            jobs[job_id] = job.kwargs.get("message_ids") or [job.kwargs["message_id"]]
        return jobs


def marks(app):
    with app.app_context():
        rows = db.session.execute(sa.select(OutboxMessage.id, OutboxMessage.dispatched_at)).all()
        db.session.remove()
    return dict(rows)


def test_commits_made_while_the_courier_lingers_go_as_one_job_and_one_mark(app, monkeypatch):
    monkeypatch.setattr(relay, "LINGER", 1.0)  # long enough for a slow machine to commit five times within it
    marked = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE OUTBOX"):
            marked.append(statement)

    with app.app_context():
        first = emit("programme.changed", festival_id=1).id
        db.session.commit()  # the courier's first round goes at once
        assert relay.settle()
        sa.event.listen(db.engine, "before_cursor_execute", seen)
        try:
            rest = []
            for n in range(5):  # within the courier's pause between rounds
                rest.append(emit("programme.changed", festival_id=2 + n).id)
                db.session.commit()
            assert relay.settle()
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", seen)
        db.session.remove()
    jobs = handed_over(app)
    assert jobs == {relay.job_id_for(first): [first], relay.job_id_for_many(rest): rest}
    assert len(marked) == 1  # the five marked together
    assert all(at is not None for at in marks(app).values())


def test_a_dispatch_of_several_messages_gives_each_its_jobs_and_request_id_and_one_failure_stops_none(app):
    with app.app_context():
        ids = []
        for request_id, session_id in (("a" * 32, 7), (None, None), ("b" * 32, 8)):
            token = logs.set_request_id(request_id)
            try:
                if session_id is None:
                    ids.append(emit("pass.created").id)  # no pass_id: its dispatch fails
                else:
                    ids.append(emit("session.moved", session_id=session_id, festival_id=3, changes={}).id)
            finally:
                logs.reset_request_id(token)
        db.session.commit()
        assert relay.settle()
        db.session.remove()
        good = [ids[0], ids[2]]
        with pytest.raises(KeyError, match="lacks pass_id"):  # the job fails, for its retry
            dispatch.handle_messages(ids)
        conn = connection()
        for message_id, request_id in zip(good, ("a" * 32, "b" * 32)):
            job = Job.fetch(f"m{message_id}-notify_session_moved", connection=conn)
            assert job.meta.get("request_id") == request_id
        assert sorted(Queue(MAIL, connection=conn).job_ids) == sorted(
            f"m{message_id}-{name}" for message_id in good for name in ("notify_session_moved", "replan_session"))
        # Its retry dispatches all three again: nothing is enqueued twice.
        before = Queue(MAIL, connection=conn).count
        with pytest.raises(KeyError):
            dispatch.handle_messages(ids)
        assert Queue(MAIL, connection=conn).count == before
        db.session.remove()


def test_a_command_that_commits_and_exits_hands_its_message_over_before_it_ends(app, redis_url, database_url,
                                                                                 tmp_path):
    """No request follows a command's commit: its courier finishes before the interpreter ends,
    so the message does not wait for a worker's sweep."""
    script = (
        "from wsgi import app\n"
        "from app import relay\n"
        "from app.database import db\n"
        "from app.outbox import emit\n"
        "relay.LINGER = 0.5\n"
        "with app.app_context():\n"
        "    emit('programme.changed', festival_id=1)\n"
        "    db.session.commit()\n"
        "    emit('programme.changed', festival_id=2)\n"
        "    db.session.commit()  # waits for the courier's next round, after the interpreter's last line\n"
    )
    env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "SECRET_KEY": "test-secret-key-not-for-production",
           "INSTANCE_DIR": str(tmp_path / "instance"), "THETSAKAN_ENV": "development"}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    jobs = handed_over(app)
    assert sorted(message for ids in jobs.values() for message in ids) == sorted(marks(app))
    assert len(marks(app)) == 2 and all(at is not None for at in marks(app).values())
