"""Cancelling a booking asks first and says it is final; the festival page offers its calendar over https too
(Android opens no webcal:// link) and says in words what subscribing does."""
import re

from tests.conftest import csrf_from
from tests.registrations.conftest import session_counters


def test_cancelling_a_booking_asks_first_then_gives_the_seats_to_the_waitlist(app, client, sign_up, book, workshop):
    session_id = workshop(capacity=1, title_th="ทอผ้าสำหรับครอบครัว", title_en="Family weaving")
    holder, waiting = sign_up(), sign_up()
    booking = book(holder, session_id).get_json()
    assert book(waiting, session_id).get_json()["status"] == "waitlisted"
    token = holder["manage_token"]

    page = client.get(f"/passes/{token}?lang=th").get_data(as_text=True)
    ask = f"/passes/{token}/bookings/{booking['id']}/cancel"
    # A link to the question, not a button that cancels at once; named with the session for screen readers.
    assert re.search(rf'<a class="button danger" href="{re.escape(ask)}">ยกเลิกการจองนี้<span class="visually-hidden">: '
                     r"ทอผ้าสำหรับครอบครัว</span></a>", page)
    assert f'action="{ask}"' not in page

    question = client.get(ask + "?lang=th")
    assert question.status_code == 200
    text = question.get_data(as_text=True)
    assert "ยกเลิกการจอง “ทอผ้าสำหรับครอบครัว” ใช่ไหม" in text
    assert "ที่นั่งของคุณจะตกเป็นของผู้ที่รอคิวถัดไปทันที" in text and "ยกเลิกแล้วย้อนกลับไม่ได้" in text
    assert session_counters(app, session_id) == (1, 1)  # asking changes nothing

    answer = client.post(ask, data={"csrf_token": csrf_from(text)})
    assert answer.status_code == 303
    assert session_counters(app, session_id) == (1, 0)  # the waiting visitor has the seat
    after = client.get(ask + "?lang=th").get_data(as_text=True)
    assert "การจองนี้ถูกยกเลิกแล้ว" in after or "This booking is cancelled." in after
    assert "ใช่ ยกเลิกการจอง" not in after


def test_another_pass_cannot_see_the_question_for_a_booking(client, sign_up, book, workshop):
    session_id = workshop(capacity=3)
    holder, stranger = sign_up(), sign_up()
    booking = book(holder, session_id).get_json()
    assert client.get(f"/passes/{stranger['manage_token']}/bookings/{booking['id']}/cancel").status_code == 404


def test_the_festival_page_offers_webcal_and_https_and_says_what_subscribing_does(client, festival):
    page = client.get(f"/festivals/{festival.slug}?lang=th").get_data(as_text=True)
    path = f"/festivals/{festival.slug}/programme.ics"
    assert f'href="webcal://localhost{path}"' in page
    assert f'href="http://localhost{path}" data-feed-https' in page  # the page's own scheme: https in production
    assert "การสมัครรับปฏิทินจะเพิ่มกิจกรรมของเทศกาลลงในปฏิทิน" in page
    assert "ปรับตามทุกการเปลี่ยนแปลงของเวลา สถานที่ หรือการยกเลิก" in page
    feed = client.get(path)
    assert feed.status_code == 200 and feed.content_type.startswith("text/calendar")
    assert re.search(rb"(?<!\r)\n", feed.data) is None  # CRLF only (RFC 5545)
