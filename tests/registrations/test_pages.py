"""Visitors' pages in Thai and English: sign up, my pass, booking from the programme, CSRF."""
import re
import subprocess
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.database import db
from app.outbox import messages
from registrations import consent
from registrations.models import Booking, Pass
from tests.conftest import csrf_from
from tests.registrations.conftest import FUTURE, session_counters


def _signup_form(client, slug, lang="th", **fields):
    page = client.get(f"/festivals/{slug}/signup?lang={lang}")
    data = {
        "csrf_token": csrf_from(page.get_data(as_text=True)),
        "name": "ชไมพร แก้วใส",
        "email": "chamaiporn@example.org",
        "phone": "",
        "age_group": "adult",
        "party_name": ["ด.ญ. ใบเตย", "", ""],
        "party_age_group": ["child", "", "teen"],
        "consent": "yes",
        "consent_version": consent.CURRENT_VERSION,
    }
    data.update(fields)
    return data


def _token(location):
    return re.search(r"/passes/([A-Za-z0-9_-]+)", location).group(1)


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("th", ["รับบัตรเข้างานเทศกาล", "สมาชิกครอบครัวที่มาด้วย", "ข้าพเจ้ายินยอม", "เด็ก (ต่ำกว่า 13 ปี)", "22–23 สิงหาคม 2570"]),
        ("en", ["Get your festival pass", "Family members coming with you", "I agree", "Children (under 13)", "22–23 August 2027"]),
    ],
)
def test_the_sign_up_page_speaks_each_language_and_shows_the_consent_text(client, festival, lang, words):
    page = client.get(f"/festivals/{festival.slug}/signup?lang={lang}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for word in words:
        assert word in html
    assert consent.text(lang) in html
    assert f'value="{consent.CURRENT_VERSION}"' in html
    assert html.count('name="party_name"') == 2  # one row without JavaScript, one in the <template>
    assert 'src="/static/registrations/party.js"' in html and "<script>" not in html
    assert csrf_from(html)


def test_a_draft_festival_has_no_sign_up_page(client, festival, make_festival):
    make_festival(festival.city_id, slug="draft-days", status="draft")
    assert client.get("/festivals/draft-days/signup").status_code == 404


def test_signing_up_on_the_page_leads_to_my_pass(app, client, festival):
    answer = client.post(f"/festivals/{festival.slug}/signup?lang=th", data=_signup_form(client, festival.slug))
    assert answer.status_code == 303
    token = _token(answer.headers["Location"])
    with app.app_context():
        pass_ = db.session.scalar(sa.select(Pass))
        assert pass_.manage_token == token and pass_.consent_locale == "th"
        assert pass_.consent_text_sha256 == consent.sha256("th")
        # The row with an age group but no name is left out; the empty row too.
        assert [(m.name, m.age_group) for m in pass_.party] == [("ด.ญ. ใบเตย", "child")]
    page = client.get(answer.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "private, no-store"
    assert "บัตรของคุณพร้อมแล้ว" in html  # the flash
    assert f'<img src="/passes/{token}/qr.png"' in html
    assert "ชไมพร แก้วใส" in html and "ด.ญ. ใบเตย" in html and "เข้างานได้ 2 คน" in html
    assert f'data-fragment="/passes/{token}/stamp-card"' in html
    assert f'data-festival="{festival.slug}" data-token="{token}"' in html
    assert 'src="/static/registrations/pass.js"' in html
    assert "webcal://127.0.0.1:5000/passes/" in html and "/agenda.ics" in html


def test_the_pass_page_qr_image_decodes_to_the_code(client, sign_up, tmp_path):
    got = sign_up()
    image = client.get(f"/passes/{got['manage_token']}/qr.png")
    assert image.status_code == 200 and image.mimetype == "image/png"
    (tmp_path / "qr.png").write_bytes(image.data)
    decoded = subprocess.run(["zbarimg", "--quiet", "--raw", str(tmp_path / "qr.png")], capture_output=True, text=True)
    assert decoded.stdout.strip() == got["code"]


def test_the_sign_up_form_refuses_without_its_csrf_token(app, client, festival):
    data = _signup_form(client, festival.slug)
    del data["csrf_token"]
    answer = client.post(f"/festivals/{festival.slug}/signup", data=data)
    assert answer.status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Pass)) == 0


