"""The scanner page (/scan) and the poster visit page (/p/...) in a real Chromium: typed and wedge codes,
the camera reading a real pass QR, offline scans queued and synced, pairing, and a visitor's own phone."""

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.database import db
from checkin.models import Checkpoint, Scan
from checkin.posters import poster_code
from tests.checkin.conftest import sign_in, tamper

pytestmark = pytest.mark.browser
PHONE = {"width": 412, "height": 860}
NO_WEBCRYPTO_ED25519 = """
(() => {
  const importKey = crypto.subtle.importKey.bind(crypto.subtle);
  crypto.subtle.importKey = (format, key, algorithm, ...rest) =>
    (algorithm && (algorithm.name || algorithm) === "Ed25519")
      ? Promise.reject(new DOMException("Ed25519 is not supported", "NotSupportedError"))
      : importKey(format, key, algorithm, ...rest);
})();
"""


def name_the_phone(page, name="Gate 2 phone"):
    """A phone without a token asks for its name first (the Team page lists phones by it)."""
    form = page.locator("#phone-name-form")
    page.wait_for_selector("#phone-name-form:not([hidden]), #scanner[data-ready='1']", timeout=15000)
    if form.is_visible():
        page.fill("#phone-name", name)
        page.click("#phone-name-form button[type=submit]")


def ready_scanner(page, checkpoint_name="Main gate"):
    name_the_phone(page)
    expect(page.locator("#scanner")).to_have_attribute("data-ready", "1", timeout=15000)
    page.select_option("#checkpoint-select", label=checkpoint_name)
    expect(page.locator("#scan-area")).to_be_visible()
    return page


def wedge(page, code):
    """What a keyboard-wedge scanner does: types the code into the focused field, then Enter."""
    page.locator("#code-input").focus()
    page.keyboard.type(code, delay=0)
    page.keyboard.press("Enter")


def scans_in_db(app, pass_id):
    with app.app_context():
        return [(s.result, s.source, s.device_id.startswith("web-"))
                for s in db.session.scalars(sa.select(Scan).where(Scan.pass_id == pass_id).order_by(Scan.id))]


def test_a_wedged_code_is_admitted_green_with_the_name_then_amber(
    app, chromium, live_server, world, make_pass, staff_login
):
    made = make_pass(world.festival_id, name="Malee Srisuk", party=(("Ton", "child"), ("Fah", "child")))
    email, password = staff_login(world)
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        sign_in(page, live_server.url, email, password)
        page.wait_for_url("**/scan")
        ready_scanner(page)
        wedge(page, made.code)
        answer = page.locator("#answer")
        expect(answer).to_be_visible()
        expect(answer).to_have_attribute("data-result", "admitted")
        expect(answer).to_have_class("answer answer-green")
        expect(page.locator("#answer-name")).to_have_text("Malee Srisuk")
        expect(page.locator("#answer-party")).to_have_text("Party of 3")
        assert page.evaluate("getComputedStyle(document.getElementById('answer')).backgroundColor") == "rgb(31, 122, 61)"
        assert page.evaluate("parseFloat(getComputedStyle(document.getElementById('answer-name')).fontSize)") >= 28

        answer.click()  # tap to go on
        expect(answer).to_be_hidden()
        page.fill("#code-input", made.code)  # typed by hand, then the Check button
        page.click("#code-form button[type=submit]")
        expect(answer).to_have_attribute("data-result", "already_admitted")
        expect(answer).to_have_class("answer answer-amber")
        expect(page.locator("#answer-detail")).to_contain_text("First scanned at")
        assert scans_in_db(app, made.id) == [("admitted", "staff", True), ("already_admitted", "staff", True)]
        assert errors == []
    finally:
        context.close()


def test_a_tampered_code_is_red(app, chromium, live_server, world, make_pass, staff_login):
    made = make_pass(world.festival_id)
    email, password = staff_login(world)
    context = chromium.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, email, password)
        ready_scanner(page)
        wedge(page, tamper(made.code))
        expect(page.locator("#answer")).to_have_attribute("data-result", "invalid")
        expect(page.locator("#answer")).to_have_class("answer answer-red")
    finally:
        context.close()


def test_the_camera_reads_a_real_pass_qr_and_admits_it(
    app, camera_chromium, live_server, world, make_pass, staff_login, scanner_build
):
    made = make_pass(world.festival_id, name="Camera Visitor")
    email, password = staff_login(world)
    browser = camera_chromium(made.code)
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, email, password)
        ready_scanner(page)
        expect(page.locator("#scanner")).to_have_attribute("data-npm-bundle", "loaded")
        page.click("#camera-button")
        expect(page.locator("#answer")).to_have_attribute("data-result", "admitted", timeout=20000)
        expect(page.locator("#answer-name")).to_have_text("Camera Visitor")
        page.click("#camera-button")  # camera off
        assert scans_in_db(app, made.id) == [("admitted", "staff", True)]
    finally:
        context.close()


