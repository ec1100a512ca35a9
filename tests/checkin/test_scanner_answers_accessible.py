"""Every answer the scanner page can give, in Thai on a 390 px phone, checked by axe-core (WCAG 2.2 AA) while it is
on screen: admitted, already admitted, refused (not a pass, cancelled, another festival's, no booking, waitlisted),
offline answers and the queue waiting to upload, and a rehearsal."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from app.database import db
from events.models import Festival
from tests.accessibility import assert_accessible, new_context
from tests.checkin.conftest import sign_in, tamper
from tests.checkin.test_scanner_page import ready_scanner, wedge

pytestmark = pytest.mark.browser

# The page's own timers, kept before Playwright's clock replaces them: axe-core waits on timers of its own.
KEEP_REAL_TIMERS = """
window.__realTimers = {setTimeout: window.setTimeout, clearTimeout: window.clearTimeout,
                       setInterval: window.setInterval, clearInterval: window.clearInterval};
"""


def scanner_context(chromium):
    """A phone's browser context for the scanner page: real timers kept for axe-core, page errors collected."""
    context = new_context(chromium)
    context.add_init_script(KEEP_REAL_TIMERS)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, errors


def assert_accessible_while_paused(page, state):
    """axe-core on the page as it stands, with the page's clock paused: an answer that hides itself after a few
    seconds stays on screen however slow the machine, while axe-core runs on real timers."""
    # Just ahead of the page's clock, so that no timer of the answer fires on the way; on a loaded machine
    # that moment may have passed before Playwright gets there ("cannot fast-forward to the past"): read again.
    for attempt in range(10):
        try:
            page.clock.pause_at(datetime.fromtimestamp(page.evaluate("Date.now()") / 1000 + 0.05, timezone.utc))
            break
        except PlaywrightError as error:
            if "to the past" not in str(error) or attempt == 9:
                raise
    page.evaluate("window.__fakeTimers = {}; for (const k in window.__realTimers) {"
                  " window.__fakeTimers[k] = window[k]; window[k] = window.__realTimers[k]; }")
    try:
        assert_accessible(page, state)
    finally:
        page.evaluate("Object.assign(window, window.__fakeTimers)")
        page.clock.resume()


def test_each_scan_answer_is_accessible_in_thai_on_a_phone(app, chromium, live_server, world, make_pass, make_booking,
                                                           make_city, make_festival, staff_login, scanner_build, tmp_path):
    malee = make_pass(world.festival_id, name="มาลี ศรีสุข", party=(("ต้น", "child"), ("ฟ้า", "child")))
    cancelled = make_pass(world.festival_id, name="สมศรี ยกเลิก", status="cancelled")
    chiang_mai = make_city("chiang-mai", "เชียงใหม่", "Chiang Mai")
    elsewhere = make_pass(make_festival(chiang_mai, slug="chiang-mai-days"), name="ผู้มาจากงานอื่น")
    waiting = make_pass(world.festival_id, name="วิไล รอคิว")
    make_booking(waiting.id, world.session_id, status="waitlisted")
    offline_one = make_pass(world.festival_id, name="อรุณ ออฟไลน์")
    email, password = staff_login(world)
    context, page, errors = scanner_context(chromium)
    answer = page.locator("#answer")

    def answered(code, result, state, colour):
        if answer.is_visible():
            answer.click()  # tap to go on
            expect(answer).to_be_hidden()
        wedge(page, code)
        expect(answer).to_have_attribute("data-result", result)
        expect(answer).to_have_class(f"answer answer-{colour}")
        expect(answer).to_be_visible()
        assert_accessible_while_paused(page, f"(scanner, answer {state}, Thai, 390 px)")
        page.screenshot(path=str(tmp_path / f"scan-{state}-th-390.png"))

    try:
        sign_in(page, live_server.url, email, password)
        page.wait_for_url("**/scan")
        page.goto(f"{live_server.url}/scan?lang=th")
        ready_scanner(page)
        expect(page.locator("#scanner")).to_have_attribute("data-store", "indexeddb")
        assert_accessible(page, "(scanner ready at the gate, Thai, 390 px)")
        page.clock.install()  # time flows on, until each answer is checked

        answered(malee.code, "admitted", "admitted", "green")
        expect(page.locator("#answer-title")).to_have_text("ผ่าน")
        answered(malee.code, "already_admitted", "already-admitted", "amber")
        answered(tamper(malee.code), "invalid", "invalid", "red")
        answered(cancelled.code, "cancelled", "cancelled", "red")
        answered(elsewhere.code, "wrong_festival", "wrong-festival", "red")

        answer.click()
        page.select_option("#checkpoint-select", label="Workshop door")
        answered(offline_one.code, "not_booked", "not-booked", "red")
        answered(waiting.code, "waitlisted", "waitlisted", "amber")

        answer.click()
        page.select_option("#checkpoint-select", label="Main gate")
        context.set_offline(True)
        expect(page.locator("#net-state")).to_have_text("ออฟไลน์")
        answered(offline_one.code, "admitted", "offline-admitted", "green")
        expect(page.locator("#answer-name")).to_have_text("อรุณ ออฟไลน์")
        # A pass made after this phone took its offline data: admitted on its signature, its name unknown.
        late = make_pass(world.festival_id, name="มาทีหลัง")
        answered(late.code, "admitted", "offline-unknown-visitor", "green")
        answered(late.code, "already_admitted", "offline-already-admitted", "amber")
        answer.click()
        expect(answer).to_be_hidden()
        queue = page.locator("#queue-state")
        expect(queue).to_have_attribute("data-count", "3")
        expect(queue).to_be_visible()
        page.screenshot(path=str(tmp_path / "scan-offline-queue-th-390.png"))
        assert_accessible(page, "(scanner offline, three scans waiting to upload, Thai, 390 px)")
        context.set_offline(False)
        expect(queue).to_have_attribute("data-count", "0", timeout=15000)

        with app.app_context():
            # The festival now opens tomorrow (in Bangkok): the server answers every scan as a rehearsal.
            festival = db.session.get(Festival, world.festival_id)
            festival.starts_on = (datetime.now(ZoneInfo("Asia/Bangkok")) + timedelta(days=1)).date()
            db.session.commit()
        answered(malee.code, "admitted", "rehearsal", "green")
        expect(answer).to_have_attribute("data-rehearsal", "true")
        assert errors == []
    finally:
        context.close()
