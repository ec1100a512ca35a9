"""Deliveries to a real HTTP receiver on loopback: signed, verifiable with the partners' guide's own
Python, retried with the same id, in order, and a slow endpoint holding up nobody else."""
import re
import shutil
import subprocess
import textwrap
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.database import db, now_utc
from app.outbox import OutboxMessage
from registrations import services as registrations
from tests.conftest import IN_CI, bearer
from tests.webhooks.conftest import wait_until
from webhooks.models import DELIVERED, PENDING, WebhookAttempt, WebhookDelivery
from webhooks.services import delivery, events
from workers import dispatch
from workers.jobs import webhooks as webhook_jobs

API = "/api/v1"
GUIDE = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def guide_verify():
    """The `verify` function exactly as docs/webhooks.md gives it to partners."""
    text = GUIDE.read_text(encoding="utf-8")
    snippet = re.search(r"<!-- verify-python -->\s*```python\n(.*?)```", text, re.S).group(1)
    namespace = {}
    exec(compile(snippet, str(GUIDE), "exec"), namespace)  # noqa: S102 - our own documentation, under test
    return namespace["verify"]


def add(client, token, url, topics=("pass.created",), **fields):
    answer = client.post(f"{API}/cities/bangkok/webhooks", json={"url": url, "topics": list(topics), **fields},
                         headers=bearer(token))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def make_due(app):
    """The clock moves on: every waiting retry is due now (as if its delay had passed)."""
    with app.app_context():
        db.session.execute(sa.update(WebhookDelivery).where(WebhookDelivery.status == PENDING)
                           .values(next_attempt_at=now_utc() - timedelta(seconds=1)))
        db.session.commit()


