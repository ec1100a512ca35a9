"""The whole visitor day in a real Chromium, in Thai on a 390 px phone, as a family lives it: the festival page and
its calendar links, signing up a family, booking by age, the waitlist, the promotion mail with its QR (from the real
SMTP server), the pass's own calendar, cancelling with a question first, a rehearsal scan the day before, the real
scan on the day and the stamp card. axe-core checks each state; no page shows an English sentence, a raw code or a
UTC or Gregorian date. Screenshots: /tmp/visitor_day/*.png.
"""
import io
import re
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import expect
from pyzbar.pyzbar import decode

from app.database import db
from checkin.models import Checkpoint
from checkin.posters import poster_code
from events.models import Festival
from registrations.models import Booking, Pass
from tests.accessibility import assert_accessible, new_context
from tests.checkin.conftest import make_booth, make_checkpoint, sign_in  # noqa: F401  (fixtures)
from tests.checkin.test_scanner_answers_accessible import KEEP_REAL_TIMERS, assert_accessible_while_paused
from tests.checkin.test_scanner_page import ready_scanner, wedge
from tests.language import english_fragments, problems, visible
from tests.workers.conftest import relay_ready, run_jobs, smtp  # noqa: F401  (fixtures)
from tests.workers.test_confirmation import inline_image

pytestmark = pytest.mark.browser

BANGKOK = ZoneInfo("Asia/Bangkok")
SHOTS = Path("/tmp/visitor_day")


def at(day, hour):
    return datetime.combine(day, time(hour), BANGKOK)


@pytest.fixture
def festival_tomorrow(app, client, make_city, make_festival, make_session, make_checkpoint, make_booth):  # noqa: F811
    """Bangkok's festival opens tomorrow (in Bangkok): a children's weaving workshop, an adults' talk whose one seat
    is taken, a gate and a booth with a stamp card of two."""
    today = datetime.now(BANGKOK).date()
    city_id = make_city()
    festival_id = make_festival(city_id, starts_on=today + timedelta(days=1), ends_on=today + timedelta(days=2),
                                allow_walk_ins=False, allow_self_checkin=True, stamp_goal=2)
    kids = make_session(festival_id, starts_at=at(today + timedelta(days=1), 10), capacity=6,
                        title_th="ทอผ้าสำหรับเด็ก", title_en="Weaving for children", age_groups=["child"])
    talk = make_session(festival_id, starts_at=at(today + timedelta(days=1), 13), capacity=1,
                        title_th="เสวนาเมืองแห่งการเรียนรู้", title_en="Learning city forum",
                        age_groups=["adult", "senior"])
    gate = make_checkpoint(festival_id, "gate", name="ประตูหลัก")
    booth = make_checkpoint(festival_id, "booth", name="บูธทอผ้า", booth_id=make_booth(festival_id))
    # Somebody else holds the talk's one seat.
    other = client.post("/api/v1/festivals/learning-city-days/passes", json={
        "name": "สมปอง มีสุข", "email": "sompong@example.org", "age_group": "adult", "party": [], "consent": True,
        "locale": "th"}).get_json()
    held = client.post(f"/api/v1/passes/{other['manage_token']}/bookings", json={"session_id": talk}).get_json()
    assert held["status"] == "confirmed"
    with app.app_context(), app.test_request_context():
        booth_code = poster_code(db.session.get(Checkpoint, booth))
    return dict(id=festival_id, city_id=city_id, slug="learning-city-days", kids=kids, talk=talk, gate=gate,
                booth_code=booth_code, other=other, held=held, today=today)


class Walk:
    """One phone's walk: each state is checked for language, checked by axe-core and photographed."""

    def __init__(self, page, name, fragments):
        self.page, self.name, self.fragments, self.seen = page, name, fragments, 0

    def check(self, state, paused=False):
        self.seen += 1
        leaks = problems(visible(self.page.content()), self.fragments)
        assert leaks == [], f"{state} ({self.page.url}): {leaks}"
        check = assert_accessible_while_paused if paused else assert_accessible
        check(self.page, f"({self.name}: {state}, Thai, 390 px)")
        self.page.screenshot(path=str(SHOTS / f"{self.name}-{self.seen:02d}-{state}.png"), full_page=not paused)


