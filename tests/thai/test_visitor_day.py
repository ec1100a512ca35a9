"""The whole visitor day in a real Chromium, as a family lives it, three times: in Thai on a 390 px phone, in Thai on
a 1280 px desktop and in English on a desktop (chosen with the page's own language switch). The festival page and its
calendar links, signing up a family, booking by age, the waitlist, the mails that arrive (confirmation, waitlisted,
promoted with its QR, from the real SMTP server), the pass's own calendar, cancelling with a question first, a
rehearsal scan the day before, the real scan on the day and the stamp card. Each state is checked by axe-core and
read in its language (tests/language.py): no English sentence, raw code, UTC or Gregorian date on a Thai page, no Thai
catalogue text or raw code on an English one. Screenshots: /tmp/visitor_day/<walk>/*.png.
"""
import io
import re
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from babel.dates import format_date
from PIL import Image
from playwright.sync_api import expect
from pyzbar.pyzbar import decode

from app.database import db
from checkin.models import Checkpoint
from checkin.posters import poster_code
from events.models import Festival
from registrations.models import Booking, Pass
from tests.accessibility import DESKTOP, PHONE, assert_accessible, new_context
from tests.checkin.conftest import make_booth, make_checkpoint  # noqa: F401  (fixtures)
from tests.checkin.test_scanner_answers_accessible import KEEP_REAL_TIMERS, assert_accessible_while_paused
from tests.checkin.test_scanner_page import ready_scanner, wedge
from tests.language import assert_reads_in, english_fragments, english_problems, problems, visible
from tests.workers.conftest import relay_ready, run_jobs, smtp  # noqa: F401  (fixtures)
from tests.workers.test_confirmation import inline_image

pytestmark = pytest.mark.browser

BANGKOK = ZoneInfo("Asia/Bangkok")
SHOTS = Path("/tmp/visitor_day")
# What the organisers typed in one language only (checkpoints have one name): shown as given on an English page.
ORGANISERS_THAI = ("ประตูหลัก", "บูธทอผ้า")

# The words a person looks for, per language: what they type and what the pages and mails say back.
WORDS = {
    "th": dict(
        festival="วันเมืองแห่งการเรียนรู้", kids="ทอผ้าสำหรับเด็ก", talk="เสวนาเมืองแห่งการเรียนรู้",
        mother="สมหญิง ใจดี", email="somying@example.org", children=("น้องฟ้า", "น้องต้น"),
        two_seats="2 ที่นั่ง", one_seat="1 ที่นั่ง", waitlist="ต่อคิวรอ", agenda="ลิงก์ปฏิทินสำหรับแอปอื่น",
        final="ยกเลิกแล้วย้อนกลับไม่ได้", party="3 คน", seats_left="เหลือ %d ที่นั่ง",
    ),
    "en": dict(
        festival="Learning City Days", kids="Weaving for children", talk="Learning city forum",
        mother="Sarah Miller", email="sarah.miller@example.org", children=("Emma", "Leo"),
        two_seats="2 seats", one_seat="1 seat", waitlist="Join the waitlist", agenda="Calendar link for other apps",
        final="This cannot be undone.", party="Party of 3", seats_left="%d seats left",
    ),
}

WALKS = [
    pytest.param("th", PHONE, id="thai-phone"),
    pytest.param("th", DESKTOP, id="thai-desktop"),
    pytest.param("en", DESKTOP, id="english-desktop"),
]


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


# A select narrower than its chosen option cuts the word off ("Children (und"): the option's text, measured in the
# select's own font, must fit inside it beside the arrow (about 20 px).
CLIPPED_SELECTS = """() => {
    const canvas = document.createElement('canvas').getContext('2d');
    return [...document.querySelectorAll('select')].filter(s => s.offsetParent !== null).flatMap(s => {
        const style = getComputedStyle(s);
        canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
        const text = s.options[s.selectedIndex] ? s.options[s.selectedIndex].text : '';
        const room = s.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 20;
        return canvas.measureText(text).width > room ? [`${s.name}: "${text}" in ${Math.round(room)} px`] : [];
    });
}"""


class Walk:
    """One browser's walk: each state is read in its language, checked by axe-core and photographed."""

    def __init__(self, page, name, lang, viewport, data=()):
        self.page, self.name, self.lang, self.data, self.seen = page, name, lang, data, 0
        self.label = f"{'Thai' if lang == 'th' else 'English'}, {viewport['width']} px"
        self.folder = SHOTS / walk_name(lang, viewport)

    def check(self, state, paused=False):
        self.seen += 1
        expect(self.page.locator("html")).to_have_attribute("lang", self.lang)
        assert_reads_in(self.page, self.lang, data=self.data)
        assert self.page.evaluate(CLIPPED_SELECTS) == [], f"{state} ({self.label}): a select cuts its option off"
        check = assert_accessible_while_paused if paused else assert_accessible
        check(self.page, f"({self.name}: {state}, {self.label})")
        self.page.screenshot(path=str(self.folder / f"{self.name}-{self.seen:02d}-{state}.png"), full_page=not paused)


