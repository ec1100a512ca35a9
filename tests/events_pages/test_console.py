"""The organiser console through its forms: sign in, create, edit, refuse, and stay in one's city."""
import re
from datetime import datetime, timezone

import sqlalchemy as sa

from app.database import db
from events.models import Booth, Festival, ProgrammeSession, Venue
from tests.conftest import csrf_from, login


def form_page(client, url):
    answer = client.get(url)
    assert answer.status_code == 200, (url, answer.status_code)
    html = answer.get_data(as_text=True)
    return html, csrf_from(html)


def count(app, model, **where):
    with app.app_context():
        query = sa.select(sa.func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return db.session.scalar(query)


def field_errors(html, field):
    return re.findall(rf'<p class="field-error" data-field="{field}">([^<]*)</p>', html)


def test_anonymous_visitors_are_sent_to_sign_in(client, programme):
    for url in ("/organiser/", f"/organiser/festivals/{programme.slug}", f"/organiser/festivals/{programme.slug}/sessions/new"):
        answer = client.get(url)
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/login?next=")


def test_organiser_creates_a_festival_adds_a_venue_and_a_session_through_the_forms(app, organiser_client, programme):
    client = organiser_client
    html, token = form_page(client, "/organiser/?lang=en")
    assert "Learning City Days 2099" in html  # the city's festivals are listed
    created = client.post("/organiser/", data={
        "csrf_token": token, "name_th": "เทศกาลเรียนรู้บางกอก", "name_en": "Bangkok Learning Fair",
        "slug": "bangkok-fair-2027", "starts_on": "2027-11-20", "ends_on": "2027-11-21",
        "timezone": "Asia/Bangkok", "venue_en": "Lumphini Park", "stamp_goal": "4", "allow_walk_ins": "y",
    })
    assert created.status_code == 303
    assert created.headers["Location"] == "/organiser/festivals/bangkok-fair-2027"
    with app.app_context():
        festival = db.session.scalar(sa.select(Festival).where(Festival.slug == "bangkok-fair-2027"))
        assert (festival.city_id, festival.status, festival.stamp_goal) == (programme.city_id, "draft", 4)
        assert festival.allow_walk_ins is True and festival.allow_self_checkin is False
        festival_id = festival.id
    landing = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "Festival created as a draft" in landing

    html, token = form_page(client, "/organiser/festivals/bangkok-fair-2027/venues/new")
    added = client.post("/organiser/festivals/bangkok-fair-2027/venues/new", data={
        "csrf_token": token, "name_th": "เวทีกลางแจ้ง", "name_en": "Open-air stage", "kind": "stage", "capacity": "300",
    })
    assert added.status_code == 303
    with app.app_context():
        venue = db.session.scalar(sa.select(Venue).where(Venue.festival_id == festival_id))
        assert (venue.name_en, venue.kind, venue.capacity) == ("Open-air stage", "stage", 300)
        venue_id = venue.id

    html, token = form_page(client, "/organiser/festivals/bangkok-fair-2027/sessions/new?lang=en")
    assert "Sunday 21 November 2027" in html  # the day choices are the festival's days
    added = client.post("/organiser/festivals/bangkok-fair-2027/sessions/new", data={
        "csrf_token": token, "title_th": "ดนตรีโปงลาง", "title_en": "Pong lang ensemble", "kind": "performance",
        "venue_id": str(venue_id), "day": "2027-11-21", "starts": "18:30", "ends": "19:15", "capacity": "",
        "themes": ["lifelong-culture", "family-community"], "age_groups": ["child", "adult"],
        "hosts": "Khon Kaen pong lang band\n\n", "language": "th",
    })
    assert added.status_code == 303
    assert "In a children's workshop, an accompanying adult takes a seat" in html
    with app.app_context():
        session = db.session.scalar(sa.select(ProgrammeSession).where(ProgrammeSession.festival_id == festival_id))
        assert session.starts_at == datetime(2027, 11, 21, 11, 30, tzinfo=timezone.utc)  # 18:30 in Bangkok
        assert session.ends_at == datetime(2027, 11, 21, 12, 15, tzinfo=timezone.utc)
        assert session.capacity is None and session.venue_id == venue_id
        assert session.themes == ["lifelong-culture", "family-community"] and session.age_groups == ["child", "adult"]
        assert session.hosts == ["Khon Kaen pong lang band"]
        assert session.adult_takes_seat is False  # the box left unticked
        session_id = session.id
    edit_url = f"/organiser/festivals/bangkok-fair-2027/sessions/{session_id}"
    html, token = form_page(client, edit_url + "?lang=th")
    assert "ในเวิร์กช็อปสำหรับเด็ก ผู้ใหญ่ที่พาเด็กมานับเป็นหนึ่งที่นั่งด้วย" in html
    ticked = client.post(edit_url, data={
        "csrf_token": token, "title_th": "ดนตรีโปงลาง", "title_en": "Pong lang ensemble", "kind": "workshop",
        "venue_id": str(venue_id), "day": "2027-11-21", "starts": "18:30", "ends": "19:15", "capacity": "12",
        "age_groups": ["child"], "adult_takes_seat": "y", "hosts": "", "language": "th",
    })
    assert ticked.status_code == 303
    with app.app_context():
        assert db.session.get(ProgrammeSession, session_id).adult_takes_seat is True
    overview = client.get("/organiser/festivals/bangkok-fair-2027?lang=en").get_data(as_text=True)
    assert "Pong lang ensemble" in overview and "18:30–19:15" in overview and "Open-air stage" in overview


def test_a_refused_session_shows_the_message_by_its_field_and_stores_nothing(app, organiser_client, programme):
    url = f"/organiser/festivals/{programme.slug}/sessions/new"
    before = count(app, ProgrammeSession, festival_id=programme.festival_id)
    _, token = form_page(organiser_client, url + "?lang=en")
    data = {"csrf_token": token, "title_en": "Backwards talk", "kind": "talk", "venue_id": "", "day": "2099-08-22",
            "starts": "14:00", "ends": "13:00", "language": "en"}
    answer = organiser_client.post(url + "?lang=en", data=data)
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert field_errors(html, "ends") == ["The session must end after it starts."]
    assert 'value="Backwards talk"' in html  # what was typed comes back
    thai = organiser_client.post(url + "?lang=th", data=data).get_data(as_text=True)
    assert field_errors(thai, "ends") == ["กิจกรรมต้องสิ้นสุดหลังเวลาเริ่ม"]
    assert count(app, ProgrammeSession, festival_id=programme.festival_id) == before


def test_a_clash_on_a_stage_is_shown_on_the_venue_field(app, organiser_client, programme):
    url = f"/organiser/festivals/{programme.slug}/sessions/new"
    _, token = form_page(organiser_client, url)
    answer = organiser_client.post(url + "?lang=en", data={
        "csrf_token": token, "title_en": "Double booked", "kind": "talk", "venue_id": str(programme.main_stage),
        "day": "2099-08-22", "starts": "10:30", "ends": "11:30", "language": "en",
    })
    assert answer.status_code == 422
    [message] = field_errors(answer.get_data(as_text=True), "venue_id")
    # The other session by its title in the reader's language, never by an internal id.
    assert message == "The venue is taken by “Weaving for children” at this time."
    thai = organiser_client.post(url + "?lang=th", data={
        "csrf_token": token, "title_th": "จองซ้อน", "kind": "talk", "venue_id": str(programme.main_stage),
        "day": "2099-08-22", "starts": "10:30", "ends": "11:30", "language": "th",
    })
    [message] = field_errors(thai.get_data(as_text=True), "venue_id")
    assert message == "สถานที่นี้ถูกใช้โดย “เวิร์กช็อปทอผ้าสำหรับเด็ก” ในเวลานี้แล้ว"
    assert str(programme.weaving) not in message
    assert count(app, ProgrammeSession, title_en="Double booked") == 0


def test_form_errors_from_the_form_itself_are_translated(app, organiser_client, programme):
    _, token = form_page(organiser_client, "/organiser/")
    answer = organiser_client.post("/organiser/?lang=th", data={
        "csrf_token": token, "name_en": "No dates", "starts_on": "someday", "ends_on": "", "timezone": "Asia/Bangkok",
        "stamp_goal": "five",
    })
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert field_errors(html, "starts_on") == ["วันที่ไม่ถูกต้อง"]
    assert field_errors(html, "ends_on") == ["จำเป็นต้องกรอกช่องนี้"]
    assert field_errors(html, "stamp_goal") == ["ต้องเป็นจำนวนเต็ม"]
    assert count(app, Festival) == 1


def test_a_duplicate_festival_address_is_refused_next_to_the_slug(app, organiser_client, programme):
    _, token = form_page(organiser_client, "/organiser/")
    answer = organiser_client.post("/organiser/?lang=en", data={
        "csrf_token": token, "name_en": "Copy", "slug": programme.slug, "starts_on": "2027-01-01",
        "ends_on": "2027-01-01", "timezone": "Asia/Bangkok", "stamp_goal": "5",
    })
    assert answer.status_code == 422
    assert field_errors(answer.get_data(as_text=True), "slug") == [
        f"A festival with the web address {programme.slug} exists already."
    ] or field_errors(answer.get_data(as_text=True), "slug")[0].startswith("A festival with the slug")
    assert count(app, Festival) == 1


def test_edit_publish_and_cancel(app, organiser_client, programme, make_festival):
    draft_id = make_festival(programme.city_id, slug="draft-2027", status="draft")
    html, token = form_page(organiser_client, "/organiser/festivals/draft-2027?lang=en")
    assert ">Publish<" in html
    published = organiser_client.post("/organiser/festivals/draft-2027/status", data={"csrf_token": token, "status": "published"})
    assert published.status_code == 303
    with app.app_context():
        assert db.session.get(Festival, draft_id).status == "published"

    url = f"/organiser/festivals/{programme.slug}"
    html, token = form_page(organiser_client, url + "?lang=en")
    assert 'value="Learning City Days 2099"' in html
    saved = organiser_client.post(url, data={
        "csrf_token": token, "slug": programme.slug, "name_th": "วันเมืองแห่งการเรียนรู้ 2642",
        "name_en": "Learning City Days, Bangkok", "starts_on": "2099-08-22", "ends_on": "2099-08-23",
        "timezone": "Asia/Bangkok", "stamp_goal": "6", "allow_self_checkin": "y",
    })
    assert saved.status_code == 303
    with app.app_context():
        festival = db.session.get(Festival, programme.festival_id)
        assert (festival.name_en, festival.stamp_goal, festival.allow_self_checkin, festival.allow_walk_ins) == (
            "Learning City Days, Bangkok", 6, True, False)

    # shrinking the festival would orphan its sessions: refused, shown, nothing changed
    refused = organiser_client.post(url + "?lang=en", data={
        "csrf_token": token, "slug": programme.slug, "name_en": "Shorter", "starts_on": "2099-08-22",
        "ends_on": "2099-08-22", "timezone": "Asia/Bangkok", "stamp_goal": "6",
    })
    assert refused.status_code == 422
    assert "would fall outside the festival" in field_errors(refused.get_data(as_text=True), "starts_on")[0]
    with app.app_context():
        assert db.session.get(Festival, programme.festival_id).ends_on.isoformat() == "2099-08-23"

    edit = f"{url}/sessions/{programme.forum}"
    html, token = form_page(organiser_client, edit + "?lang=en")
    assert 'value="13:00"' in html and 'value="Learning city forum"' in html
    cancelled = organiser_client.post(edit + "/cancel", data={"csrf_token": token})
    assert cancelled.status_code == 303
    with app.app_context():
        assert db.session.get(ProgrammeSession, programme.forum).status == "cancelled"
    public = organiser_client.get(f"/festivals/{programme.slug}?lang=en").get_data(as_text=True)
    assert "<s>Learning city forum</s>" in public

    deleted = organiser_client.post(f"{url}/sessions/{programme.talk}/delete", data={"csrf_token": token})
    assert deleted.status_code == 303
    assert count(app, ProgrammeSession, id=programme.talk) == 0


def test_booth_through_the_form(app, organiser_client, programme):
    url = f"/organiser/festivals/{programme.slug}/booths/new"
    _, token = form_page(organiser_client, url)
    answer = organiser_client.post(url, data={
        "csrf_token": token, "code": "B3", "name_th": "บูธกสศ.", "name_en": "EEF booth", "exhibitor": "EEF",
        "venue_id": "", "themes": ["inclusive-education"],
    })
    assert answer.status_code == 303
    with app.app_context():
        booth = db.session.scalar(sa.select(Booth))
        assert (booth.code, booth.exhibitor, booth.themes, booth.venue_id) == ("B3", "EEF", ["inclusive-education"], None)
    again = organiser_client.post(url + "?lang=en", data={"csrf_token": token, "code": "B3", "name_en": "Another"})
    assert again.status_code == 422
    assert field_errors(again.get_data(as_text=True), "code") == ["Booth B3 exists already."]
    assert count(app, Booth) == 1


def test_another_citys_organiser_gets_403_and_changes_nothing(app, client, programme, make_city, make_user):
    other = make_city("chiang-mai", "เชียงใหม่", "Chiang Mai")
    make_user("organiser", other, password="pw-cm-organiser", email="cm@example.org")
    login(client, "cm@example.org", "pw-cm-organiser")
    _, token = form_page(client, "/organiser/")
    for url in (f"/organiser/festivals/{programme.slug}", f"/organiser/festivals/{programme.slug}/sessions/new",
                f"/organiser/festivals/{programme.slug}/sessions/{programme.weaving}",
                f"/organiser/festivals/{programme.slug}/venues/{programme.main_stage}"):
        assert client.get(url).status_code == 403, url
    answer = client.post(f"/organiser/festivals/{programme.slug}/venues/new",
                         data={"csrf_token": token, "name_en": "Intruder stage", "kind": "stage"})
    assert answer.status_code == 403
    answer = client.post(f"/organiser/festivals/{programme.slug}/sessions/{programme.weaving}/cancel",
                         data={"csrf_token": token})
    assert answer.status_code == 403
    assert count(app, Venue, name_en="Intruder stage") == 0
    with app.app_context():
        assert db.session.get(ProgrammeSession, programme.weaving).status == "scheduled"
    # and the list shows only their own city's festivals
    assert "Learning City Days 2099" not in client.get("/organiser/?lang=en").get_data(as_text=True)


def test_staff_may_not_use_the_programme_console(client, programme, make_user):
    make_user("staff", programme.city_id, password="pw-staff-1", email="gate@example.org")
    login(client, "gate@example.org", "pw-staff-1")
    assert client.get(f"/organiser/festivals/{programme.slug}").status_code == 403


def test_a_form_without_its_csrf_token_is_refused(app, organiser_client, programme):
    answer = organiser_client.post(f"/organiser/festivals/{programme.slug}/venues/new",
                                   data={"name_en": "Sneaky stage", "kind": "stage"})
    assert answer.status_code == 400
    answer = organiser_client.post(f"/organiser/festivals/{programme.slug}/sessions/{programme.weaving}/cancel")
    assert answer.status_code == 400
    assert count(app, Venue, name_en="Sneaky stage") == 0
    with app.app_context():
        assert db.session.get(ProgrammeSession, programme.weaving).status == "scheduled"


def test_unknown_ids_and_foreign_ids_are_404(organiser_client, programme, make_festival, make_session):
    other = make_festival(programme.city_id, slug="other-fest")
    foreign = make_session(other)
    base = f"/organiser/festivals/{programme.slug}"
    assert organiser_client.get(f"{base}/sessions/{foreign}").status_code == 404
    assert organiser_client.get(f"{base}/sessions/99999999999").status_code == 404
    assert organiser_client.get(f"{base}/booths/5").status_code == 404
    assert organiser_client.get("/organiser/festivals/no-such").status_code == 404


def test_admin_sees_every_city_and_picks_the_city(app, client, programme, make_city, make_user, make_festival):
    other = make_city("phuket", "ภูเก็ต", "Phuket")
    make_festival(other, slug="phuket-days", status="draft", name_en="Phuket Learning Days")
    make_user("admin", password="pw-admin-1", email="boss@example.org")
    login(client, "boss@example.org", "pw-admin-1")
    html, token = form_page(client, "/organiser/?lang=en")
    assert "Learning City Days 2099" in html and "Phuket Learning Days" in html
    assert 'name="city_id"' in html
    created = client.post("/organiser/", data={
        "csrf_token": token, "city_id": str(other), "name_en": "Phuket Fair", "starts_on": "2027-02-01",
        "ends_on": "2027-02-02", "timezone": "Asia/Bangkok", "stamp_goal": "5",
    })
    assert created.status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(Festival.city_id).where(Festival.name_en == "Phuket Fair")) == other
