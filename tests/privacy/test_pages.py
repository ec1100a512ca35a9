"""The visitor's pages, in Thai and English: the consent record on my pass, the download link, and
deleting the pass's personal data (confirm page, CSRF, the page after)."""
import re
from html import unescape

import pytest

from app.database import db
from app.i18n import local, long_date
from registrations import consent
from registrations.models import Pass
from tests.conftest import csrf_from
from tests.privacy.conftest import DELETER, identifying_strings, rows_mentioning

WORDS = {
    "th": {
        "consent": "ความยินยอมของคุณ",
        "language": "ภาษาไทย",
        "download": "ดาวน์โหลดข้อมูลของฉัน (JSON)",
        "delete": "ลบข้อมูลส่วนบุคคลของฉัน",
        "confirm_title": "ลบข้อมูลส่วนบุคคลของ",
        "tick": "กรุณาทำเครื่องหมายในช่องเพื่อยืนยัน",
        "done": "ลบข้อมูลส่วนบุคคลของคุณแล้ว",
        "upcoming": "การจองกิจกรรมที่ยังไม่เริ่มจะถูกยกเลิก",
    },
    "en": {
        "consent": "Your consent",
        "language": "English",
        "download": "Download my data (JSON)",
        "delete": "Delete my personal data",
        "confirm_title": "Delete the personal data of",
        "tick": "Tick the box to confirm",
        "done": "Your personal data is deleted",
        "upcoming": "your bookings of sessions still to come are cancelled",
    },
}


def _html(answer):
    return unescape(answer.get_data(as_text=True))


@pytest.mark.parametrize("lang", ["th", "en"])
def test_my_pass_shows_the_consent_record_in_each_language(app, client, sign_up, lang):
    got = sign_up(locale=lang)
    html = _html(client.get(f"/passes/{got['manage_token']}?lang={lang}"))
    words = WORDS[lang]
    assert words["consent"] in html
    with app.app_context():
        pass_ = db.session.get(Pass, got["id"])
        day = long_date(local(pass_.consent_at, "Asia/Bangkok"), lang)
        clock = local(pass_.consent_at, "Asia/Bangkok").strftime("%H:%M")
    assert day in html and clock in html
    if lang == "th":
        assert str(pass_.consent_at.year + 543) in day  # Buddhist Era
    section = html[html.index('id="consent"'):html.index('id="my-data"')]
    assert consent.CURRENT_VERSION in section and words["language"] in section
    assert consent.text(lang) in section and consent.sha256(lang) in section


def test_the_consent_record_shows_the_language_agreed_in_not_the_page_language(client, sign_up):
    got = sign_up(locale="th")
    html = _html(client.get(f"/passes/{got['manage_token']}?lang=en"))
    section = html[html.index('id="consent"'):html.index('id="my-data"')]
    assert 'data-consent-locale="th"' in section and "Thai" in section
    assert consent.text("th") in section and consent.text("en") not in section


def test_the_api_answers_the_consent_record_and_sign_up_still_echoes_consent_true(client, sign_up):
    got = sign_up(locale="en")
    assert got["consent"] is True  # the sign-up's answer: the field as sent (CONTRACT)
    shown = client.get(f"/api/v1/passes/{got['manage_token']}").get_json()
    record = shown["consent"]
    assert set(record) == {"version", "locale", "at", "text_sha256"}
    assert (record["version"], record["locale"], record["text_sha256"]) == (
        consent.CURRENT_VERSION, "en", consent.sha256("en"))
    assert record["at"].endswith("+07:00") and record["at"] == shown["consent_at"]


@pytest.mark.parametrize("lang", ["th", "en"])
def test_my_pass_links_to_the_download_and_the_deletion(client, sign_up, lang):
    got = sign_up()
    token = got["manage_token"]
    html = _html(client.get(f"/passes/{token}?lang={lang}"))
    words = WORDS[lang]
    download = re.search(r'<a[^>]*href="([^"]+)"[^>]*data-export-link[^>]*>([^<]+)</a>', html)
    assert download and download.group(1) == f"/api/v1/passes/{token}/export" and download.group(2) == words["download"]
    delete = re.search(r'<a[^>]*href="([^"]+)"[^>]*data-delete-link[^>]*>([^<]+)</a>', html)
    assert delete and delete.group(1) == f"/passes/{token}/delete" and delete.group(2) == words["delete"]
    assert client.get(download.group(1)).headers["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize("lang", ["th", "en"])
def test_the_delete_flow_confirms_then_deletes(app, client, sign_up, workshop, lang):
    words = WORDS[lang]
    session_id = workshop(capacity=5, title_en="Batik for families", title_th="บาติกสำหรับครอบครัว")
    got = sign_up(name=DELETER["name"], email=DELETER["email"], phone=DELETER["phone"], party=DELETER["party"])
    token = got["manage_token"]
    client.post(f"/api/v1/passes/{token}/bookings", json={"session_id": session_id})

    page = client.get(f"/passes/{token}/delete?lang={lang}")
    assert page.status_code == 200
    html = _html(page)
    assert f"{words['confirm_title']} {DELETER['name']}" in html and words["upcoming"] in html
    assert ("บาติกสำหรับครอบครัว" if lang == "th" else "Batik for families") in html
    csrf = csrf_from(html)

    # Without the tick: the same page again, with what to do, and nothing deleted.
    refused = client.post(f"/passes/{token}/delete?lang={lang}", data={"csrf_token": csrf})
    assert refused.status_code == 422 and words["tick"] in _html(refused)
    # Without the CSRF token: refused.
    forged = client.post(f"/passes/{token}/delete?lang={lang}", data={"confirm": "delete"})
    assert forged.status_code == 400
    assert client.get(f"/passes/{token}").status_code == 200

    done = client.post(f"/passes/{token}/delete?lang={lang}", data={"csrf_token": csrf, "confirm": "delete"})
    assert done.status_code == 303
    assert done.headers["Location"] == f"/festivals/learning-city-days/pass-deleted#{token}"
    after = client.get("/festivals/learning-city-days/pass-deleted")
    assert after.status_code == 200 and words["done"] in _html(after)
    assert "privacy.js" in after.get_data(as_text=True) and "data-forget-pass" in after.get_data(as_text=True)

    assert client.get(f"/passes/{token}").status_code == 404
    assert client.get(f"/passes/{token}/delete").status_code == 404
    with app.app_context():
        assert rows_mentioning(identifying_strings()) == []
        assert db.session.get(Pass, got["id"]).status == "anonymised"
