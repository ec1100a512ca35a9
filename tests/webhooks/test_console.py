"""The webhooks console: as a page (the secret once, refusals beside their field, another city refused)
and walked in a real browser in Thai on a 390 px phone and a desktop and in English on a desktop, with axe-core's
WCAG 2.2 AA checks and tests/language.py's check that each state reads wholly in the walk's language."""
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.database import db, now_utc
from tests.accessibility import DESKTOP, PHONE, assert_accessible, new_context
from tests.conftest import bearer, csrf_from, login
from tests.language import assert_reads_in
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


def _seed_a_switched_off_endpoint(app, client, city, receiver, description="ห้องสมุดประชาชน"):
    """An endpoint that failed for a day, with one delivery that gave up."""
    created = client.post("/api/v1/cities/bangkok/webhooks", json={
        "url": receiver.url("/down"), "topics": ["booking.confirmed"], "description": description},
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


THAI_MONTHS = ("มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม", "สิงหาคม", "กันยายน",
               "ตุลาคม", "พฤศจิกายน", "ธันวาคม")


def as_read(moment, lang):
    """A stored UTC moment as Bangkok's organisers read it: their zone, Buddhist Era in Thai, to the second."""
    there = moment.astimezone(ZoneInfo("Asia/Bangkok"))
    if lang == "th":
        return f"{there.day} {THAI_MONTHS[there.month - 1]} {there.year + 543} {there:%H:%M:%S}"
    return f"{there.day} {there:%B} {there.year} {there:%H:%M:%S}"


# What each walk reads and clicks, in its language; the descriptions are what the organiser typed.
CONSOLE = {
    "th": dict(
        email="อีเมล", password="รหัสผ่าน", sign_in="เข้าสู่ระบบ", title="เว็บฮุกสำหรับหน่วยงานพันธมิตร",
        off="ปิดเมื่อ", zone="เวลาไทย", pass_made="มีการสร้างบัตร", seat_booked="มีการจองที่นั่ง", festival="วันเมืองแห่งการเรียนรู้",
        note="หมายเหตุ", add="เพิ่มปลายทาง", no_topic="จำเป็นต้องกรอกช่องนี้", send_test="ส่งเหตุการณ์ทดสอบ",
        queued="ส่งเหตุการณ์ทดสอบเข้าคิวแล้ว", delivered="ส่งสำเร็จ · 200", ms="มิลลิวินาที", test_event="เหตุการณ์ทดสอบ",
        send_again="ส่งอีกครั้ง", same_id="รหัสเหตุการณ์เดิม", switch_on="เปิดอีกครั้ง", new_secret="สร้างรหัสลับใหม่",
        keeps_verifying="รหัสลับเดิมยังใช้ตรวจลายเซ็นได้จนถึง", seeded="ห้องสมุดประชาชน", description="พอร์ทัลการเรียนรู้จังหวัด",
    ),
    "en": dict(
        email="Email", password="Password", sign_in="Sign in", title="Webhooks for partners",
        off="Switched off on", zone="Thailand Time", pass_made="A pass was made", seat_booked="A seat was booked",
        festival="Learning City Days", note="Note (whose endpoint, what for)", add="Add the endpoint",
        no_topic="This field is required.", send_test="Send a test event", queued="Test event queued", delivered="Delivered · 200",
        ms="ms", test_event="Test event", send_again="Send again", same_id="same event id",
        switch_on="Switch on again", new_secret="New secret", keeps_verifying="The previous secret keeps verifying until",
        seeded="Public library", description="Provincial learning portal",
    ),
}


def check(page, lang, state, data=()):
    """Every page and state: no WCAG 2.2 AA violation, and it reads wholly in the walk's language."""
    assert_accessible(page, state)
    assert_reads_in(page, lang, data=data)


@pytest.mark.browser
@pytest.mark.parametrize("lang, viewport", [("th", PHONE), ("th", DESKTOP), ("en", DESKTOP)],
                         ids=["th-phone", "th-desktop", "en-desktop"])
def test_an_organiser_walks_the_console(app, client, live_server, chromium, city, receiver, work, lang, viewport):
    t = CONSOLE[lang]
    name = f"{lang}-{'phone' if viewport == PHONE else 'desktop'}"
    data = (t["seeded"], t["description"])
    down_id, failed_id = _seed_a_switched_off_endpoint(app, client, city, receiver, description=t["seeded"])
    with app.app_context():
        down = db.session.get(WebhookEndpoint, down_id)
        disabled_at, failing_since = down.disabled_at, down.failing_since
    context = new_context(chromium, viewport=viewport, locale="en-US" if lang == "en" else "th-TH")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/login?lang={lang}")
    page.get_by_label(t["email"]).fill("noi@bangkok.example")
    page.get_by_label(t["password"]).fill("pw-organiser-1")
    page.get_by_role("button", name=t["sign_in"]).click()
    page.wait_for_url("**/organiser/")
    page.get_by_role("link", name=t["title"]).click()  # from the console's home
    page.wait_for_url(f"**{PAGE}")
    assert page.locator("h1").inner_text() == t["title"]
    off = page.locator(f"#endpoint-{down_id} [data-switched-off]").inner_text()
    # why, when (Bangkok's clock; Buddhist Era in Thai, Gregorian in English), the answer
    assert t["off"] in off and "503" in off
    if lang == "en":  # the last answer is a sentence of its own, not run into the next one
        assert "Last answer: Answered with an error · 503. Events recorded meanwhile" in " ".join(off.split())
    assert as_read(disabled_at, lang) in off and as_read(failing_since, lang) in off
    delivery_row = page.locator(f"[data-delivery='{failed_id}']").inner_text()
    assert delivery_row.count("503") == 1
    assert t["zone"] in page.locator(f"#endpoint-{down_id} caption").inner_text()  # the zone by its name
    check(page, lang, f"console with a switched-off endpoint ({name})", data)
    page.screenshot(path=f"/tmp/webhooks-console-{name}.png", full_page=True)

    # A refusal lands beside its field, in the reader's language: no topic ticked.
    page.fill("input[name=url]", receiver.url("/partner"))
    page.get_by_label(t["note"]).fill(t["description"])
    page.get_by_role("button", name=t["add"]).click()
    page.wait_for_selector(".field-error[data-field=topics]")
    assert t["no_topic"] in page.locator(".field-error[data-field=topics]").inner_text()
    check(page, lang, f"adding refused: no topic ({name})", data)

    # Add an endpoint, as a person: type the URL, tick two topics, choose the festival.
    page.fill("input[name=url]", receiver.url("/partner"))
    page.get_by_label(t["pass_made"]).check()
    page.get_by_label(t["seat_booked"]).check()
    page.select_option("select[name=festival]", label=t["festival"])
    page.get_by_label(t["note"]).fill(t["description"])
    page.get_by_role("button", name=t["add"]).click()
    page.wait_for_selector("[data-secret]")
    secret = page.locator("[data-secret]").inner_text().strip()
    assert secret.startswith("whsec_")
    assert page.input_value("input[name=url]") == ""  # the form is empty again for the next one
    check(page, lang, f"the secret shown once ({name})", data)
    page.screenshot(path=f"/tmp/webhooks-secret-{name}.png", full_page=True)
    page.goto(f"{live_server.url}{PAGE}")
    assert page.locator("[data-secret]").count() == 0 and secret not in page.content()

    # Send a test event; a worker delivers it; the list shows status, duration and attempt.
    with app.app_context():
        new_id = db.session.scalar(sa.select(WebhookEndpoint.id).where(WebhookEndpoint.url.like("%/partner")))
    page.locator(f"#endpoint-{new_id}").get_by_role("button", name=t["send_test"]).click()
    page.wait_for_load_state()
    assert t["queued"] in page.locator(".flash").inner_text()
    check(page, lang, f"test event queued ({name})", data)
    work()
    [got] = receiver.at("/partner")
    assert got.json["topic"] == "webhook.test"
    assert verify(secret, got.headers["Thetsakan-Signature"], got.body, now=int(got.headers[
        "Thetsakan-Signature"].split(",")[0][2:]))
    page.reload()
    row = page.locator(f"#endpoint-{new_id} tbody tr").first.inner_text()
    assert t["delivered"] in row and t["ms"] in row and t["test_event"] in row
    check(page, lang, f"a delivered test event ({name})", data)

    # A new secret: shown once, the previous one still verifying until a time on Bangkok's clock.
    page.locator(f"#endpoint-{new_id}").get_by_role("button", name=t["new_secret"]).click()
    page.wait_for_selector("[data-secret]")
    rotated = page.locator("[data-secret]").inner_text().strip()
    assert rotated.startswith("whsec_") and rotated != secret
    with app.app_context():
        until = db.session.get(WebhookEndpoint, new_id).previous_secret_until
    assert f"{t['keeps_verifying']} {as_read(until, lang)}" in page.locator("[data-secret-once]").inner_text()
    check(page, lang, f"a new secret shown once ({name})", data)
    page.screenshot(path=f"/tmp/webhooks-rotated-{name}.png", full_page=True)
    page.goto(f"{live_server.url}{PAGE}")

    # Send the failed delivery again, then switch the endpoint on again.
    page.locator(f"[data-delivery='{failed_id}']").get_by_role("button", name=t["send_again"]).click()
    page.wait_for_load_state()
    assert t["same_id"] in page.locator(".flash").inner_text()
    check(page, lang, f"delivery sent again ({name})", data)
    page.locator(f"#endpoint-{down_id}").get_by_role("button", name=t["switch_on"]).click()
    page.wait_for_load_state()
    assert page.locator(f"#endpoint-{down_id} [data-switched-off]").count() == 0
    check(page, lang, f"after switching on again ({name})", data)
    page.screenshot(path=f"/tmp/webhooks-after-{name}.png", full_page=True)
    assert errors == []
    context.close()
