"""Delivery: an SMTP outage delays mail and loses none; a claimed key is sent once; doubtful sends are never repeated."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from rq import Queue
from rq.job import Job

from app.database import db
from app.queues import MAIL
from app.redis_conn import connection
from tests.conftest import free_port
from tests.workers.scripted_smtp import OK, ScriptedSMTP
from mail.services import ledger
from mail.models import CLAIMED, REFUSED, SENDING, SENT, SentMessage


def sent_rows(app):
    with app.app_context():
        rows = db.session.execute(
            sa.select(SentMessage.key, SentMessage.status, SentMessage.attempts, SentMessage.last_error).order_by(SentMessage.id)
        ).all()
        db.session.remove()
        return rows


def mail_jobs(app, registry):
    """The mail queue's jobs in a registry, leaving out the workers' recurring jobs."""
    with app.app_context():
        queue = Queue(MAIL, connection=connection())
        return [job_id for job_id in getattr(queue, registry).get_job_ids() if not job_id.startswith("recurring-")]


def test_an_smtp_server_answering_451_delays_the_mail_and_it_arrives_once(app, smtp, festival, sign_up, run_jobs):
    smtp.refuse = 2
    pass_id = sign_up(locale="en")
    run_jobs()
    assert smtp.messages == []
    [(key, status, attempts, error)] = sent_rows(app)
    assert (key, status, attempts) == (f"pass.created:{pass_id}", REFUSED, 1)
    assert "451" in error
    [job_id] = mail_jobs(app, "scheduled_job_registry")  # retried with backoff, not at once
    with app.app_context():
        job = Job.fetch(job_id, connection=connection())
        assert job.retries_left == 4
        scheduled_at = Queue(MAIL, connection=connection()).scheduled_job_registry.get_scheduled_time(job)
        delay = (scheduled_at - datetime.now(timezone.utc)).total_seconds()
        assert 0 < delay <= 10

    run_jobs(fast_forward=10 + 30 + 5)  # the first two backoff intervals
    assert len(smtp.messages) == 1
    assert sent_rows(app) == [(f"pass.created:{pass_id}", SENT, 3, None)]
    run_jobs(fast_forward=3600)
    assert len(smtp.messages) == 1


def test_an_unreachable_smtp_server_loses_nothing(app, smtp, festival, sign_up, run_jobs):
    port = app.config["SMTP_PORT"]
    app.config["SMTP_PORT"] = free_port()  # nothing listens there
    for _ in range(3):
        sign_up(locale="en")
    run_jobs()
    assert [row[1] for row in sent_rows(app)] == [REFUSED] * 3
    app.config["SMTP_PORT"] = port
    run_jobs(fast_forward=60)
    assert len(smtp.messages) == 3
    assert [row[1:3] for row in sent_rows(app)] == [(SENT, 2)] * 3


def test_a_claim_left_by_a_dead_worker_is_taken_over_and_sent_once(app, smtp, festival, sign_up, run_jobs):
    pass_id = sign_up(locale="en")
    with app.app_context():
        # A worker claimed this mail and died before the commit point: nothing left.
        db.session.execute(sa.delete(SentMessage))
        db.session.add(SentMessage(key=f"pass.created:{pass_id}", kind="confirmation", pass_id=pass_id, status=CLAIMED,
                                   claim_token="dead", message_id="<dead@thetsakan.example>", attempts=1))
        db.session.commit()
        db.session.remove()
    run_jobs()
    assert len(smtp.messages) == 1
    assert smtp.messages[0]["Message-ID"] == "<dead@thetsakan.example>"  # the same message, at last
    assert sent_rows(app) == [(f"pass.created:{pass_id}", SENT, 2, None)]


def test_a_mail_that_may_have_left_is_never_sent_again(app, smtp, festival, sign_up, run_jobs, client, make_user):
    pass_id = sign_up(locale="en")
    with app.app_context():
        # A worker passed the commit point (the data may be on the wire) and died.
        db.session.add(SentMessage(key=f"pass.created:{pass_id}", kind="confirmation", pass_id=pass_id, status=SENDING,
                                   claim_token="dead", message_id="<dead@thetsakan.example>", attempts=1,
                                   claimed_at=datetime.now(timezone.utc) - timedelta(minutes=5)))
        db.session.commit()
        db.session.remove()
    run_jobs()
    assert smtp.messages == []
    assert sent_rows(app)[0][1] == SENDING
    with app.app_context():
        assert [row.key for row in ledger.uncertain()] == [f"pass.created:{pass_id}"]
        db.session.remove()


def test_only_the_holder_of_the_current_claim_reaches_the_commit_point(app):
    with app.app_context():
        first = ledger.claim("test:1", "notice", None, "thetsakan.example")
        second = ledger.claim("test:1", "notice", None, "thetsakan.example")  # takes it over
        assert first.message_id == second.message_id
        assert ledger.commit_point(first) is False
        assert ledger.commit_point(second) is True
        assert ledger.claim("test:1", "notice", None, "thetsakan.example") is None  # past the point: never again
        db.session.remove()


class RudeSMTP(ScriptedSMTP):
    """An SMTP server that takes the whole message, or only the envelope, and hangs up without answering."""

    def __init__(self, hang_up_after):
        self.hang_up_after = hang_up_after  # "data" or "rcpt"
        super().__init__()

    def answer(self, command, line, session):
        if command.startswith(b"RCPT") and self.hang_up_after == "rcpt":
            return None
        return OK

    def after_data(self, body, session):
        self.received.append(body)
        return None  # hang up: no 250, no 4xx


@pytest.mark.parametrize(("hang_up_after", "expected_status"), [("data", SENDING), ("rcpt", REFUSED)])
def test_a_hang_up_after_the_data_is_doubtful_and_one_before_it_is_a_refusal(app, smtp, festival, sign_up, run_jobs, hang_up_after, expected_status):
    rude = RudeSMTP(hang_up_after)
    app.config["SMTP_PORT"] = rude.port
    try:
        pass_id = sign_up(locale="en")
        run_jobs(fast_forward=3600)  # every retry the policy allows
    finally:
        rude.close()
    [(key, status, attempts, error)] = sent_rows(app)
    assert key == f"pass.created:{pass_id}" and status == expected_status
    if hang_up_after == "data":
        # The server got the message once; we could not know, so we did not send it again.
        assert len(rude.received) == 1 and attempts == 1 and error.startswith("uncertain:")
        assert mail_jobs(app, "failed_job_registry") == []
    else:
        assert rude.received == [] and attempts == 6  # first try and five retries
        assert len(mail_jobs(app, "failed_job_registry")) == 1  # given up: waiting for /admin/jobs


def test_the_claim_leaves_what_the_job_loaded_for_the_letter(app, smtp, festival, sign_up):
    """Claiming commits; the letter is written from the pass the job had just read, not read again
    after that commit (with its festival: four more round trips a mail)."""
    from workers.jobs.mail import send_pass_confirmation

    pass_id = sign_up(locale="en")
    reads = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "FROM passes" in statement:
            reads.append(statement)

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", note)
        try:
            assert send_pass_confirmation(pass_id) is True
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", note)
            db.session.remove()
    assert len(reads) == 1
    assert sent_rows(app)[0][:3] == (f"pass.created:{pass_id}", SENT, 1)
