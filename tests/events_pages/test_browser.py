"""The programme on a phone, in a real browser: it fits the screen, and the tabs and filters work."""
from datetime import date

import pytest
import sqlalchemy as sa

from app.database import db
from events.importing import programme as programme_import
from events.models import Booth, ProgrammeImport
from tests.events_pages.test_import_pages import BAD, GOOD, large_file

PHONE = {"width": 390, "height": 844}
FITS = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.mark.browser
def test_programme_on_a_phone_fits_and_its_tabs_and_filters_work(app, chromium, live_server, programme, make_festival):
    make_festival(programme.city_id, slug="bangkok-2099", name_th="มหกรรมการเรียนรู้ตลอดชีวิตกรุงเทพมหานคร 2642",
                  name_en="Bangkok Lifelong Learning Fair 2099", starts_on=date(2099, 1, 10), ends_on=date(2099, 1, 11))
    with app.app_context():
        db.session.add(Booth(festival_id=programme.festival_id, code="A12", name_th="บูธทีเคพาร์ค: ห้องสมุดมีชีวิต",
                             name_en="TK Park: a living library", exhibitor="TK Park",
                             themes=["learning-technologies"], age_groups=["child", "teen"]))
        db.session.commit()
    context = chromium.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/festivals/{programme.slug}?lang=th")
        assert "วันเมืองแห่งการเรียนรู้ 2642" in page.title()
        assert page.locator("h2.ev-day-heading").inner_text() == "วันเสาร์ที่ 22 สิงหาคม 2642"
        assert page.locator(f"#session-{programme.weaving} .ev-session-time").inner_text().startswith("10:00–11:00")
        page.screenshot(path="/tmp/programme-phone-th.png", full_page=True)
        assert page.evaluate(FITS)

        # the second day's tab
        page.locator(".ev-days a").nth(1).click()
        page.wait_for_url("**day=2099-08-23**")
        assert page.locator(".ev-session-title").all_inner_texts() == ["ปาฐกถาการเรียนรู้ตลอดชีวิต"]
        assert page.evaluate(FITS)

        # back to the first day, filter by a kind through the chips
        page.locator(".ev-days a").nth(0).click()
        page.wait_for_url("**day=2099-08-22**")
        page.locator(".ev-filters summary").click()
        page.screenshot(path="/tmp/programme-phone-th-filters.png", full_page=False)
        page.locator('[data-filter="kind=workshop"]').click()
        page.wait_for_url("**kind=workshop**")
        assert sorted(page.locator(".ev-session-title").all_inner_texts()) == sorted(
            ["เวิร์กช็อปทอผ้าสำหรับเด็ก", "เขียนโค้ดกับหุ่นยนต์"])
        page.locator('[data-filter="age_group=child"]').click()
        page.wait_for_url("**age_group=child**")
        assert page.locator(".ev-session-title").all_inner_texts() == ["เวิร์กช็อปทอผ้าสำหรับเด็ก"]
        assert page.evaluate(FITS)

        # by stage, in English
        page.goto(f"{live_server.url}/festivals/{programme.slug}?lang=en&view=stage")
        assert page.locator(".ev-stage-name").all_inner_texts()[0].startswith("Main stage")
        page.screenshot(path="/tmp/programme-phone-en-stage.png", full_page=True)
        assert page.evaluate(FITS)

        page.goto(f"{live_server.url}/?lang=th")
        page.screenshot(path="/tmp/festivals-phone-th.png", full_page=True)
        assert page.locator(".ev-festival h3").all_inner_texts() == [
            "มหกรรมการเรียนรู้ตลอดชีวิตกรุงเทพมหานคร 2642", "วันเมืองแห่งการเรียนรู้ 2642"]
        assert page.evaluate(FITS)
    finally:
        context.close()


@pytest.mark.browser
def test_import_page_checks_applies_and_follows_a_large_file_in_the_browser(app, chromium, live_server, programme, make_user):
    make_user("organiser", programme.city_id, password="pw-import-1", email="importer@example.org")
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/login?lang=en")
        page.fill("input[name=email]", "importer@example.org")
        page.fill("input[name=password]", "pw-import-1")
        page.click("button[type=submit]")
        page.wait_for_url("**/organiser/")
        page.goto(f"{live_server.url}/organiser/festivals/{programme.slug}/import?lang=en")

        def choose(text, name="programme.csv"):
            page.set_input_files("input[type=file]", files=[{"name": name, "mimeType": "text/csv", "buffer": text.encode()}])

        choose(BAD)
        page.click("button[value=check]")
        page.wait_for_selector(".cn-import-errors")
        rows = page.locator(".cn-import-errors tbody tr td:first-child").all_inner_texts()
        assert {"3", "4", "5"} <= set(rows) and "2" not in rows
        assert page.url.endswith("/import?lang=en")  # the page stayed: the script posted the form
        page.screenshot(path="/tmp/import-phone-errors.png", full_page=True)
        assert page.evaluate(FITS)

        choose(GOOD)
        page.click("button[value=check]")
        page.wait_for_selector("text=The file is ready to import")
        page.click("[data-apply]")
        page.wait_for_selector("text=2 sessions added.")

        choose(large_file(230), "big.csv")
        page.click("button[value=apply]")
        page.wait_for_selector("#import-progress:not([hidden])")
        with app.app_context():
            job_id = db.session.scalar(sa.select(sa.func.max(ProgrammeImport.id)))
            programme_import.run_import(job_id)
        page.wait_for_selector("text=230 sessions added.", timeout=15_000)
        assert page.locator("#import-progress").is_hidden()
    finally:
        context.close()
