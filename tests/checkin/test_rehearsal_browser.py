"""The scanner page the day before the festival, in Thai on a 390 px phone: a rehearsal answer says
so plainly, the phone does not remember it, and axe-core finds no WCAG 2.2 AA violation."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from app.database import db
from checkin.models import Checkpoint
from checkin.posters import poster_code
from events.models import Festival
from tests.accessibility import assert_accessible, new_context
from tests.checkin.conftest import sign_in
from tests.checkin.test_scanner_answers_accessible import assert_accessible_while_paused, scanner_context
from tests.checkin.test_scanner_page import ready_scanner, wedge

pytestmark = pytest.mark.browser


def test_the_scanner_shows_a_rehearsal_plainly_in_thai(app, chromium, live_server, world, make_pass, staff_login,
                                                       tmp_path):
    with app.app_context():
        # The festival opens tomorrow (in Bangkok): every scan made now is a rehearsal.
        festival = db.session.get(Festival, world.festival_id)
        festival.starts_on = (datetime.now(ZoneInfo("Asia/Bangkok")) + timedelta(days=1)).date()
        db.session.commit()
    made = make_pass(world.festival_id, name="มาลี ศรีสุข", party=(("ต้น", "child"),))
    email, password = staff_login(world)
    context, page, errors = scanner_context(chromium)
    try:
        sign_in(page, live_server.url, email, password)
        page.wait_for_url("**/scan")
        page.goto(f"{live_server.url}/scan?lang=th")
        ready_scanner(page)
        # The page's clock is Playwright's from here: paused while axe-core checks, the answer stays on screen.
        page.clock.install()
        wedge(page, made.code)
        answer = page.locator("#answer")
        expect(answer).to_have_attribute("data-result", "admitted")
        expect(answer).to_have_attribute("data-rehearsal", "true")
        banner = page.locator("#answer-rehearsal")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("ซ้อม")
        expect(banner).to_contain_text("ไม่นับ: วันนี้ไม่ใช่วันงาน")
        expect(page.locator("#answer-title")).to_have_text("ผ่าน")
        expect(page.locator("#last-answer")).to_contain_text("ซ้อม ไม่นับ")
        assert_accessible_while_paused(page, "(scanner, rehearsal answer, Thai, 390 px)")
        page.screenshot(path=str(tmp_path / "scan-rehearsal-th-390.png"))

        # A rehearsal admits nobody for real: the same pass is admitted again, still as a rehearsal.
        answer.click()
        expect(answer).to_be_hidden()
        wedge(page, made.code)
        expect(answer).to_have_attribute("data-result", "admitted")
        expect(answer).to_have_attribute("data-rehearsal", "true")

        # Offline, the phone answers from its bundle: a rehearsal too, and it remembers no admission.
        context.set_offline(True)
        expect(page.locator("#net-state")).to_have_text("ออฟไลน์")
        for _ in range(2):
            answer.click()
            expect(answer).to_be_hidden()
            wedge(page, made.code)
            expect(answer).to_have_attribute("data-result", "admitted")
            expect(answer).to_have_attribute("data-rehearsal", "true")
            expect(page.locator("#answer-rehearsal")).to_be_visible()
        assert errors == []
    finally:
        context.close()


def test_a_visitors_phone_at_a_booth_poster_the_day_before_says_it_does_not_count(
    app, chromium, live_server, world, make_pass, tmp_path
):
    with app.app_context(), app.test_request_context():
        festival = db.session.get(Festival, world.festival_id)
        festival.starts_on = (datetime.now(ZoneInfo("Asia/Bangkok")) + timedelta(days=1)).date()
        db.session.commit()
        code = poster_code(db.session.get(Checkpoint, world.booth_checkpoint_id))
    made = make_pass(world.festival_id, name="มาลี ศรีสุข")
    context = new_context(chromium)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/passes/{made.manage_token}")  # this phone remembers the pass
        page.goto(f"{live_server.url}/p/{code}")
        expect(page.locator("#visit-answer")).to_have_attribute("data-result", "admitted")
        expect(page.locator("#visit-rehearsal")).to_have_text("นี่คือการซ้อม: วันนี้ไม่ใช่วันงาน จึงไม่นับ")
        expect(page.locator("#visit-stamps")).to_contain_text("0")  # the stamp card did not move
        page.screenshot(path=str(tmp_path / "poster-rehearsal-th-390.png"), full_page=True)
        assert_accessible(page, "(poster visit, rehearsal, Thai, 390 px)")
    finally:
        context.close()
