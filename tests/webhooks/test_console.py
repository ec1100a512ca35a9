"""The webhooks console: as a page (the secret once, refusals beside their field, another city refused)
and walked in Thai in a real browser on a 390 px phone and a desktop, with axe-core's WCAG 2.2 AA checks."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.database import db, now_utc
from tests.accessibility import DESKTOP, PHONE, assert_accessible, new_context
from tests.conftest import bearer, csrf_from, login
from webhooks.models import FAILED, FAILING, WebhookDelivery, WebhookEndpoint
from webhooks.signing import verify

PAGE = "/organiser/cities/bangkok/webhooks"


def signed_in(app, email="noi@bangkok.example", password="pw-organiser-1"):
    page_client = app.test_client()
    assert login(page_client, email, password).status_code == 302
    return page_client


def test_adding_shows_the_secret_once_and_a_refusal_lands_beside_its_field(app, city, receiver):
    page_client = signed_in(app)
    html = page_client.get(PAGE).get_data(as_text=True)
    token = csrf_from(html)
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = False
    refused = page_client.post(PAGE, data={"csrf_token": token, "url": receiver.url(), "topics": ["pass.created"]})
    assert refused.status_code == 422
    assert 'data-field="url"' in refused.get_data(as_text=True) and "เครือข่ายส่วนตัว" in refused.get_data(as_text=True)
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = True
    added = page_client.post(PAGE, data={"csrf_token": token, "url": receiver.url(),
                                         "topics": ["pass.created", "scan.admitted"], "festival": city.festival})
    assert added.status_code == 201
    with app.app_context():
        endpoint = db.session.scalars(sa.select(WebhookEndpoint)).one()
        secret = endpoint.secret
        assert endpoint.topics == ["pass.created", "scan.admitted"] and endpoint.festival_id == city.festival_id
    assert secret in added.get_data(as_text=True)
    again = page_client.get(PAGE).get_data(as_text=True)
    assert secret not in again and receiver.url() in again


def test_another_citys_organiser_cannot_open_or_act_on_the_page(app, client, city, receiver, make_user):
    created = client.post("/api/v1/cities/bangkok/webhooks", json={"url": receiver.url(), "topics": ["pass.created"]},
                          headers=bearer(city.organiser)).get_json()
    make_user("organiser", city.other_city, password="pw-cm-12345", email="cm@chiangmai.example")
    stranger = signed_in(app, "cm@chiangmai.example", "pw-cm-12345")
    assert stranger.get(PAGE).status_code == 403
    token = csrf_from(stranger.get("/organiser/cities/chiang-mai/webhooks").get_data(as_text=True))
    for action in ("test", "secret", "switch-off", "delete"):
        answer = stranger.post(f"/organiser/webhooks/{created['id']}/{action}", data={"csrf_token": token})
        assert answer.status_code == 403, action
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(WebhookDelivery.id))) == 0
        assert db.session.get(WebhookEndpoint, created["id"]).enabled is True


def _seed_a_switched_off_endpoint(app, client, city, receiver):
    """An endpoint that failed for a day, with one delivery that gave up."""
    created = client.post("/api/v1/cities/bangkok/webhooks", json={
        "url": receiver.url("/down"), "topics": ["booking.confirmed"], "description": "ห้องสมุดประชาชน"},
        headers=bearer(city.organiser)).get_json()
    with app.app_context():
        endpoint = db.session.get(WebhookEndpoint, created["id"])
        now = now_utc()
        endpoint.enabled, endpoint.disabled_reason, endpoint.disabled_at = False, FAILING, now
        endpoint.failing_since, endpoint.last_error = now - timedelta(days=1, minutes=3), "status 503"
        delivery = WebhookDelivery(endpoint_id=endpoint.id, event_id="evt_7", topic="booking.confirmed",
                                   body='{"id":"evt_7"}', status=FAILED, attempts=12, first_attempt_at=now)
        db.session.add(delivery)
        db.session.flush()
        from webhooks.models import WebhookAttempt
        db.session.add(WebhookAttempt(delivery_id=delivery.id, endpoint_id=endpoint.id, number=12, at=now,
                                      status_code=503, duration_ms=41, error="status"))
        db.session.commit()
        return created["id"], delivery.id


@pytest.mark.browser
@pytest.mark.parametrize("viewport, name", [(PHONE, "phone"), (DESKTOP, "desktop")])
def test_an_organiser_walks_the_console_in_thai(app, client, live_server, chromium, city, receiver, work,
                                                 viewport, name):
    down_id, failed_id = _seed_a_switched_off_endpoint(app, client, city, receiver)
    context = new_context(chromium, viewport=viewport)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/login")
    page.fill("input[name=email]", "noi@bangkok.example")
    page.fill("input[name=password]", "pw-organiser-1")
    page.click("button[type=submit]")
    page.wait_for_url("**/organiser/")
    page.get_by_role("link", name="เว็บฮุกสำหรับหน่วยงานพันธมิตร").click()  # from the console's home
    page.wait_for_url(f"**{PAGE}")
    assert page.locator("h1").inner_text() == "เว็บฮุกสำหรับหน่วยงานพันธมิตร"
    off = page.locator(f"#endpoint-{down_id} [data-switched-off]").inner_text()
    assert "ปิดเมื่อ" in off and "2569" in off and "503" in off  # why, when (Buddhist Era), the answer
    assert page.locator(f"[data-delivery='{failed_id}']").inner_text().count("503") == 1
    assert_accessible(page, f"console with a switched-off endpoint ({name})")
    page.screenshot(path=f"/tmp/webhooks-console-{name}-th.png", full_page=True)

    # Add an endpoint, as a person: type the URL, tick two topics, choose the festival.
    page.fill("input[name=url]", receiver.url("/partner"))
    page.get_by_label("มีการสร้างบัตร").check()
    page.get_by_label("มีการจองที่นั่ง").check()
    page.select_option("select[name=festival]", city.festival)
    page.fill("input[name=description]", "พอร์ทัลการเรียนรู้จังหวัด")
    page.get_by_role("button", name="เพิ่มปลายทาง").click()
    page.wait_for_selector("[data-secret]")
    secret = page.locator("[data-secret]").inner_text().strip()
    assert secret.startswith("whsec_")
    assert page.input_value("input[name=url]") == ""  # the form is empty again for the next one
    assert_accessible(page, f"the secret shown once ({name})")
    page.screenshot(path=f"/tmp/webhooks-secret-{name}-th.png", full_page=True)
    page.goto(f"{live_server.url}{PAGE}")
    assert page.locator("[data-secret]").count() == 0 and secret not in page.content()

    # Send a test event; a worker delivers it; the list shows status, duration and attempt.
    with app.app_context():
        new_id = db.session.scalar(sa.select(WebhookEndpoint.id).where(WebhookEndpoint.url.like("%/partner")))
    page.locator(f"#endpoint-{new_id}").get_by_role("button", name="ส่งเหตุการณ์ทดสอบ").click()
    page.wait_for_load_state()
    assert "ส่งเหตุการณ์ทดสอบเข้าคิวแล้ว" in page.locator(".flash").inner_text()
    work()
    [got] = receiver.at("/partner")
    assert got.json["topic"] == "webhook.test"
    assert verify(secret, got.headers["Thetsakan-Signature"], got.body, now=int(got.headers[
        "Thetsakan-Signature"].split(",")[0][2:]))
    page.reload()
    row = page.locator(f"#endpoint-{new_id} tbody tr").first.inner_text()
    assert "ส่งสำเร็จ · 200" in row and "มิลลิวินาที" in row and "เหตุการณ์ทดสอบ" in row

    # Send the failed delivery again, then switch the endpoint on again.
    page.locator(f"[data-delivery='{failed_id}']").get_by_role("button", name="ส่งอีกครั้ง").click()
    page.wait_for_load_state()
    assert "รหัสเหตุการณ์เดิม" in page.locator(".flash").inner_text()
    page.locator(f"#endpoint-{down_id}").get_by_role("button", name="เปิดอีกครั้ง").click()
    page.wait_for_load_state()
    assert page.locator(f"#endpoint-{down_id} [data-switched-off]").count() == 0
    assert_accessible(page, f"after switching on again ({name})")
    page.screenshot(path=f"/tmp/webhooks-after-{name}-th.png", full_page=True)
    assert "Switched off" not in page.content() and "Send again" not in page.content()  # no English left
    assert errors == []
    context.close()
