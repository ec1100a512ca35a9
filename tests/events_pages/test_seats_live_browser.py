"""A visitor watching the programme while other families book: the seat lines move, in a real browser.

The page is served from its stored rendering with each card's seat line filled in live
(events/programme_store.py); after a booking only the card whose seats moved is drawn again,
and the lines of the others are the bytes of the fill before. Walked as a Thai visitor on a
390 px phone and as an English one on a desktop, with axe-core on every state.
"""
from pathlib import Path

import pytest

from tests.accessibility import DESKTOP, PHONE, assert_accessible, new_context
from tests.language import assert_reads_in
from tests.registrations.conftest import signup_body

SHOTS = Path("/tmp/thetsakan-seats-live")
# What the organisers and families typed in one language only, shown as given.
DATA = ("Khru Noi", "Bangkok")


def _book_for_a_family(client, slug, session_id, children):
    party = [{"name": f"น้อง{n}", "age_group": "child"} for n in range(children)]
    made = client.post(f"/api/v1/festivals/{slug}/passes", json=signup_body(party=party))
    assert made.status_code == 201, made.get_json()
    booked = client.post(f"/api/v1/passes/{made.get_json()['manage_token']}/bookings", json={"session_id": session_id})
    assert booked.status_code == 201 and booked.get_json()["status"] == "confirmed", booked.get_json()
    return booked.get_json()


@pytest.mark.browser
@pytest.mark.parametrize("lang, viewport", [("th", PHONE), ("en", DESKTOP)], ids=["th-390", "en-desktop"])
def test_the_programme_shows_the_seats_other_families_just_booked(app, client, chromium, live_server, programme,
                                                                  lang, viewport):
    SHOTS.mkdir(exist_ok=True)
    words = {
        "th": {"left": "เหลือ {} ที่นั่ง", "full": "เต็มแล้ว — ลงชื่อรอคิว", "day": "วันเสาร์ที่ 22 สิงหาคม 2642"},
        "en": {"left": "{} seats left", "full": "Full — join the waitlist", "day": "Saturday 22 August 2099"},
    }[lang]
    context = new_context(chromium, viewport=viewport, locale="th-TH" if lang == "th" else "en-GB")
    page = context.new_page()
    weaving = page.locator(f"#session-{programme.weaving} .ev-seats")
    coding = page.locator(f"#session-{programme.coding} .ev-seats")
    try:
        page.goto(f"{live_server.url}/festivals/{programme.slug}?lang={lang}")
        assert page.locator("h2.ev-day-heading").first.inner_text() == words["day"]
        assert weaving.inner_text() == words["left"].format(20)
        assert coding.inner_text() == words["full"]
        page.screenshot(path=str(SHOTS / f"before-{lang}.png"), full_page=True)
        assert_reads_in(page, lang, DATA)
        assert_accessible(page, "before any booking")

        # Two families book the children's weaving workshop: 3 seats between them.
        _book_for_a_family(client, programme.slug, programme.weaving, children=1)
        _book_for_a_family(client, programme.slug, programme.weaving, children=2)
        page.reload()
        assert weaving.inner_text() == words["left"].format(17)
        assert coding.inner_text() == words["full"]  # the card nobody booked, unchanged
        book = page.locator(f"#session-{programme.weaving} a.button")
        assert book.get_attribute("href") == f"/sessions/{programme.weaving}/book"
        page.screenshot(path=str(SHOTS / f"after-{lang}.png"), full_page=True)
        assert_reads_in(page, lang, DATA)
        assert_accessible(page, "after two families booked")

        # The visitor follows the card's own link, as a person would, and lands on its booking page.
        book.click()
        page.wait_for_url(f"**/sessions/{programme.weaving}/book**")
        page.screenshot(path=str(SHOTS / f"book-{lang}.png"), full_page=True)
        assert_reads_in(page, lang, DATA)
        assert_accessible(page, "the booking page reached from the programme")
    finally:
        context.close()
