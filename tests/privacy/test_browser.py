"""In a real browser, in Thai: the consent record, the download, and a deletion that the phone forgets."""
import json

import pytest

from app.database import db
from registrations.models import Pass
from tests.privacy.conftest import DELETER, identifying_strings, rows_mentioning

pytestmark = pytest.mark.browser


def test_a_visitor_downloads_then_deletes_and_the_phone_forgets_the_pass(app, live_server, chromium, festival,
                                                                          sign_up, tmp_path):
    visitor = sign_up(name=DELETER["name"], email=DELETER["email"], party=DELETER["party"])
    token = visitor["manage_token"]
    key = f"thetsakan.pass.{festival.slug}"
    context = chromium.new_context(accept_downloads=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/passes/{token}?lang=th")
    assert page.evaluate(f"localStorage.getItem('{key}')") == token
    page.click("#consent summary")
    assert page.is_visible("#consent .rg-consent-text")

    with page.expect_download() as download:
        page.click("[data-export-link]")
    saved = tmp_path / "mine.json"
    download.value.save_as(saved)
    assert download.value.suggested_filename == f"thetsakan-{festival.slug}-pass-{visitor['id']}.json"
    assert json.loads(saved.read_text(encoding="utf-8"))["pass"]["name"] == DELETER["name"]

    page.click("[data-delete-link]")
    page.wait_for_url(f"**/passes/{token}/delete**")
    page.check("input[name=confirm]")
    page.click("#delete-pass button[type=submit]")
    page.wait_for_url(f"**/festivals/{festival.slug}/pass-deleted")
    assert "ลบข้อมูลส่วนบุคคลของคุณแล้ว" in page.content()
    assert page.evaluate(f"localStorage.getItem('{key}')") is None
    assert page.evaluate("window.location.hash") == ""  # the old token left the address bar
    assert page.goto(f"{live_server.url}/passes/{token}").status == 404
    assert errors == []
    context.close()
    with app.app_context():
        assert db.session.get(Pass, visitor["id"]).anonymised_at is not None
        assert rows_mentioning(identifying_strings()) == []


def test_the_phone_keeps_another_pass_it_remembers(live_server, chromium, festival, sign_up, client):
    mine, other = sign_up(), sign_up()
    key = f"thetsakan.pass.{festival.slug}"
    page = chromium.new_page()
    page.goto(f"{live_server.url}/passes/{other['manage_token']}?lang=en")
    assert page.evaluate(f"localStorage.getItem('{key}')") == other["manage_token"]
    # Someone else's pass deleted on this phone: the one it remembers stays.
    client.delete(f"/api/v1/passes/{mine['manage_token']}/personal-data")
    page.goto(f"{live_server.url}/festivals/{festival.slug}/pass-deleted#{mine['manage_token']}")
    assert page.evaluate(f"localStorage.getItem('{key}')") == other["manage_token"]
