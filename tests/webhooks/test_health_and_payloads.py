"""An endpoint failing for a day is switched off and its organisers mailed; the console says why.
Payloads name nobody unless an admin allowed it; scan.admitted costs a scan nothing nobody reads;
a rotated secret verifies beside the new one for a day."""
import json
from datetime import timedelta

import sqlalchemy as sa

from app.database import db, now_utc
from app.outbox import OutboxMessage
from checkin.checkpoints import create_checkpoint
from checkin.scanning import scan_code
from events.models import Festival
from registrations import pass_codes
from registrations.models import Pass
from tests.conftest import bearer, login
from webhooks.models import FAILING, WebhookDelivery, WebhookEndpoint
from webhooks.services import delivery
from webhooks.signing import signature, verify

API = "/api/v1"


def add(client, token, url, topics=("pass.created",), **fields):
    answer = client.post(f"{API}/cities/bangkok/webhooks", json={"url": url, "topics": list(topics), **fields},
                         headers=bearer(token))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def organiser_mail(smtp):
    """Mail to organisers (the visitors' confirmations go to example.org)."""
    return [m for m in smtp.messages if m["To"].addresses[0].addr_spec.endswith(".example")]


def failing_since(app, endpoint_id, ago):
    """The stored first failure moves back: the honest clock of a day of failures."""
    with app.app_context():
        endpoint = db.session.get(WebhookEndpoint, endpoint_id)
        endpoint.failing_since = now_utc() - ago
        db.session.commit()


def test_a_day_of_failures_switches_the_endpoint_off_and_mails_its_organisers(
        app, client, city, receiver, sign_up, work, smtp):
    endpoint = add(client, city.organiser, receiver.url())
    receiver.plan("/hook", 500, 500, 500)
    sign_up()
    work()
    failing_since(app, endpoint["id"], timedelta(hours=23))
    sign_up()
    work()
    shown = client.get(f"{API}/webhooks/{endpoint['id']}", headers=bearer(city.organiser)).get_json()
    assert shown["enabled"] is True  # 23 hours is not yet a day
    assert organiser_mail(smtp) == []

    failing_since(app, endpoint["id"], timedelta(hours=24, minutes=1))
    sign_up()
    work()
    shown = client.get(f"{API}/webhooks/{endpoint['id']}", headers=bearer(city.organiser)).get_json()
    assert shown["enabled"] is False and shown["disabled_reason"] == FAILING
    assert "status 500" in shown["last_error"]
    [mail] = organiser_mail(smtp)  # Bangkok's organiser, not Chiang Mai's, and once
    text = mail.get_body(("plain",)).get_content()
    assert "ตอบกลับเป็นข้อผิดพลาด · 500" in text and "Answered with an error · 500" in text
    assert "ปิด" in mail["Subject"] and receiver.url() in text
    # The zone by its name in each language, never its code.
    assert "(เวลาไทย)" in text and "(Thailand Time)" in text and "Asia/Bangkok" not in text
    assert f"/organiser/cities/bangkok/webhooks#endpoint-{endpoint['id']}" in text
    # Switched off: nothing more is sent, events keep being recorded.
    before = len(receiver.at("/hook"))
    sign_up()
    work()
    assert len(receiver.at("/hook")) == before
    # The console says why, in Thai.
    page_client = app.test_client()
    login(page_client, "noi@bangkok.example", "pw-organiser-1")
    html = page_client.get("/organiser/cities/bangkok/webhooks").get_data(as_text=True)
    assert "ปิดเมื่อ" in html and "500" in html
    # Switched on again, the waiting events go out with their ids.
    answer = client.patch(f"{API}/webhooks/{endpoint['id']}", json={"enabled": True}, headers=bearer(city.organiser))
    assert answer.status_code == 200 and answer.get_json()["failing_since"] is None
    work()
    assert len(receiver.at("/hook")) > before


def test_a_success_forgets_the_failures(app, client, city, receiver, sign_up, work):
    endpoint = add(client, city.organiser, receiver.url())
    receiver.plan("/hook", 500)
    sign_up()
    work()
    failing_since(app, endpoint["id"], timedelta(hours=30))
    with app.app_context():
        db.session.execute(sa.update(WebhookDelivery).values(next_attempt_at=now_utc()))
        db.session.commit()
        delivery.run_pass()  # this time it answers 200
    shown = client.get(f"{API}/webhooks/{endpoint['id']}", headers=bearer(city.organiser)).get_json()
    assert shown["enabled"] is True and shown["failing_since"] is None