def deliveries(app):
    with app.app_context():
        rows = db.session.scalars(sa.select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
        result = [(d.id, d.endpoint_id, d.event_id, d.topic, d.status, d.attempts, d.first_attempt_at,
                   d.next_attempt_at) for d in rows]
        db.session.remove()
        return result


def test_a_sign_up_arrives_signed_and_the_guides_python_verifies_it(app, client, city, receiver, sign_up, work):
    endpoint = add(client, city.organiser, receiver.url(), festival=city.festival)
    pass_id = sign_up()
    work()
    [got] = receiver.at("/hook")
    verify = guide_verify()
    assert verify(endpoint["secret"], got.headers["Thetsakan-Signature"], got.body)
    assert not verify("whsec_someone-else", got.headers["Thetsakan-Signature"], got.body)
    assert not verify(endpoint["secret"], got.headers["Thetsakan-Signature"], got.body.replace(b"adult", b"child"))
    event = got.json
    assert set(event) == {"id", "topic", "occurred_at", "city", "festival", "data"}
    assert event["topic"] == "pass.created" and event["city"] == "bangkok" and event["festival"] == city.festival
    assert event["data"]["pass_id"] == pass_id and event["data"]["party_size"] == 1
    # No personal data by default.
    assert "name" not in event["data"] and "email" not in event["data"]
    assert "สมศรี" not in got.body.decode() and "@example.org" not in got.body.decode()
    assert got.headers["Content-Type"].startswith("application/json")
    with app.app_context():
        message_id = db.session.scalar(sa.select(OutboxMessage.id).where(OutboxMessage.topic == "pass.created"))
    assert event["id"].startswith(f"evt_{message_id}_")
    [(_id, _e, _ev, _t, status, attempts, _f, _n)] = deliveries(app)
    assert (status, attempts) == (DELIVERED, 1)


def test_a_message_is_recorded_for_partners_only_where_an_endpoint_listens(app, client, city, receiver, sign_up):
    # Without a listening endpoint a sign-up costs no recording job (a forked work-horse each).
    def fanned_out():
        with app.app_context():
            message_id = db.session.scalar(sa.select(sa.func.max(OutboxMessage.id)))
            jobs = dispatch.handle_message(message_id)
            db.session.remove()
            return [job.rsplit("-", 1)[-1] for job in jobs]

    sign_up()
    assert fanned_out() == ["send_pass_confirmation"]
    add(client, city.organiser, receiver.url("/other"), topics=("booking.confirmed",), festival=city.festival)
    sign_up()
    assert fanned_out() == ["send_pass_confirmation"]  # listening, but to another topic
    add(client, city.organiser, receiver.url(), festival=city.festival)
    sign_up()
    assert fanned_out() == ["send_pass_confirmation", "record_event"]


def test_a_refused_delivery_is_retried_with_the_same_id_the_first_retry_within_a_minute(
        app, client, city, receiver, sign_up, work):
    add(client, city.organiser, receiver.url())
    receiver.plan("/hook", 503, 500)
    sign_up()
    work()
    [(_id, _e, event_id, _t, status, attempts, first, next_at)] = deliveries(app)
    assert (status, attempts) == (PENDING, 1)
    assert next_at - first <= timedelta(minutes=1)  # the schedule's promise, not a measurement
    make_due(app)
    with app.app_context():
        delivery.run_pass()
    [(*_, status, attempts, first, next_second)] = deliveries(app)
    assert (status, attempts) == (PENDING, 2)
    assert next_second - first > next_at - first  # growing delays
    make_due(app)
    with app.app_context():
        delivery.run_pass()
    tries = receiver.at("/hook")
    assert len(tries) == 3
    assert {t.json["id"] for t in tries} == {event_id}
    assert len({t.body for t in tries}) == 1  # the very same bytes
    [(*_, status, attempts, _f, _n)] = deliveries(app)
    assert (status, attempts) == (DELIVERED, 3)
    with app.app_context():
        codes = [a.status_code for a in db.session.scalars(sa.select(WebhookAttempt).order_by(WebhookAttempt.id))]
    assert codes == [503, 500, 200]


def test_retries_span_at_least_a_day_then_give_up(app):
    waited, attempts = 0, 1
    while (delay := delivery.next_delay(attempts)) is not None:
        waited += delay
        attempts += 1
    assert delivery.next_delay(1) <= 60
    assert waited >= 24 * 3600
    assert all(a <= b for a, b in zip(delivery.RETRY_DELAYS, delivery.RETRY_DELAYS[1:]))


def test_events_reach_one_endpoint_in_the_order_they_happened(app, client, city, receiver, sign_up, book, work):
    add(client, city.organiser, receiver.url(), topics=("pass.created", "booking.confirmed", "booking.cancelled"))
    pass_id = sign_up()
    booking_id = book(pass_id, city.workshop)
    with app.app_context():
        registrations.cancel_booking(pass_id, booking_id)
        db.session.commit()
    # Record everything first, then one pass sends it: the order is the pass's, not the queue's.
    work.general()
    work()
    topics = [r.json["topic"] for r in receiver.at("/hook")]
    assert topics == ["pass.created", "booking.confirmed", "booking.cancelled"]
    ids = [int(r.json["id"].split("_")[1]) for r in receiver.at("/hook")]
    assert ids == sorted(ids)


def test_a_hanging_endpoint_holds_up_neither_another_endpoint_nor_the_mail(
        app, client, city, receiver, sign_up, work, smtp):
    app.config["WEBHOOKS_TIMEOUT"] = 600  # the hang ends when this test says so, not by a timeout
    release = threading.Event()
    add(client, city.organiser, receiver.url("/slow"))
    add(client, city.organiser, receiver.url("/fast"))
    receiver.plan("/slow", ("hang", release))
    sign_up()
    work.general()  # the outbox message, its deliveries recorded, the confirmation mail
    smtp.clear()

    def pass_in_a_worker():
        with app.app_context():
            webhook_jobs.deliver()
            db.session.remove()

    sender = threading.Thread(target=pass_in_a_worker)
    sender.start()
    try:
        assert receiver.wait_for("/slow"), "the slow endpoint was never called"
        assert receiver.wait_for("/fast"), "the fast endpoint waited for the slow one"
        # Recorded as delivered while the other still hangs.
        assert wait_until(lambda: [d[4] for d in deliveries(app) if d[4] == DELIVERED] == [DELIVERED])
        # The mail worker meanwhile sends a second visitor's confirmation.
        sign_up(email="second@example.org")
        work.general()
        assert [m["To"] for m in smtp.messages] == ["สมศรี ใจดี <second@example.org>"]
        assert not release.is_set() and sender.is_alive()
    finally:
        release.set()
        sender.join(60)
    assert [d[4] for d in deliveries(app)][:2] == [DELIVERED, DELIVERED]


def test_an_endpoint_that_cannot_be_reached_leaves_its_other_events_for_the_retry(app, client, city, receiver, sign_up):
    dead = f"http://127.0.0.1:{receiver.port}/dead"
    add(client, city.organiser, dead)
    receiver.close()  # nothing listens there any more: connection refused
    for n in range(3):
        sign_up(email=f"v{n}@example.org")
    with app.app_context():
        for message_id in db.session.scalars(sa.select(OutboxMessage.id).where(OutboxMessage.topic == "pass.created")):
            events.record(message_id)
        db.session.commit()
        delivery.run_pass()
        rows = db.session.scalars(sa.select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
        assert [d.attempts for d in rows] == [1, 0, 0]
        assert rows[0].tries[0].error == "refused"
        assert all(d.next_attempt_at == rows[0].next_attempt_at for d in rows)


def test_a_redirect_is_not_followed_and_a_huge_answer_is_not_read_to_the_end(app, client, city, receiver, sign_up,
                                                                            work):
    add(client, city.organiser, receiver.url("/moved"))
    add(client, city.organiser, receiver.url("/big"))
    receiver.plan("/moved", ("redirect", receiver.url("/elsewhere")))
    receiver.plan("/big", ("big", 64 * 1024 * 1024))
    sign_up()
    work()
    assert receiver.at("/elsewhere") == []
    with app.app_context():
        by_path = {d.endpoint.url.rsplit("/", 1)[1]: d for d in db.session.scalars(sa.select(WebhookDelivery))}
        assert by_path["moved"].status == PENDING and by_path["moved"].tries[0].error == "redirect"
        assert by_path["big"].status == DELIVERED
    assert wait_until(lambda: receiver.unfinished_writes == 1)  # we hung up long before 64 MB


def test_the_address_is_checked_again_at_delivery_after_dns(app, client, city, receiver, sign_up, work):
    """Saved while private addresses were allowed; by delivery time they are not: `localhost` resolves to
    loopback, so nothing is sent to it and the attempt says why."""
    add(client, city.organiser, f"http://localhost:{receiver.port}/hook")
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = False
    sign_up()
    work()
    assert receiver.at("/hook") == []
    with app.app_context():
        [row] = db.session.scalars(sa.select(WebhookDelivery)).all()
        assert row.status == PENDING and row.tries[0].error == "blocked_address"
        assert "127.0.0.1" in row.tries[0].detail or "::1" in row.tries[0].detail


def test_two_passes_at_once_send_each_event_once_and_in_order(app, client, city, receiver, sign_up):
    """Two webhook workers: while one pass holds the endpoint (its first POST hangs), the other leaves it alone."""
    app.config["WEBHOOKS_TIMEOUT"] = 600
    release = threading.Event()
    add(client, city.organiser, receiver.url())
    receiver.plan("/hook", ("hang", release))
    for n in range(3):
        sign_up(email=f"order{n}@example.org")
    with app.app_context():
        for message_id in db.session.scalars(sa.select(OutboxMessage.id).order_by(OutboxMessage.id)):
            events.record(message_id)
        db.session.commit()

    def first_pass():
        with app.app_context():
            delivery.run_pass()
            db.session.remove()

    worker = threading.Thread(target=first_pass)
    worker.start()
    try:
        assert receiver.wait_for("/hook")
        with app.app_context():
            assert delivery.run_pass() == 0  # the second worker finds the endpoint held
    finally:
        release.set()
        worker.join(60)
    ids = [r.json["id"] for r in receiver.at("/hook")]
    assert len(ids) == 3 == len(set(ids))
    assert [int(i.split("_")[1]) for i in ids] == sorted(int(i.split("_")[1]) for i in ids)
    assert [d[4] for d in deliveries(app)] == [DELIVERED] * 3


def test_settled_deliveries_are_purged_after_thirty_days(app, client, city, receiver, sign_up, work):
    add(client, city.organiser, receiver.url())
    receiver.plan("/hook", 500)
    sign_up()
    sign_up()
    work()
    with app.app_context():
        db.session.execute(sa.update(WebhookDelivery).values(created_at=now_utc() - timedelta(days=31)))
        db.session.commit()
        assert webhook_jobs.purge_deliveries() == 1  # the delivered one; the one waiting to retry stays
        [left] = db.session.scalars(sa.select(WebhookDelivery)).all()
        assert left.status == PENDING and len(left.tries) == 1


def test_the_guides_javascript_verifies_a_real_delivery_too(app, client, city, receiver, sign_up, work, tmp_path):
    node = shutil.which("node")
    if node is None:
        if IN_CI:
            pytest.fail("Node.js is missing under CI: .ci/run must install it (npm ci needs it too)")
        pytest.skip("Node.js is not installed")
    snippet = re.search(r"<!-- verify-javascript -->\s*```javascript\n(.*?)```", GUIDE.read_text(encoding="utf-8"),
                        re.S).group(1)
    script = tmp_path / "verify.js"
    script.write_text(snippet + textwrap.dedent("""
        const fs = require("node:fs");
        const [secret, header, bodyFile] = process.argv.slice(2);
        process.stdout.write(String(verify(secret, header, fs.readFileSync(bodyFile))));
    """), encoding="utf-8")
    endpoint = add(client, city.organiser, receiver.url())
    sign_up(name="ใจดี")  # Thai in the data: the raw bytes must be what is signed
    work()
    [got] = receiver.at("/hook")
    body = tmp_path / "body.json"
    body.write_bytes(got.body)

    def js(secret, payload=body):
        return subprocess.run([node, str(script), secret, got.headers["Thetsakan-Signature"], str(payload)],
                              capture_output=True, text=True, check=True, timeout=60).stdout

    assert js(endpoint["secret"]) == "true"
    assert js("whsec_someone-else") == "false"
    tampered = tmp_path / "tampered.json"
    tampered.write_bytes(got.body.replace(b"adult", b"child"))
    assert js(endpoint["secret"], tampered) == "false"
