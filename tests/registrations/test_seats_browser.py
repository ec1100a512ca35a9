"""In Thai on a 390 px phone: the booking pages say who the seats are for before the visitor taps
Book, and axe-core finds no WCAG 2.2 AA violation on them."""
import pytest
from playwright.sync_api import expect

from tests.accessibility import assert_accessible, new_context
from tests.registrations.conftest import FUTURE, session_counters

pytestmark = pytest.mark.browser

FAMILY = [{"name": "น้องฝน", "age_group": "child"}, {"name": "น้องฟ้า", "age_group": "child"},
          {"name": "คุณยาย", "age_group": "senior"}]


def test_a_thai_family_sees_whose_seats_it_books_in_a_childrens_workshop(
    app, live_server, chromium, festival, sign_up, workshop, tmp_path
):
    session_id = workshop(capacity=6, age_groups=["child"], adult_takes_seat=True,
                          title_th="ระบายสีร่มบ่อสร้าง", title_en="Bo Sang umbrella painting")
    family = sign_up(name="ชไมพร แก้วใส", party=FAMILY)
    context = new_context(chromium)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        # The programme's Book link: the booking page states the rule above the Book button.
        page.goto(f"{live_server.url}/passes/{family['manage_token']}")  # this phone remembers the pass
        page.goto(f"{live_server.url}/sessions/{session_id}/book")
        rule = page.locator("[data-book-form] [data-seat-rule]")
        expect(rule).to_contain_text("ที่นั่งสำหรับผู้ที่อยู่ในบัตรของคุณซึ่งเป็น")
        expect(rule).to_contain_text("เด็ก (ต่ำกว่า 13 ปี)")
        expect(rule).to_contain_text("ผู้ใหญ่หนึ่งคนที่พาเด็กมาจะได้ที่นั่งด้วย")
        rule_box, button_box = rule.bounding_box(), page.locator("[data-book-form] button[type=submit]").bounding_box()
        assert rule_box["y"] + rule_box["height"] <= button_box["y"]  # read before the button
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
        page.screenshot(path=str(tmp_path / "book-th-390.png"), full_page=True)
        assert_accessible(page, "(booking page, Thai, 390 px)")

        # From the pass page: the names of the people the seats are for, and the count on the button.
        page.goto(f"{live_server.url}/passes/{family['manage_token']}?book={session_id}")
        seated = page.locator("[data-seated] li")
        expect(seated).to_have_count(3)
        expect(seated.nth(0)).to_contain_text("น้องฝน")
        expect(seated.nth(1)).to_contain_text("น้องฟ้า")
        expect(seated.nth(2)).to_contain_text("ชไมพร แก้วใส")
        expect(seated.nth(2)).to_contain_text("ผู้ใหญ่ที่พาเด็กมา")
        button = page.get_by_role("button", name="จอง 3 ที่นั่ง")
        expect(button).to_be_visible()
        page.locator(".rg-then").screenshot(path=str(tmp_path / "pass-book-th-390.png"))
        assert_accessible(page, "(pass page with a booking offer, Thai, 390 px)")
        button.click()
        page.wait_for_url(f"**/passes/{family['manage_token']}**")
        assert session_counters(app, session_id) == (3, 0)

        # A session for grown-ups only: the page says so instead of offering to book.
        grown_ups = workshop(capacity=6, age_groups=["teen"], starts_at=FUTURE.replace(hour=8),
                             title_th="ถ่ายภาพด้วยมือถือ", title_en="Phone photography")
        page.goto(f"{live_server.url}/passes/{family['manage_token']}?book={grown_ups}")
        expect(page.locator("[data-seated-none]")).to_have_text("ไม่มีใครในบัตรของคุณอยู่ในช่วงวัยที่กิจกรรมนี้รับ")
        expect(page.locator(".rg-then button")).to_have_count(0)
        page.screenshot(path=str(tmp_path / "pass-nobody-th-390.png"), full_page=True)
        assert_accessible(page, "(pass page, nobody eligible, Thai, 390 px)")
        assert errors == []
    finally:
        context.close()
