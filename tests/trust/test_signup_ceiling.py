"""A script signing up thousands of fake families meets the festival's own ceiling on new passes an
hour, which its organisers see and raise (API and console). Refused and repeated sign-ups do not use
it up, so a script hammering one e-mail cannot lock real families out."""
from datetime import date

import pytest

from tests.accessibility import DESKTOP, PHONE, assert_accessible, new_context
from tests.conftest import bearer
from tests.language import assert_reads_in

SLUG = "ceiling-fest"


@pytest.fixture
def festival(make_city, make_festival, make_user):
    city = make_city()
    make_festival(city, slug=SLUG, starts_on=date(2099, 1, 1), ends_on=date(2099, 1, 2), signups_per_hour=3)
    _, organiser = make_user("organiser", city, password="pw-ceiling-1", email="organiser@example.org")
    return bearer(organiser)


def _sign_up(client, email, **fields):
    body = {"name": "Visitor", "email": email, "age_group": "adult", "consent": True, **fields}
    return client.post(f"/api/v1/festivals/{SLUG}/passes", json=body, headers={"Accept-Language": "th"})


def test_the_ceiling_refuses_new_passes_beyond_it_until_an_organiser_raises_it(app, client, festival):
    assert client.get(f"/api/v1/festivals/{SLUG}").get_json()["signups_per_hour"] == 3
    assert [_sign_up(client, f"family{n}@example.org").status_code for n in range(2)] == [201] * 2
    # Neither a repeat (the pass exists: 200) nor a refusal (422) uses up the ceiling...
    assert _sign_up(client, "family0@example.org").status_code == 200
    assert _sign_up(client, "family9@example.org", consent=False).status_code == 422
    assert _sign_up(client, "family2@example.org").status_code == 201
    # ...but a fourth new pass in the hour is refused, saying why.
    refused = _sign_up(client, "family3@example.org")
    assert refused.status_code == 429
    assert refused.get_json()["code"] == "rate_limited"
    assert "ผู้จัดงาน" in refused.get_json()["message"]
    assert int(refused.headers["Retry-After"]) > 0

    raised = client.patch(f"/api/v1/festivals/{SLUG}", json={"signups_per_hour": 5000}, headers=festival)
    assert raised.status_code == 200, raised.get_json()
    assert raised.get_json()["signups_per_hour"] == 5000
    assert _sign_up(client, "family3@example.org").status_code == 201


@pytest.mark.parametrize("slug", ["%00", "a%00b", "x" * 81, "ceiling-fest%00"])
def test_a_sign_up_to_a_slug_no_festival_can_have_is_a_4xx(app, client, festival, slug):
    """The festival's ceiling is looked up before the input guard: PostgreSQL refuses NUL in a string."""
    answer = client.post(f"/api/v1/festivals/{slug}/passes",
                         json={"name": "Visitor", "email": "nul@example.org", "age_group": "adult", "consent": True})
    assert 400 <= answer.status_code < 500, answer.get_data(as_text=True)


@pytest.mark.parametrize("value", [0, -1, 100_001, "many", None])
def test_a_ceiling_that_is_not_a_count_is_refused_naming_the_field(app, client, festival, value):
    answer = client.patch(f"/api/v1/festivals/{SLUG}", json={"signups_per_hour": value}, headers=festival)
    assert answer.status_code == 422
    assert answer.get_json()["field"] == "signups_per_hour"
    assert client.get(f"/api/v1/festivals/{SLUG}").get_json()["signups_per_hour"] == 3


def test_the_ceiling_is_counted_per_festival(app, client, festival, make_city, make_festival):
    make_festival(make_city(slug="chiang-mai", name_th="เชียงใหม่", name_en="Chiang Mai"), slug="other-fest",
                  starts_on=date(2099, 1, 1), ends_on=date(2099, 1, 2), signups_per_hour=3)
    assert [_sign_up(client, f"family{n}@example.org").status_code for n in range(4)] == [201] * 3 + [429]
    other = client.post("/api/v1/festivals/other-fest/passes",
                        json={"name": "Visitor", "email": "family9@example.org", "age_group": "adult", "consent": True})
    assert other.status_code == 201


CONSOLE = {
    "th": dict(email="อีเมล", password="รหัสผ่าน", sign_in="เข้าสู่ระบบ", festival="วันเมืองแห่งการเรียนรู้",
               ceiling="จำนวนบัตรใหม่ต่อชั่วโมง", why="เพื่อกันโปรแกรมอัตโนมัติที่ลงทะเบียนครอบครัวปลอม",
               dates="1–2 มกราคม 2642"),
    "en": dict(email="Email", password="Password", sign_in="Sign in", festival="Learning City Days",
               ceiling="New passes per hour", why="a ceiling against scripts signing up fake families",
               dates="1–2 January 2099"),
}


@pytest.mark.browser
@pytest.mark.parametrize("lang, viewport", [("th", PHONE), ("th", DESKTOP), ("en", DESKTOP)],
                         ids=["th-phone", "th-desktop", "en-desktop"])
def test_an_organiser_sees_and_raises_the_ceiling_in_the_console(app, chromium, live_server, festival, lang, viewport):
    t = CONSOLE[lang]
    context = new_context(chromium, viewport=viewport, locale="en-US" if lang == "en" else "th-TH")
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/login?lang=th")
        if lang == "en":  # the organiser turns the page to English with its language switch
            page.get_by_role("link", name="English").click()
            page.wait_for_url("**lang=en")
        page.get_by_label(t["email"]).fill("organiser@example.org")
        page.get_by_label(t["password"]).fill("pw-ceiling-1")
        page.get_by_role("button", name=t["sign_in"]).click()
        page.wait_for_url("**/organiser/")
        assert_accessible(page, "console home")
        assert_reads_in(page, lang)
        page.get_by_role("link", name=t["festival"]).first.click()
        page.wait_for_url(f"**/organiser/festivals/{SLUG}")
        assert t["dates"] in page.locator("main").inner_text()  # Buddhist Era in Thai, Gregorian in English
        page.locator("summary:has(#details-title)").click()  # the festival's details open on a tap
        ceiling = page.get_by_label(t["ceiling"])
        assert ceiling.input_value() == "3"
        assert page.get_by_text(t["why"]).count() == 1
        ceiling.scroll_into_view_if_needed()
        page.screenshot(path=f"/tmp/signup-ceiling-{lang}-{viewport['width']}.png", full_page=False)
        assert_accessible(page, "festival form with its sign-up ceiling")
        assert_reads_in(page, lang)
        ceiling.fill("3000")
        with page.expect_navigation():
            ceiling.press("Enter")
        assert_accessible(page, "festival saved")
        assert_reads_in(page, lang)
        page.locator("summary:has(#details-title)").click()
        assert page.get_by_label(t["ceiling"]).input_value() == "3000"
        page.screenshot(path=f"/tmp/signup-ceiling-{lang}-{viewport['width']}-raised.png", full_page=True)
    finally:
        context.close()
    assert live_server and app.test_client().get(f"/api/v1/festivals/{SLUG}").get_json()["signups_per_hour"] == 3000