@pytest.mark.parametrize(
    ("lang", "message"),
    [("th", "กรุณายอมรับข้อความความยินยอมเพื่อรับบัตร"), ("en", "Please agree to the consent text to get a pass.")],
)
def test_the_form_without_consent_is_shown_again_with_what_to_fix(app, client, festival, lang, message):
    data = _signup_form(client, festival.slug, lang=lang, email="not an email")
    del data["consent"]
    answer = client.post(f"/festivals/{festival.slug}/signup?lang={lang}", data=data)
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert message in html
    assert 'data-field="email"' in html and 'data-field="consent"' in html
    assert 'value="ชไมพร แก้วใส"' in html and 'value="ด.ญ. ใบเตย"' in html  # what was typed stays
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Pass)) == 0


def test_the_same_email_on_the_page_says_the_link_was_mailed(app, client, festival, sign_up):
    first = sign_up(email="again@example.org")
    answer = client.post(
        f"/festivals/{festival.slug}/signup?lang=en", data=_signup_form(client, festival.slug, lang="en", email="again@example.org")
    )
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert "You have a pass already" in html and "again@example.org" in html
    assert first["manage_token"] not in html
    with app.app_context():
        assert [m.payload["pass_id"] for m in messages("pass.link_requested")] == [first["id"]]


@pytest.mark.parametrize(
    ("lang", "confirmed", "waiting"),
    [("th", "ยืนยันแล้ว", "คิวรอ: ลำดับที่ 1"), ("en", "Confirmed", "Waitlist: number 1")],
)
def test_my_pass_lists_bookings_with_their_status_and_waitlist_position(client, sign_up, book, workshop, lang, confirmed, waiting):
    visitor, other = sign_up(), sign_up()
    roomy = workshop(capacity=5, title_en="Pong lang drumming", title_th="ตีโปงลาง")
    full = workshop(capacity=1, starts_at=FUTURE + timedelta(hours=3), title_en="Long-drum show", title_th="กลองยาว")
    book(visitor, roomy)
    book(other, full)
    book(visitor, full)
    html = client.get(f"/passes/{visitor['manage_token']}?lang={lang}").get_data(as_text=True)
    assert confirmed in html and waiting in html
    assert ("ตีโปงลาง" if lang == "th" else "Pong lang drumming") in html
    assert ("22 สิงหาคม 2570" if lang == "th" else "22 August 2027") in html and "10:00–11:00" in html
    # Each live booking links to its cancel question (cancelling asks first: test_cancel_and_calendar.py).
    assert len(re.findall(r'href="/passes/' + visitor["manage_token"] + r'/bookings/\d+/cancel"', html)) == 2


def test_cancelling_a_booking_from_my_pass_needs_csrf_and_promotes(app, client, sign_up, book, workshop):
    session_id = workshop(capacity=1)
    visitor, waiting = sign_up(), sign_up()
    booking = book(visitor, session_id).get_json()
    book(waiting, session_id)
    path = f"/passes/{visitor['manage_token']}/bookings/{booking['id']}/cancel"
    assert client.post(path).status_code == 400
    assert session_counters(app, session_id) == (1, 1)
    token = csrf_from(client.get(path).get_data(as_text=True))  # the question page
    answer = client.post(path, data={"csrf_token": token})
    assert answer.status_code == 303 and answer.headers["Location"].endswith(f"/passes/{visitor['manage_token']}")
    assert session_counters(app, session_id) == (1, 0)
    html = client.get(f"/passes/{waiting['manage_token']}?lang=en").get_data(as_text=True)
    assert "Confirmed" in html


def test_cancelling_the_whole_pass_asks_first(app, client, sign_up, book, workshop):
    visitor = sign_up()
    book(visitor, workshop())
    pass_page = f"/passes/{visitor['manage_token']}"
    confirm = client.get(pass_page + "/cancel?lang=en")
    assert confirm.status_code == 200 and "Yes, cancel my pass" in confirm.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Pass, visitor["id"]).status == "active"  # looking is not cancelling
    answer = client.post(pass_page + "/cancel", data={"csrf_token": csrf_from(confirm.get_data(as_text=True))})
    assert answer.status_code == 303
    html = client.get(pass_page + "?lang=en").get_data(as_text=True)
    assert "This pass is cancelled" in html and 'data-status="cancelled"' in html
    assert "Cancel my pass" not in html
    with app.app_context():
        assert db.session.get(Pass, visitor["id"]).status == "cancelled"
        assert {b.status for b in db.session.scalars(sa.select(Booking))} == {"cancelled"}


def test_an_unknown_pass_page_is_404(client):
    assert client.get("/passes/not-a-real-token-at-all-123456").status_code == 404
    assert client.get("/passes/not-a-real-token-at-all-123456/qr.png").status_code == 404


