"""Who a workshop is for: a session's age_groups decide who in a party takes a seat, on booking,
promotion and moves; a children's workshop says whether an accompanying adult takes one."""
import pytest

from app.database import db
from registrations.models import Booking
from tests.conftest import bearer
from tests.registrations.conftest import FUTURE, session_counters

TEENS_AND_UP = ["teen", "adult", "senior"]
CHILDREN = [{"name": "น้องฝน", "age_group": "child"}, {"name": "น้องฟ้า", "age_group": "child"}]


@pytest.fixture
def organiser(make_user, festival):
    return bearer(make_user("organiser", festival.city_id)[1])


def test_a_booking_seats_by_default_the_party_members_the_session_is_for(app, sign_up, book, workshop):
    session_id = workshop(capacity=10, age_groups=TEENS_AND_UP)
    family = sign_up(party=[*CHILDREN, {"name": "พี่ต้น", "age_group": "teen"}])  # adult, 2 children, a teen
    answer = book(family, session_id)
    assert answer.status_code == 201
    assert (answer.get_json()["seats"], answer.get_json()["status"]) == (2, "confirmed")
    assert session_counters(app, session_id) == (2, 0)


def test_more_seats_than_the_eligible_members_is_422_age_group(app, sign_up, book, workshop):
    session_id = workshop(capacity=10, age_groups=TEENS_AND_UP)
    answer = book(sign_up(party=CHILDREN), session_id, seats=3)
    body = answer.get_json()
    assert answer.status_code == 422
    assert (body["code"], body["field"], body["seats_allowed"], body["age_groups"]) == (
        "age_group", "seats", 1, TEENS_AND_UP)
    assert session_counters(app, session_id) == (0, 0)


def test_a_party_with_nobody_the_session_is_for_is_422_age_group(app, sign_up, book, workshop):
    session_id = workshop(capacity=10, age_groups=["child"])
    answer = book(sign_up(party=[{"name": "คุณยาย", "age_group": "senior"}]), session_id)
    body = answer.get_json()
    assert answer.status_code == 422 and (body["code"], body["field"], body["seats_allowed"]) == (
        "age_group", "session_id", 0)
    assert session_counters(app, session_id) == (0, 0)


def test_a_childrens_workshop_seats_the_accompanying_adult_only_when_the_organiser_says_so(
    client, app, sign_up, book, workshop, organiser
):
    without = workshop(capacity=10, age_groups=["child"])
    family = sign_up(party=CHILDREN)
    assert book(family, without).get_json()["seats"] == 2  # the default: the adult comes without a seat
    assert client.get(f"/api/v1/sessions/{without}").get_json()["adult_takes_seat"] is False

    with_adult = workshop(capacity=10, age_groups=["child"], adult_takes_seat=True,
                          starts_at=FUTURE.replace(hour=8))
    assert book(family, with_adult).get_json()["seats"] == 3  # two children and one adult
    # One child and two parents: the child and one parent take seats, the other parent comes along.
    both_parents = sign_up(party=[CHILDREN[0], {"name": "คุณแม่", "age_group": "adult"}])
    assert book(both_parents, with_adult, seats=3).get_json()["code"] == "age_group"

    # Organisers turn it on and off through the API; a non-boolean is refused, naming the field.
    answer = client.patch(f"/api/v1/sessions/{without}", json={"adult_takes_seat": True}, headers=organiser)
    assert answer.status_code == 200 and answer.get_json()["adult_takes_seat"] is True
    refused = client.patch(f"/api/v1/sessions/{without}", json={"adult_takes_seat": "perhaps"}, headers=organiser)
    assert refused.status_code == 422 and "adult_takes_seat" in refused.get_json()["errors"]


def test_promotion_follows_the_age_rule(app, client, sign_up, book, workshop, organiser):
    """The family queued while the workshop was for everyone; it became a teens-and-up workshop:
    a cancellation promotes the adult behind them, not the family with two children."""
    session_id = workshop(capacity=3)
    holder = sign_up(party=[{"name": "ลุง", "age_group": "adult"}, {"name": "ป้า", "age_group": "adult"}])
    held = book(holder, session_id).get_json()
    family = book(sign_up(party=CHILDREN), session_id).get_json()
    single = book(sign_up(), session_id).get_json()
    assert (held["status"], family["status"], single["status"]) == ("confirmed", "waitlisted", "waitlisted")

    changed = client.patch(f"/api/v1/sessions/{session_id}", json={"age_groups": TEENS_AND_UP}, headers=organiser)
    assert changed.status_code == 200
    assert client.delete(f"/api/v1/passes/{holder['manage_token']}/bookings/{held['id']}").status_code == 200
    with app.app_context():
        assert db.session.get(Booking, family["id"]).status == "waitlisted"  # keeps its place, not promoted
        assert db.session.get(Booking, single["id"]).status == "confirmed"
        db.session.remove()


@pytest.mark.parametrize(("lang", "words"), [
    ("th", ["ที่นั่งสำหรับผู้ที่อยู่ในบัตรของคุณซึ่งเป็น", "เด็ก (ต่ำกว่า 13 ปี)",
            "ผู้ใหญ่ที่พาเด็กมาเข้าร่วมได้โดยไม่ต้องใช้ที่นั่ง"]),
    ("en", ["Seats are for the people on your pass who are:", "Children (under 13)",
            "An adult who brings the children comes along without a seat."]),
])
def test_the_booking_page_says_who_the_seats_are_for_before_booking(client, workshop, lang, words):
    session_id = workshop(capacity=10, age_groups=["child"])
    html = client.get(f"/sessions/{session_id}/book?lang={lang}").get_data(as_text=True)
    form = html[html.index("data-book-form"):html.index("</form>")]
    for word in words:
        assert word in form
    assert form.index("data-seat-rule") < form.index('type="submit"')


def test_the_pass_page_names_whose_seats_it_books(client, sign_up, workshop):
    session_id = workshop(capacity=10, age_groups=TEENS_AND_UP, title_en="Batik for grown-ups")
    family = sign_up(party=[*CHILDREN, {"name": "พี่ต้น", "age_group": "teen"}])
    html = client.get(f"/passes/{family['manage_token']}?book={session_id}&lang=en").get_data(as_text=True)
    seated = html[html.index("data-seated"):html.index("</ul>", html.index("data-seated"))]
    assert "สมชาย ใจดี" in seated and "พี่ต้น" in seated and "น้องฝน" not in seated
    assert "Book 2 seats" in html

    children_only = workshop(capacity=10, age_groups=["senior"], starts_at=FUTURE.replace(hour=8))
    html = client.get(f"/passes/{family['manage_token']}?book={children_only}&lang=th").get_data(as_text=True)
    assert "ไม่มีใครในบัตรของคุณอยู่ในช่วงวัยที่กิจกรรมนี้รับ" in html and "data-seated-none" in html