def test_offline_scans_are_queued_answered_from_the_bundle_and_synced_when_back_online(
    app, chromium, live_server, world, make_pass, staff_login, scanner_build
):
    first = make_pass(world.festival_id, name="Offline One")
    second = make_pass(world.festival_id, name="Offline Two", party=(("Kid", "child"),))
    email, password = staff_login(world)
    context = chromium.new_context(viewport=PHONE)
    # As on a browser without WebCrypto Ed25519: signatures are checked by @noble/ed25519 from the npm bundle.
    context.add_init_script(NO_WEBCRYPTO_ED25519)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, email, password)
        ready_scanner(page)
        expect(page.locator("#scanner")).to_have_attribute("data-store", "indexeddb")
        context.set_offline(True)
        expect(page.locator("#net-state")).to_have_text("Offline")

        wedge(page, first.code)
        expect(page.locator("#answer")).to_have_attribute("data-result", "admitted")
        expect(page.locator("#answer-name")).to_have_text("Offline One")
        expect(page.locator("#answer-detail")).to_contain_text("offline")
        wedge(page, second.code)
        expect(page.locator("#answer-name")).to_have_text("Offline Two")
        wedge(page, first.code)  # this phone remembers its own admits
        expect(page.locator("#answer")).to_have_attribute("data-result", "already_admitted")
        wedge(page, tamper(second.code))  # the signature is checked offline
        expect(page.locator("#answer")).to_have_attribute("data-result", "invalid")
        queue = page.locator("#queue-state")
        expect(queue).to_have_attribute("data-count", "4")
        expect(queue).to_have_text("4 waiting to upload")
        assert scans_in_db(app, first.id) == []  # nothing reached the server yet

        context.set_offline(False)
        expect(queue).to_have_attribute("data-count", "0", timeout=15000)
        expect(queue).to_be_hidden()
        assert scans_in_db(app, first.id) == [("admitted", "offline", True), ("already_admitted", "offline", True)]
        assert scans_in_db(app, second.id) == [("admitted", "offline", True)]
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Scan).where(Scan.result == "invalid")) == 1
    finally:
        context.close()


def test_without_the_npm_bundle_typed_codes_work_online_and_offline(
    app, chromium, live_server, world, make_pass, staff_login
):
    online, offline = make_pass(world.festival_id, name="Typed Online"), make_pass(world.festival_id, name="Typed Off")
    email, password = staff_login(world)
    context = chromium.new_context(viewport=PHONE)
    context.route("**/static/checkin/build/**", lambda route: route.abort())  # as if `npm run build` never ran
    page = context.new_page()
    try:
        sign_in(page, live_server.url, email, password)
        ready_scanner(page)
        expect(page.locator("#scanner")).to_have_attribute("data-npm-bundle", "missing")
        expect(page.locator("#scanner")).to_have_attribute("data-store", "localstorage")
        wedge(page, online.code)
        expect(page.locator("#answer-name")).to_have_text("Typed Online")
        context.set_offline(True)
        wedge(page, offline.code)  # verified with WebCrypto Ed25519
        expect(page.locator("#answer")).to_have_attribute("data-result", "admitted")
        expect(page.locator("#answer-name")).to_have_text("Typed Off")
        expect(page.locator("#queue-state")).to_have_attribute("data-count", "1")
        context.set_offline(False)
        expect(page.locator("#queue-state")).to_have_attribute("data-count", "0", timeout=15000)
        assert scans_in_db(app, offline.id) == [("admitted", "offline", True)]
        page.click("#camera-button")
        expect(page.locator("#camera-message")).to_contain_text("cannot read QR codes with the camera")
    finally:
        context.close()


def test_a_phone_paired_by_a_pairing_link_scans_without_a_password(app, chromium, live_server, client, world,
                                                                     make_pass):
    made = make_pass(world.festival_id, name="Paired Scan")
    pairing = client.post(f"/api/v1/festivals/{world.slug}/scanner-pairings", headers=world.organiser).get_json()
    context = chromium.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/scan?pair={pairing['pairing_code']}&lang=en")
        ready_scanner(page, "Booth A1")
        assert page.evaluate("location.search") == ""  # the one-time code leaves the address bar
        wedge(page, made.code)
        expect(page.locator("#answer")).to_have_attribute("data-result", "admitted")
        page.reload()
        ready_scanner(page, "Booth A1")  # the device token is remembered
        wedge(page, made.code)
        expect(page.locator("#answer")).to_have_attribute("data-result", "already_admitted")
    finally:
        context.close()


def test_an_unpaired_phone_is_asked_to_sign_in_or_pair(chromium, live_server):
    context = chromium.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/scan?lang=th")
        expect(page.locator("#needs-pairing")).to_be_visible()
        expect(page.locator("#needs-pairing")).to_contain_text("เข้าสู่ระบบ")
    finally:
        context.close()


def test_a_visitor_phone_at_a_booth_poster_collects_a_stamp(app, chromium, live_server, world, make_pass):
    made = make_pass(world.festival_id, name="Poster Visitor")
    with app.app_context(), app.test_request_context():
        code = poster_code(db.session.get(Checkpoint, world.booth_checkpoint_id))
    context = chromium.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        # First visit on this phone: it asks for the pass link once.
        page.goto(f"{live_server.url}/p/{code}?lang=en")
        expect(page.locator("#visit-form")).to_be_visible()
        page.fill("#visit-link", f"{live_server.url}/passes/{made.manage_token}")
        page.click("#visit-form button[type=submit]")
        expect(page.locator("#visit-answer")).to_have_attribute("data-result", "admitted")
        expect(page.locator("#visit-answer-title")).to_have_text("Stamp collected!")
        expect(page.locator("#visit-stamps")).to_have_text("1 of 2 stamps")
        stored = page.evaluate(f"localStorage.getItem('thetsakan.pass.{world.slug}')")
        assert stored == made.manage_token
        # Next time it knows the pass.
        page.goto(f"{live_server.url}/p/{code}?lang=en")
        expect(page.locator("#visit-answer")).to_have_attribute("data-result", "already_admitted")
        expect(page.locator("#visit-form")).to_be_hidden()
    finally:
        context.close()
    with app.app_context():
        assert db.session.scalars(sa.select(Scan.source).where(Scan.pass_id == made.id)).all() == ["poster", "poster"]