@pytest.mark.parametrize(
    ("lang", "words"),
    [("th", ["เหลือ 2 ที่นั่ง", "ลิงก์บัตรของคุณ", "ลงทะเบียนเข้างานก่อน"]), ("en", ["2 seats left", "The link of your pass", "Sign up for the festival first"])],
)
def test_the_book_page_shows_the_session_and_seats_left(client, festival, workshop, lang, words):
    session_id = workshop(capacity=2)
    page = client.get(f"/sessions/{session_id}/book?lang={lang}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for word in words:
        assert word in html
    assert f'href="/festivals/{festival.slug}/signup?session={session_id}"' in html
    assert f'data-festival="{festival.slug}"' in html and "data-pass-token" in html


def test_booking_from_the_book_page_with_a_pasted_link(app, client, sign_up, workshop):
    session_id = workshop(capacity=1)
    visitor = sign_up(party=[{"name": "Tong", "age_group": "child"}])
    page = client.get(f"/sessions/{session_id}/book")
    data = {"csrf_token": csrf_from(page.get_data(as_text=True)), "pass_link": f"  {visitor['manage_url']}  ", "seats": "1"}
    answer = client.post(f"/sessions/{session_id}/book?lang=en", data=data)
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith(f"/passes/{visitor['manage_token']}")
    assert "Booked: your seats are confirmed." in client.get(answer.headers["Location"]).get_data(as_text=True)
    assert session_counters(app, session_id) == (1, 0)
    # Again: refused with the reason, in the visitor's language.
    again = client.post(f"/sessions/{session_id}/book?lang=th", data={**data, "manage_token": visitor["manage_token"]})
    assert again.status_code == 409 and "คุณจองกิจกรรมนี้ไว้แล้ว" in again.get_data(as_text=True)


def test_the_book_page_joins_the_waitlist_and_says_the_position(client, sign_up, book, workshop):
    session_id = workshop(capacity=1)
    book(sign_up(), session_id)
    visitor = sign_up()
    page = client.get(f"/sessions/{session_id}/book?lang=en")
    assert "Join the waitlist" in page.get_data(as_text=True)
    answer = client.post(
        f"/sessions/{session_id}/book?lang=en",
        data={"csrf_token": csrf_from(page.get_data(as_text=True)), "manage_token": visitor["manage_token"]},
    )
    assert answer.status_code == 303
    assert "you are number 1 on the waitlist" in client.get(answer.headers["Location"]).get_data(as_text=True)


def test_the_book_page_refuses_unknown_links_clashes_and_missing_csrf(app, client, sign_up, book, workshop):
    first = workshop(capacity=3)
    clashing = workshop(capacity=3, starts_at=FUTURE + timedelta(minutes=30), title_en="Clay")
    visitor = sign_up()
    book(visitor, first)
    page = client.get(f"/sessions/{clashing}/book?lang=en")
    token = csrf_from(page.get_data(as_text=True))
    unknown = client.post(f"/sessions/{clashing}/book?lang=en", data={"csrf_token": token, "pass_link": "https://x/passes/nope"})
    assert unknown.status_code == 404 and "We do not know this pass link" in unknown.get_data(as_text=True)
    clash = client.post(f"/sessions/{clashing}/book?lang=en", data={"csrf_token": token, "manage_token": visitor["manage_token"]})
    assert clash.status_code == 409 and "Weaving workshop" in clash.get_data(as_text=True)
    assert client.post(f"/sessions/{clashing}/book", data={"manage_token": visitor["manage_token"]}).status_code == 400
    assert session_counters(app, clashing) == (0, 0)


def test_after_signing_up_from_a_book_page_the_pass_offers_that_session(client, festival, workshop):
    session_id = workshop(capacity=4, title_en="Indigo dyeing")
    data = _signup_form(client, festival.slug, lang="en", session=str(session_id))
    answer = client.post(f"/festivals/{festival.slug}/signup?session={session_id}", data=data)
    assert answer.status_code == 303 and answer.headers["Location"].endswith(f"?book={session_id}")
    html = client.get(answer.headers["Location"] + "&lang=en").get_data(as_text=True)
    assert "Book “Indigo dyeing”?" in html and f'action="/sessions/{session_id}/book"' in html


def test_a_session_without_capacity_has_no_booking_form(client, workshop):
    html = client.get(f"/sessions/{workshop(capacity=None)}/book?lang=en").get_data(as_text=True)
    assert "Open to all, no booking needed" in html and "data-book-form" not in html