def walk_name(lang, viewport):
    return f"{'thai' if lang == 'th' else 'english'}-{'phone' if viewport['width'] < 600 else 'desktop'}"


def mails_to(smtp, address):  # noqa: F811
    return [m for m in smtp.messages if m["To"].addresses[0].addr_spec == address]


def read_mail(message, lang, folder, data=()):
    """Subject, plain text and HTML of a mail, each read wholly in `lang`; kept beside the screenshots."""
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f'<html lang="{lang}">' in html, message["Subject"]
    texts = {"subject": str(message["Subject"]), "plain": message.get_body(preferencelist=("plain",)).get_content(),
             "html": visible(html)}
    for part, text in texts.items():
        found = english_problems(text, data) if lang == "en" else problems(text, english_fragments(), data)
        assert found == [], f"mail {texts['subject']!r} ({part}) does not read in {lang}: {found}"
    number = len(list(folder.glob("mail-*.txt"))) + 1
    (folder / f"mail-{number:02d}.txt").write_text(f"Subject: {texts['subject']}\n\n{texts['plain']}", encoding="utf-8")
    return texts


def session_day(day, lang):
    """How a mail names a session's day: 4 ธันวาคม 2569 in Thai (Buddhist Era), Friday 4 December 2026 in English."""
    if lang == "th":
        return f"{format_date(day, 'd MMMM', locale='th')} {day.year + 543}"
    return format_date(day, "EEEE d MMMM y", locale="en")


def assert_session_time(texts, day, hours):
    """The session's day and its hours in Bangkok, in both parts of the mail, and never UTC's hours."""
    for part in ("plain", "html"):
        assert day in texts[part], (texts["subject"], part, day)
        assert hours in texts[part], (texts["subject"], part, hours)
    utc = {"10:00–11:00": "03:00", "13:00–14:00": "06:00"}[hours]
    assert utc not in texts["plain"] + texts["html"], (texts["subject"], "UTC hours")