def test_a_family_lives_the_whole_festival_day_in_thai_on_a_phone(app, client, chromium, live_server, smtp,  # noqa: F811
                                                                  run_jobs, festival_tomorrow, make_user):  # noqa: F811
    fest = festival_tomorrow
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("*.png"):
        old.unlink()
    fragments = english_fragments()
    base = live_server.url
    visitor_context = new_context(chromium)
    page = visitor_context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    walk = Walk(page, "visitor", fragments)
    try:
        # The festival page: its programme, and its calendar over webcal:// and https (Android opens no webcal).
        page.goto(f"{base}/festivals/{fest['slug']}?lang=th")
        expect(page.locator("h1")).to_contain_text("วันเมืองแห่งการเรียนรู้")
        https_feed = page.locator("a[data-feed-https]").first
        expect(https_feed).to_have_attribute("href", re.compile(r"^http://127\.0\.0\.1:\d+/festivals/.+\.ics$"))
        expect(page.locator("a[href^='webcal://']").first).to_be_visible()
        feed = page.request.get(https_feed.get_attribute("href"))
        assert feed.ok and feed.headers["content-type"].startswith("text/calendar")
        assert "ทอผ้าสำหรับเด็ก" in feed.text().replace("\r\n ", "") and re.search(r"(?<!\r)\n", feed.text()) is None
        walk.check("festival")

        # A family signs up: a mother and her two children.
        page.goto(f"{base}/festivals/{fest['slug']}/signup?lang=th")
        page.fill("input[name=name]", "สมหญิง ใจดี")
        page.fill("input[name=email]", "somying@example.org")
        page.select_option("select[name=age_group]", "adult")
        page.click("[data-party-add]")  # the form opens with one member's row: one more
        expect(page.locator("input[name=party_name]")).to_have_count(2)
        for index, name in enumerate(("น้องฟ้า", "น้องต้น")):
            page.locator("input[name=party_name]").nth(index).fill(name)
            page.locator("select[name=party_age_group]").nth(index).select_option("child")
        page.check("input[name=consent]")
        walk.check("signup-filled")
        page.click("form button[type=submit]")
        page.wait_for_url("**/passes/**")
        token = page.url.split("/passes/", 1)[1].split("?")[0].split("/")[0]
        expect(page.locator("h1.rg-pass-name")).to_have_text("สมหญิง ใจดี")
        walk.check("pass")

        # Book by age: the children's workshop seats the two children, and the page says so before the tap.
        page.goto(f"{base}/sessions/{fest['kids']}/book?lang=th")
        expect(page.locator("[data-remembered]")).to_be_visible()
        walk.check("book-children")
        page.click("[data-book-form] button[type=submit]")
        page.wait_for_url(f"**/passes/{token}**")
        kids_booking = page.locator(f"article[data-status=confirmed]", has_text="ทอผ้าสำหรับเด็ก")
        expect(kids_booking).to_contain_text("2 ที่นั่ง")

        # The adults' talk is full: the mother alone joins its waitlist.
        page.goto(f"{base}/sessions/{fest['talk']}/book?lang=th")
        expect(page.locator("#book-title")).to_have_text("ต่อคิวรอ")
        walk.check("book-full-talk")
        page.click("[data-book-form] button[type=submit]")
        page.wait_for_url(f"**/passes/{token}**")
        expect(page.locator("article[data-status=waitlisted]", has_text="เสวนาเมืองแห่งการเรียนรู้")).to_contain_text(
            "1 ที่นั่ง")
        walk.check("pass-waitlisted")
        with app.app_context():
            pass_id = db.session.scalar(sa.select(Pass.id).where(Pass.email == "somying@example.org"))
            seats = dict(db.session.execute(sa.select(Booking.session_id, Booking.seats).where(Booking.pass_id == pass_id)).all())
            db.session.remove()
        assert seats == {fest["kids"]: 2, fest["talk"]: 1}

        # The seat holder cancels: the mother moves up at once, and a Thai mail brings her pass's QR.
        run_jobs()
        smtp.clear()
        gone = client.delete(f"/api/v1/passes/{fest['other']['manage_token']}/bookings/{fest['held']['id']}")
        assert gone.status_code in (200, 204), gone.get_data(as_text=True)
        run_jobs()
        [promoted] = [m for m in smtp.messages if m["To"].addresses[0].addr_spec == "somying@example.org"]
        assert "เสวนาเมืองแห่งการเรียนรู้" in str(promoted["Subject"])
        for part in ("plain", "html"):
            body = promoted.get_body(preferencelist=(part,)).get_content()
            assert problems(visible(body) if part == "html" else body, fragments) == [], part
        qr = inline_image(promoted)
        [symbol] = decode(Image.open(io.BytesIO(qr.get_payload(decode=True))))
        code = symbol.data.decode()
        page.reload()
        expect(page.locator("article[data-status=confirmed]", has_text="เสวนาเมืองแห่งการเรียนรู้")).to_be_visible()

        # The pass's own calendar: both bookings, CRLF lines.
        agenda = page.locator("a", has_text="ลิงก์ปฏิทินสำหรับแอปอื่น")
        # (an absolute link on the app's public address, which the test's live server is not)
        answer = page.request.get(base + "/" + agenda.get_attribute("href").split("/", 3)[3])
        assert answer.ok and answer.headers["content-type"].startswith("text/calendar")
        unfolded = answer.text().replace("\r\n ", "")  # RFC 5545 folds long lines
        assert "ทอผ้าสำหรับเด็ก" in unfolded and "เสวนาเมืองแห่งการเรียนรู้" in unfolded
        assert re.search(r"(?<!\r)\n", answer.text()) is None
        walk.check("pass-promoted")

        # Cancelling asks first, says it is final, then frees the seats.
        page.locator("article", has_text="ทอผ้าสำหรับเด็ก").locator("a.button.danger").click()
        page.wait_for_url(f"**/passes/{token}/bookings/*/cancel**")
        expect(page.locator("main")).to_contain_text("ยกเลิกแล้วย้อนกลับไม่ได้")
        walk.check("cancel-question")
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(f"**/passes/{token}**")
        expect(page.locator("article", has_text="ทอผ้าสำหรับเด็ก")).to_have_count(0)
        expect(page.locator("#bookings details summary")).to_contain_text("(1)")
        walk.check("pass-after-cancel")

        # The day before: a staff phone tries the scanner with the QR from the mail. A rehearsal, and said so.
        email, password = "gate.staff@example.org", "gate-pass-2027"
        make_user("staff", fest["city_id"], password=password, email=email)
        staff_context = new_context(chromium)
        staff_context.add_init_script(KEEP_REAL_TIMERS)
        staff = staff_context.new_page()
        staff.on("pageerror", lambda error: errors.append(str(error)))
        desk = Walk(staff, "scanner", fragments)
        sign_in(staff, base, email, password)
        staff.wait_for_url("**/scan")
        staff.goto(f"{base}/scan?lang=th")
        ready_scanner(staff, "ประตูหลัก")
        staff.clock.install()
        wedge(staff, code)
        shown = staff.locator("#answer")
        expect(shown).to_have_attribute("data-result", "admitted")
        expect(shown).to_have_attribute("data-rehearsal", "true")
        expect(staff.locator("#answer-rehearsal")).to_be_visible()
        expect(staff.locator("#answer-name")).to_have_text("สมหญิง ใจดี")
        desk.check("rehearsal", paused=True)
        shown.click()
        expect(shown).to_be_hidden()

        # The festival's day (its first day brought forward to today): the same QR is admitted for real.
        with app.app_context():
            festival = db.session.get(Festival, fest["id"])
            festival.starts_on = fest["today"]
            db.session.commit()
            db.session.remove()
        wedge(staff, code)
        expect(shown).to_have_attribute("data-result", "admitted")
        expect(shown).to_have_attribute("data-rehearsal", "false")
        expect(staff.locator("#answer-party")).to_have_text("3 คน")
        desk.check("admitted", paused=True)
        staff_context.close()

        # At the weaving booth the mother's phone opens the poster's QR: a stamp on her card.
        page.goto(f"{base}/p/{fest['booth_code']}?lang=th")
        expect(page.locator("#visit-answer")).to_have_attribute("data-result", "admitted")
        expect(page.locator("#visit-stamps")).to_contain_text("1")
        walk.check("booth-stamp")
        page.goto(f"{base}/passes/{token}?lang=th")
        card = page.locator("section[data-fragment$='/stamp-card']")
        expect(card).to_be_visible()
        expect(card).to_contain_text("1")
        walk.check("pass-stamp-card")
        assert errors == []
    finally:
        visitor_context.close()
