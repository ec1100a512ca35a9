"""The organiser console's bookings pages: signed in, CSRF on every form, one city only."""
import csv
import io
from datetime import timedelta

import pytest

from app.database import db
from registrations.models import Booking
from tests.conftest import csrf_from, login
from tests.registrations.conftest import FUTURE, session_counters

PASSWORD = "correct horse battery"


@pytest.fixture
def organiser(client, make_user, festival):
    make_user("organiser", festival.city_id, password=PASSWORD, email="noi@bangkok.example")
    assert login(client, "noi@bangkok.example", PASSWORD).status_code == 302
    return client


def test_the_festival_bookings_page_lists_bookable_sessions_with_counts(organiser, festival, sign_up, book, workshop):
    session_id = workshop(capacity=1, title_th="ทอผ้า", title_en="Weaving")
    workshop(capacity=None, title_en="Opening talk", starts_at=FUTURE + timedelta(hours=2))
    book(sign_up(), session_id)
    book(sign_up(), session_id)
    for lang, words in (("th", ["การจอง", "ทอผ้า", "คิวรอ"]), ("en", ["Bookings", "Weaving", "Waitlist"])):
        page = organiser.get(f"/organiser/festivals/{festival.slug}/bookings?lang={lang}")
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        for word in words:
            assert word in html
        assert "Opening talk" not in html
        assert "<td data-confirmed>1 / 1</td>" in html and "<td data-waitlist>1</td>" in html


def test_the_session_page_lists_confirmed_and_the_waitlist_in_order(organiser, festival, sign_up, book, workshop):
    session_id = workshop(capacity=2)
    book(sign_up(name="มาลี", party=[{"name": "น้องข้าว", "age_group": "child"}]), session_id)
    book(sign_up(name="Somsak"), session_id)
    book(sign_up(name="ปรีดา"), session_id)
    html = organiser.get(f"/organiser/festivals/{festival.slug}/bookings/{session_id}?lang=en").get_data(as_text=True)
    confirmed, waitlist = html.split('data-list="confirmed"')[1].split('data-list="waitlist"')
    assert "มาลี" in confirmed and "น้องข้าว" in confirmed
    assert waitlist.index("Somsak") < waitlist.index("ปรีดา")
    assert "2 of 2 seats confirmed" in html and "2 parties on the waitlist" in html


def test_raising_capacity_on_the_console_promotes_and_needs_csrf(app, organiser, festival, sign_up, book, workshop):
    session_id = workshop(capacity=1)
    for _ in range(3):
        book(sign_up(), session_id)
    path = f"/organiser/festivals/{festival.slug}/bookings/{session_id}"
    assert organiser.post(path + "/capacity", data={"capacity": "3"}).status_code == 400
    assert session_counters(app, session_id) == (1, 2)
    token = csrf_from(organiser.get(path).get_data(as_text=True))
    answer = organiser.post(path + "/capacity", data={"capacity": "3", "csrf_token": token})
    assert answer.status_code == 303 and answer.headers["Location"].endswith(path)
    assert session_counters(app, session_id) == (3, 0)
    bad = organiser.post(path + "/capacity?lang=en", data={"capacity": "-2", "csrf_token": token}, follow_redirects=True)
    assert "Capacity must be a whole number" in bad.get_data(as_text=True)


def test_moving_and_cancelling_from_the_console(app, organiser, festival, sign_up, book, workshop):
    source = workshop(capacity=2)
    target = workshop(capacity=2, starts_at=FUTURE + timedelta(hours=2), title_en="Clay")
    full = workshop(capacity=0, starts_at=FUTURE + timedelta(hours=4), title_en="Tiny")
    moving = book(sign_up(), source).get_json()
    leaving = book(sign_up(), source).get_json()
    path = f"/organiser/festivals/{festival.slug}/bookings/{source}"
    token = csrf_from(organiser.get(path).get_data(as_text=True))
    moved = organiser.post(f"{path}/{moving['id']}/move", data={"session_id": str(target), "csrf_token": token})
    assert moved.status_code == 303
    refused = organiser.post(
        f"{path}/{leaving['id']}/move?lang=en", data={"session_id": str(full), "csrf_token": token}, follow_redirects=True
    )
    assert "That session has not enough free seats." in refused.get_data(as_text=True)
    cancelled = organiser.post(f"{path}/{leaving['id']}/cancel", data={"csrf_token": token})
    assert cancelled.status_code == 303
    assert session_counters(app, source) == (0, 0) and session_counters(app, target) == (1, 0)
    with app.app_context():
        assert db.session.get(Booking, moving["id"]).session_id == target
        assert db.session.get(Booking, leaving["id"]).cancelled_by == "organiser"


def test_the_console_csv_downloads_keep_thai_names(organiser, festival, sign_up, book, workshop):
    session_id = workshop(capacity=5)
    book(sign_up(name="วนิดา ศรีสุข", party=[{"name": "ด.ช. ภูผา", "age_group": "child"}]), session_id)
    one = organiser.get(f"/organiser/festivals/{festival.slug}/bookings/{session_id}/attendees.csv")
    assert one.status_code == 200 and one.mimetype == "text/csv" and one.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(one.data.decode("utf-8-sig"))))
    assert rows[1][:6] == ["วนิดา ศรีสุข", rows[1][1], "081 234 5678", "adult", "ด.ช. ภูผา (child)", "2"]
    every = organiser.get(f"/organiser/festivals/{festival.slug}/attendees.csv")
    assert "วนิดา ศรีสุข" in every.data.decode("utf-8-sig")


def test_another_citys_organiser_is_refused(client, make_user, make_city, festival, sign_up, book, workshop):
    session_id = workshop()
    booking = book(sign_up(), session_id).get_json()
    make_user("organiser", make_city("chiang-mai", "เชียงใหม่", "Chiang Mai"), password=PASSWORD, email="cm@example.org")
    login(client, "cm@example.org", PASSWORD)
    base = f"/organiser/festivals/{festival.slug}"
    for path in (f"{base}/bookings", f"{base}/bookings/{session_id}", f"{base}/attendees.csv", f"{base}/bookings/{session_id}/attendees.csv"):
        assert client.get(path).status_code == 403, path
    token = csrf_from(client.get("/login").get_data(as_text=True))
    answer = client.post(f"{base}/bookings/{session_id}/{booking['id']}/cancel", data={"csrf_token": token})
    assert answer.status_code == 403


def test_the_console_needs_a_signed_in_organiser(client, make_user, festival, workshop):
    session_id = workshop()
    answer = client.get(f"/organiser/festivals/{festival.slug}/bookings/{session_id}")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    make_user("staff", festival.city_id, password=PASSWORD, email="gate@example.org")
    login(client, "gate@example.org", PASSWORD)
    assert client.get(f"/organiser/festivals/{festival.slug}/bookings").status_code == 403


def test_sessions_and_bookings_of_another_festival_are_404(organiser, festival, make_festival, sign_up, book, workshop):
    other = make_festival(festival.city_id, slug="other-days")
    elsewhere = workshop(festival_id=other)
    assert organiser.get(f"/organiser/festivals/{festival.slug}/bookings/{elsewhere}").status_code == 404
    assert organiser.get(f"/organiser/festivals/{festival.slug}/bookings/99999999999").status_code == 404
    assert organiser.get("/organiser/festivals/nowhere/bookings").status_code == 404