@pytest.mark.parametrize("lang,viewport", WALKS)
def test_a_family_lives_the_whole_festival_day(app, client, chromium, live_server, smtp, run_jobs,  # noqa: F811
                                              festival_tomorrow, make_user, lang, viewport):
    fest, words = festival_tomorrow, WORDS[lang]
    data = ORGANISERS_THAI if lang == "en" else ()
    folder = SHOTS / walk_name(lang, viewport)
    folder.mkdir(parents=True, exist_ok=True)
    for old in [*folder.glob("*.png"), *folder.glob("*.txt"), *SHOTS.glob("*.png")]:
        old.unlink()
    base = live_server.url
    # The English visitor's browser speaks Thai (a desktop in a Bangkok library): the page opens in Thai, and the
    # person picks English with the page's own switch; every page after remembers the choice.
    visitor_context = new_context(chromium, viewport=viewport, locale="th-TH")
    page = visitor_context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    walk = Walk(page, "visitor", lang, viewport, data)
    try:
        # The festival page: its programme, and its calendar over webcal:// and https (Android opens no webcal).
        if lang == "th":
            page.goto(f"{base}/festivals/{fest['slug']}?lang=th")
        else:
            page.goto(f"{base}/festivals/{fest['slug']}")
            expect(page.locator("html")).to_have_attribute("lang", "th")
            page.locator(".langs a[hreflang=en]").click()
            page.wait_for_url("**lang=en")
            expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator("h1")).to_contain_text(words["festival"])
        kids_seats = page.locator("p.ev-book", has=page.locator(f"a[href='/sessions/{fest['kids']}/book']")).locator(
            ".ev-seats")
        expect(kids_seats).to_have_text(words["seats_left"] % 6)
        https_feed = page.locator("a[data-feed-https]").first
        expect(https_feed).to_have_attribute("href", re.compile(r"^http://127\.0\.0\.1:\d+/festivals/.+\.ics$"))
        expect(page.locator("a[href^='webcal://']").first).to_be_visible()
        feed = page.request.get(https_feed.get_attribute("href"))
        assert feed.ok and feed.headers["content-type"].startswith("text/calendar")
        assert words["kids"] in feed.text().replace("\r\n ", "") and re.search(r"(?<!\r)\n", feed.text()) is None
        walk.check("festival")

        # A family signs up: a mother and her two children.
        page.locator(f"a[href='/festivals/{fest['slug']}/signup']").click()
        page.wait_for_url("**/signup**")
        page.fill("input[name=name]", words["mother"])
        page.fill("input[name=email]", words["email"])
        page.select_option("select[name=age_group]", "adult")
        page.click("[data-party-add]")  # the form opens with one member's row: one more
        expect(page.locator("input[name=party_name]")).to_have_count(2)
        for index, name in enumerate(words["children"]):
            page.locator("input[name=party_name]").nth(index).fill(name)
            page.locator("select[name=party_age_group]").nth(index).select_option("child")
        page.check("input[name=consent]")
        walk.check("signup-filled")
        page.click("form button[type=submit]")
        page.wait_for_url("**/passes/**")
        token = page.url.split("/passes/", 1)[1].split("?")[0].split("/")[0]
        expect(page.locator("h1.rg-pass-name")).to_have_text(words["mother"])
        walk.check("pass")

        # Book by age from the programme: the children's workshop seats the two children, and the page says so
        # before the tap.
        page.locator(f"#bookings a[href='/festivals/{fest['slug']}']").click()
        page.wait_for_url(f"**/festivals/{fest['slug']}")
        expect(kids_seats).to_have_text(words["seats_left"] % 6)
        page.locator(f"a[href='/sessions/{fest['kids']}/book']").click()
        page.wait_for_url(f"**/sessions/{fest['kids']}/book**")
        expect(page.locator("[data-remembered]")).to_be_visible()
        walk.check("book-children")
        page.click("[data-book-form] button[type=submit]")
        page.wait_for_url(f"**/passes/{token}**")
        kids_booking = page.locator("article[data-status=confirmed]", has_text=words["kids"])
        expect(kids_booking).to_contain_text(words["two_seats"])

        # The adults' talk is full: the mother alone joins its waitlist. On the way, the programme (kept
        # rendered, and sent gzipped to a browser) already counts the children's two seats.
        with page.expect_navigation() as programme:
            page.locator(f"#bookings a[href='/festivals/{fest['slug']}']").click()
        page.wait_for_url(f"**/festivals/{fest['slug']}")
        assert programme.value.headers.get("content-encoding") == "gzip"
        expect(kids_seats).to_have_text(words["seats_left"] % 4)
        walk.check("programme-after-booking")
        page.locator(f"a[href='/sessions/{fest['talk']}/book']").click()
        page.wait_for_url(f"**/sessions/{fest['talk']}/book**")
        expect(page.locator("#book-title")).to_have_text(words["waitlist"])
        walk.check("book-full-talk")
        page.click("[data-book-form] button[type=submit]")
        page.wait_for_url(f"**/passes/{token}**")
        expect(page.locator("article[data-status=waitlisted]", has_text=words["talk"])).to_contain_text(
            words["one_seat"])
        walk.check("pass-waitlisted")
        with app.app_context():
            pass_id, locale = db.session.execute(
                sa.select(Pass.id, Pass.locale).where(Pass.email == words["email"])).one()
            seats = dict(db.session.execute(sa.select(Booking.session_id, Booking.seats).where(Booking.pass_id == pass_id)).all())
            db.session.remove()
        assert seats == {fest["kids"]: 2, fest["talk"]: 1}
        assert locale == lang

        # The mails so far: the pass, the children's seats and the waitlist, each in her language, each naming
        # the session's day and hour in Bangkok (10:00 and 13:00, not UTC's 03:00 and 06:00).
        run_jobs()
        arrived = mails_to(smtp, words["email"])
        assert len(arrived) == 3, [str(m["Subject"]) for m in arrived]
        texts = {str(m["Subject"]): read_mail(m, lang, folder, data) for m in arrived}
        [kids_mail] = [t for subject, t in texts.items() if words["kids"] in subject]
        [talk_mail] = [t for subject, t in texts.items() if words["talk"] in subject]
        [pass_mail] = [t for subject, t in texts.items() if t not in (kids_mail, talk_mail)]
        # The festival's dates: Buddhist Era in Thai, Gregorian (and never Buddhist Era) in English.
        tomorrow = fest["today"] + timedelta(days=1)
        day = session_day(tomorrow, lang)
        be, ce = str(tomorrow.year + 543), str(tomorrow.year)
        assert (be if lang == "th" else ce) in pass_mail["plain"]
        if lang == "en":
            assert not any(be in t["plain"] + t["html"] for t in texts.values())
        assert_session_time(kids_mail, day, "10:00–11:00")
        assert_session_time(talk_mail, day, "13:00–14:00")

        # The seat holder cancels: the mother moves up at once, and a mail in her language brings her pass's QR.
        smtp.clear()
        gone = client.delete(f"/api/v1/passes/{fest['other']['manage_token']}/bookings/{fest['held']['id']}")
        assert gone.status_code in (200, 204), gone.get_data(as_text=True)
        run_jobs()
        [promoted] = mails_to(smtp, words["email"])
        assert words["talk"] in str(promoted["Subject"])
        assert_session_time(read_mail(promoted, lang, folder, data), day, "13:00–14:00")
        qr = inline_image(promoted)
        [symbol] = decode(Image.open(io.BytesIO(qr.get_payload(decode=True))))
        code = symbol.data.decode()
        page.reload()
        expect(page.locator("article[data-status=confirmed]", has_text=words["talk"])).to_be_visible()

        # The pass's own calendar: both bookings, CRLF lines.
        agenda = page.locator("a", has_text=words["agenda"])
        # (an absolute link on the app's public address, which the test's live server is not)
        answer = page.request.get(base + "/" + agenda.get_attribute("href").split("/", 3)[3])
        assert answer.ok and answer.headers["content-type"].startswith("text/calendar")
        unfolded = answer.text().replace("\r\n ", "")  # RFC 5545 folds long lines
        assert words["kids"] in unfolded and words["talk"] in unfolded
        assert re.search(r"(?<!\r)\n", answer.text()) is None
        walk.check("pass-promoted")

        # Cancelling asks first, says it is final, then frees the seats.
        page.locator("article", has_text=words["kids"]).locator("a.button.danger").click()
        page.wait_for_url(f"**/passes/{token}/bookings/*/cancel**")
        expect(page.locator("main")).to_contain_text(words["final"])
        walk.check("cancel-question")
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(f"**/passes/{token}**")
        expect(page.locator("article", has_text=words["kids"])).to_have_count(0)
        expect(page.locator("#bookings details summary")).to_contain_text("(1)")
        walk.check("pass-after-cancel")

        # The day before: a staff browser tries the scanner with the QR from the mail. A rehearsal, and said so.
        email, password = "gate.staff@example.org", "gate-pass-2027"
        make_user("staff", fest["city_id"], password=password, email=email)
        # (the desktop's browser speaks English whatever the page's language: the page's language must win)
        staff_context = new_context(chromium, viewport=viewport, locale="th-TH" if viewport is PHONE else "en-US")
        staff_context.add_init_script(KEEP_REAL_TIMERS)
        staff = staff_context.new_page()
        staff.on("pageerror", lambda error: errors.append(str(error)))
        desk = Walk(staff, "scanner", lang, viewport, data)
        staff.goto(f"{base}/login?next=/scan&lang={lang}")
        staff.fill("input[name=email]", email)
        staff.fill("input[name=password]", password)
        desk.check("sign-in")
        staff.click("button[type=submit]")
        staff.wait_for_url("**/scan")
        ready_scanner(staff, "ประตูหลัก")
        # When the offline data was fetched, on the app's 24-hour clock whatever the browser's language
        expect(staff.locator("#bundle-state")).to_have_text(re.compile(r"(?<!\d)([01]\d|2[0-3]):[0-5]\d$"))
        desk.check("ready")
        staff.clock.install()
        wedge(staff, code)
        shown = staff.locator("#answer")
        expect(shown).to_have_attribute("data-result", "admitted")
        expect(shown).to_have_attribute("data-rehearsal", "true")
        expect(staff.locator("#answer-rehearsal")).to_be_visible()
        expect(staff.locator("#answer-name")).to_have_text(words["mother"])
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
        expect(staff.locator("#answer-party")).to_have_text(words["party"])
        desk.check("admitted", paused=True)
        staff_context.close()

        # At the weaving booth the mother's phone opens the poster's QR: a stamp on her card.
        page.goto(f"{base}/p/{fest['booth_code']}" + ("?lang=th" if lang == "th" else ""))
        expect(page.locator("#visit-answer")).to_have_attribute("data-result", "admitted")
        expect(page.locator("#visit-stamps")).to_contain_text("1")
        walk.check("booth-stamp")
        page.locator("#visit-pass-link").click()
        page.wait_for_url(f"**/passes/{token}**")
        card = page.locator("section[data-fragment$='/stamp-card']")
        expect(card).to_be_visible()
        expect(card).to_contain_text("1")
        walk.check("pass-stamp-card")
        assert errors == []
    finally:
        visitor_context.close()
