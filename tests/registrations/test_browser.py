"""In a real browser: the phone remembers the pass, the book page uses it, the family rows work."""
import pytest
import sqlalchemy as sa

from app.database import db
from registrations.models import Booking, Pass
from tests.registrations.conftest import session_counters

pytestmark = pytest.mark.browser


def test_the_phone_remembers_the_pass_and_books_with_it(app, live_server, chromium, festival, sign_up, workshop):
    session_id = workshop(capacity=3, title_en="Batik for families")
    visitor = sign_up(party=[{"name": "Mew", "age_group": "child"}])
    page = chromium.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/passes/{visitor['manage_token']}?lang=en")
    assert page.evaluate(f"localStorage.getItem('thetsakan.pass.{festival.slug}')") == visitor["manage_token"]

    page.goto(f"{live_server.url}/sessions/{session_id}/book?lang=en")
    assert page.input_value("[data-pass-token]") == visitor["manage_token"]
    assert page.is_visible("[data-remembered]") and not page.is_visible("input[name=pass_link]")
    page.click("[data-book-form] button[type=submit]")
    page.wait_for_url(f"**/passes/{visitor['manage_token']}**")
    assert "Booked: your seats are confirmed." in page.content()
    assert session_counters(app, session_id) == (2, 0)
    assert errors == []


def test_a_cancelled_pass_is_forgotten_by_the_phone(live_server, chromium, festival, sign_up, client):
    visitor = sign_up()
    page = chromium.new_page()
    page.goto(f"{live_server.url}/passes/{visitor['manage_token']}")
    assert page.evaluate(f"localStorage.getItem('thetsakan.pass.{festival.slug}')") == visitor["manage_token"]
    client.delete(f"/api/v1/passes/{visitor['manage_token']}")
    page.reload()
    assert page.evaluate(f"localStorage.getItem('thetsakan.pass.{festival.slug}')") is None


def test_family_rows_are_added_and_removed_in_the_browser(app, live_server, chromium, festival):
    page = chromium.new_page()
    page.goto(f"{live_server.url}/festivals/{festival.slug}/signup?lang=en")
    page.fill("input[name=name]", "Araya")
    page.fill("input[name=email]", "araya@example.org")
    page.select_option("select[name=age_group]", "adult")
    page.click("[data-party-add]")
    page.click("[data-party-add]")
    names = page.locator("input[name=party_name]")
    ages = page.locator("select[name=party_age_group]")
    assert names.count() == 3
    for index, (name, age) in enumerate([("Fah", "child"), ("Grandpa Chai", "senior"), ("Nobody", "teen")]):
        names.nth(index).fill(name)
        ages.nth(index).select_option(age)
    page.locator("[data-party-remove]").nth(2).click()
    page.check("input[name=consent]")
    page.click("form button[type=submit]")
    page.wait_for_url("**/passes/**")
    with app.app_context():
        pass_ = db.session.scalar(sa.select(Pass).where(Pass.email == "araya@example.org"))
        assert [(m.name, m.age_group) for m in pass_.party] == [("Fah", "child"), ("Grandpa Chai", "senior")]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0


def test_after_a_refusal_another_pass_link_can_be_pasted(app, live_server, chromium, festival, sign_up, client, workshop):
    session_id = workshop(capacity=3)
    old, new = sign_up(), sign_up()
    page = chromium.new_page()
    page.goto(f"{live_server.url}/passes/{old['manage_token']}")
    client.delete(f"/api/v1/passes/{old['manage_token']}")  # cancelled elsewhere; the phone still remembers it
    page.goto(f"{live_server.url}/sessions/{session_id}/book?lang=en")
    page.click("[data-book-form] button[type=submit]")
    page.wait_for_selector("[role=alert]")
    assert "This pass is cancelled." in page.content()
    page.fill("input[name=pass_link]", new["manage_url"])
    page.click("[data-book-form] button[type=submit]")
    page.wait_for_url(f"**/passes/{new['manage_token']}**")
    assert session_counters(app, session_id) == (1, 0)
