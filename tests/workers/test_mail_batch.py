"""Mail in batches (mail/services/batch.py): the worker sends mail after mail over one SMTP connection, in
its own process, opens a new one at once when the server dropped the kept one (nothing lost or doubled),
and draws each pass's QR code and agenda once per batch."""
import os
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import relay
from app.database import db
from app.queues import MAINTENANCE_HOOKS, make_worker
from mail.models import SENT, SentMessage
from mail.services import batch
from registrations import qr_image
from feeds.services import store
from tests.workers.scripted_smtp import OK, ScriptedSMTP
from tests.workers.conftest import FUTURE
from tests.workers.test_booking_mail_parts import agenda


def ledger(app):
    with app.app_context():
        rows = db.session.execute(sa.select(SentMessage.key, SentMessage.status, SentMessage.attempts)).all()
        db.session.remove()
        return rows


def test_many_mails_go_over_one_smtp_connection(app, smtp, festival, sign_up, run_jobs):
    for n in range(6):
        sign_up(locale="en", email=f"one-line{n}@example.org")
    run_jobs()
    assert len(smtp.messages) == 6
    assert smtp.connections == 1


def test_the_forking_worker_sends_mail_in_its_own_process_over_one_connection(app, smtp, festival, sign_up):
    """A work-horse per mail would open a connection (and a database connection) per mail."""
    for n in range(5):
        sign_up(locale="en", email=f"forking{n}@example.org")
    relay.settle(app=app)  # what was committed is in RQ before the worker looks
    make_worker(app).work(burst=True)  # the default worker: feeds and reports still fork
    assert len(smtp.messages) == 5
    assert smtp.connections == 1
    with app.app_context():
        assert batch.current().pid == os.getpid()  # the batch lives in the worker, not in a work-horse
        batch.end()


def test_a_batch_ends_after_its_number_of_mails_and_when_idle(app, smtp, festival, sign_up, run_jobs, monkeypatch):
    monkeypatch.setattr(batch, "MESSAGES_PER_BATCH", 2)
    for n in range(5):
        sign_up(locale="en", email=f"capped{n}@example.org")
    run_jobs()
    assert smtp.connections == 3  # 2 + 2 + 1

    monkeypatch.setattr(batch, "IDLE_AFTER", 0.0)
    with app.app_context():
        batch.end_if_idle()  # the worker's upkeep
        assert "thetsakan_mail_batch" not in app.extensions
    assert batch.end_if_idle in app.extensions[MAINTENANCE_HOOKS]


def test_a_forked_process_never_talks_on_its_parents_connection(app, smtp, festival, sign_up, run_jobs):
    sign_up(locale="en", email="parent1@example.org")
    run_jobs()
    child = os.fork()
    if child == 0:  # a work-horse: ending "its" batch must not QUIT the parent's session
        try:
            with app.app_context():
                fresh = batch.current()
                batch.end()
                os._exit(0 if fresh.connection is not None and not fresh.connection.is_open else 1)
        except BaseException:  # noqa: BLE001 - the child must never return into pytest
            os._exit(2)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    sign_up(locale="en", email="parent2@example.org")
    run_jobs()
    assert len(smtp.messages) == 2
    assert smtp.connections == 1


class DroppingSMTP(ScriptedSMTP):
    """An SMTP server that takes `per_connection` messages on a connection, then drops it: silently
    (closes the socket after the 250) or politely (answers the next MAIL FROM with 421 and closes)."""

    def __init__(self, per_connection, how):
        self.per_connection, self.how = per_connection, how
        super().__init__()  # received: (connection number, recipient)

    def answer(self, command, line, session):
        if command.startswith(b"MAIL") and session.get("taken", 0) >= self.per_connection:
            return b"421 4.7.0 too many messages on this connection\r\n"
        if command.startswith(b"RCPT"):
            session["recipient"] = line[8:].decode()
        return OK

    def after_data(self, body, session):
        self.received.append((session["number"], session.get("recipient")))
        session["taken"] = session.get("taken", 0) + 1
        session["hang_up"] = session["taken"] >= self.per_connection and self.how == "silently"
        return OK


@pytest.mark.parametrize("how", ["silently", "politely"])
def test_a_connection_the_server_drops_mid_batch_is_opened_again_and_nothing_is_lost_or_doubled(
        app, smtp, festival, sign_up, run_jobs, how):
    dropping = DroppingSMTP(per_connection=2, how=how)
    app.config["SMTP_PORT"] = dropping.port
    try:
        for n in range(5):
            sign_up(locale="en", email=f"dropped{n}@example.org")
        run_jobs()  # no fast-forward: a mail that waited for its retry would be missing
    finally:
        dropping.close()
    recipients = Counter(recipient for _, recipient in dropping.received)
    assert sorted(recipients) == sorted(f"<dropped{n}@example.org>" for n in range(5))
    assert set(recipients.values()) == {1}
    assert dropping.connections == 3
    assert sorted(number for number, _ in dropping.received) == [1, 1, 2, 2, 3]
    rows = ledger(app)
    assert {(status, attempts) for _key, status, attempts in rows} == {(SENT, 1)} and len(rows) == 5


def test_a_pass_qr_code_and_agenda_are_drawn_once_for_its_letters_in_a_batch(
        app, smtp, festival, workshop, sign_up, book, run_jobs, monkeypatch):
    drawn = Counter()

    def counting(name, function):
        def wrapper(*args, **kwargs):
            # The feeds' own rebuild of the stored agenda (no festival days) is not a letter's.
            if name == "qr" or kwargs.get("with_festival"):
                drawn[name] += 1
            return function(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(qr_image, "png", counting("qr", qr_image.png))
    monkeypatch.setattr(store, "agenda_body", counting("agenda", store.agenda_body))
    first = workshop(title_en="Weaving")
    second = workshop(title_en="Dyeing", starts_at=FUTURE + timedelta(hours=2))
    pass_id = sign_up(locale="en", email="family@example.org")
    book(pass_id, first)
    book(pass_id, second)
    run_jobs()
    letters = [m for m in smtp.messages if m["To"].addresses[0].addr_spec == "family@example.org"]
    assert len(letters) == 3  # the confirmation and two "booked" notices, each with the QR code and agenda
    assert drawn == {"qr": 1, "agenda": 1}
    assert {tuple(agenda(m)[1]) for m in letters} == {tuple(agenda(letters[0])[1])}
    assert {"Weaving", "Dyeing"} <= set(agenda(letters[0])[1])


def test_a_booking_made_while_the_batch_is_open_still_shows_in_the_next_letters_agenda(
        app, smtp, festival, workshop, sign_up, book, run_jobs):
    session_id = workshop(title_en="Weaving")
    pass_id = sign_up(locale="en", email="later@example.org")
    run_jobs()  # the confirmation: an agenda with the festival only; the batch stays open
    book(pass_id, session_id)
    run_jobs()
    confirmation, booked = smtp.messages
    assert "Weaving" not in agenda(confirmation)[1]
    assert "Weaving" in agenda(booked)[1]
    assert smtp.connections == 1