def test_names_and_emails_go_only_where_an_admin_allowed_them(app, client, city, receiver, sign_up, work):
    plain = add(client, city.organiser, receiver.url("/plain"))
    named = add(client, city.organiser, receiver.url("/named"))
    assert client.patch(f"{API}/webhooks/{named['id']}", json={"personal_data": True},
                        headers=bearer(city.admin)).status_code == 200
    sign_up(name="มาลี ศรีสุข", email="malee@example.org")
    work()
    [to_plain] = receiver.at("/plain")
    [to_named] = receiver.at("/named")
    assert "malee@example.org" not in to_plain.body.decode() and "มาลี" not in to_plain.body.decode()
    assert to_named.json["data"]["email"] == "malee@example.org" and to_named.json["data"]["name"] == "มาลี ศรีสุข"
    assert to_named.json["id"] == to_plain.json["id"]
    assert plain["personal_data"] is False


def _checkpoint_and_code(app, city, make_pass_id):
    with app.app_context():
        festival = db.session.get(Festival, city.festival_id)
        gate = create_checkpoint(festival, name="Gate 1", kind="gate")
        db.session.commit()
        return gate.id, pass_codes.issue(db.session.get(Pass, make_pass_id))


def _scan(app, checkpoint_id, code):
    from checkin.models import Checkpoint
    with app.app_context():
        outcome = scan_code(db.session.get(Checkpoint, checkpoint_id), code, device_id="gate-phone")
        db.session.commit()
        return outcome.result


def _admitted_rows(app):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)).where(
            OutboxMessage.topic == "scan.admitted"))


def test_scan_admitted_is_written_only_when_an_endpoint_of_the_festival_listens(
        app, client, city, receiver, sign_up, work, make_festival):
    first, second = sign_up(), sign_up()
    gate, code = _checkpoint_and_code(app, city, first)
    # Someone listens to other topics, and another festival's endpoint listens to scans: not enough.
    add(client, city.organiser, receiver.url("/other"), topics=("pass.created",))
    make_festival(city.id, slug="another-festival")
    add(client, city.organiser, receiver.url("/elsewhere"), topics=("scan.admitted",), festival="another-festival")
    assert _scan(app, gate, code) == "admitted"
    assert _admitted_rows(app) == 0
    # An endpoint of this festival subscribes: the next admission is told.
    add(client, city.organiser, receiver.url("/gate"), topics=("scan.admitted",), festival=city.festival)
    with app.app_context():
        second_code = pass_codes.issue(db.session.get(Pass, second))
    assert _scan(app, gate, second_code) == "admitted"
    assert _scan(app, gate, second_code) == "already_admitted"  # a second scan admits nobody new
    assert _admitted_rows(app) == 1
    work()
    [got] = receiver.at("/gate")
    assert got.json["topic"] == "scan.admitted" and got.json["data"]["pass_id"] == second
    assert got.json["data"]["checkpoint_kind"] == "gate" and "name" not in got.json["data"]
    assert receiver.at("/elsewhere") == []


def test_after_a_rotation_both_secrets_verify_for_a_day_then_only_the_new(app, client, city, receiver, sign_up, work):
    endpoint = add(client, city.organiser, receiver.url())
    old = endpoint["secret"]
    new = client.post(f"{API}/webhooks/{endpoint['id']}/secret", headers=bearer(city.organiser)).get_json()["secret"]
    sign_up()
    work()
    [got] = receiver.at("/hook")
    header, t = got.headers["Thetsakan-Signature"], int(got.headers["Thetsakan-Signature"].split(",")[0][2:])
    assert verify(new, header, got.body, now=t) and verify(old, header, got.body, now=t)
    assert header.count("v1=") == 2 and f"v1={signature(new, t, got.body)}" in header
    with app.app_context():
        db.session.execute(sa.update(WebhookEndpoint).values(previous_secret_until=now_utc() - timedelta(seconds=1)))
        db.session.commit()
    sign_up()
    work()
    latest = receiver.at("/hook")[-1]
    header, t = latest.headers["Thetsakan-Signature"], int(latest.headers["Thetsakan-Signature"].split(",")[0][2:])
    assert verify(new, header, latest.body, now=t) and not verify(old, header, latest.body, now=t)
    assert json.loads(latest.body)["id"] != json.loads(got.body)["id"]
