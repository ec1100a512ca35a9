"""Conditional GET for the public programme: the API and the page answer 304 while nothing they show changed.

Every change a visitor could see (an edit, a move, a venue, a booth, a cancellation, a booking
moving seats_left, publishing) must give a new ETag, or a phone would keep an old programme.
"""
from datetime import datetime, timedelta, timezone

from app.conditional import PRIVATE_REVALIDATE, PUBLIC_REVALIDATE
from app.database import db
from events import services
from events.models import Festival
from tests.conftest import login
from tests.events.conftest import session_fields

URL = "/api/v1/festivals/learning-city-days/sessions"
PAGE = "/festivals/learning-city-days"


def publish(client, world):
    assert client.patch(f"/api/v1/festivals/{world.slug}", json={"status": "published"}, headers=world.admin).status_code == 200


def add_session(client, world, **changes):
    answer = client.post(f"/api/v1/festivals/{world.slug}/sessions", json=session_fields(**changes),
                         headers=world.bangkok_organiser)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def etag_of(client, url, **headers):
    answer = client.get(url, headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    return answer.headers["ETag"]


def changed(client, url, etag):
    """The answer to the old ETag is a full 200 with a new one; that one gets a 304 again."""
    answer = client.get(url, headers={"If-None-Match": etag})
    assert answer.status_code == 200 and answer.get_data(), "a change kept the old version"
    assert answer.headers["ETag"] != etag
    assert client.get(url, headers={"If-None-Match": answer.headers["ETag"]}).status_code == 304
    return answer.headers["ETag"]


def sign_up(client, world):
    body = {"name": "สมชาย ใจดี", "email": "visitor@example.org", "phone": "081 234 5678", "age_group": "adult",
            "party": [], "consent": True, "locale": "th"}
    answer = client.post(f"/api/v1/festivals/{world.slug}/passes", json=body)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["manage_token"]


# --- the API ------------------------------------------------------------------


def test_the_programme_carries_an_etag_and_the_same_request_with_it_gets_an_empty_304(client, world):
    publish(client, world)
    add_session(client, world, venue_id=world.room_id)
    first = client.get(URL)
    assert first.status_code == 200 and len(first.get_json()) == 1
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    assert first.headers["Cache-Control"] == PUBLIC_REVALIDATE

    again = client.get(URL, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    # A 304 repeats the validator and the caching rules its 200 had.
    assert again.headers["ETag"] == etag and again.headers["Cache-Control"] == PUBLIC_REVALIDATE

    # The strong form a proxy may send back, and one tag among several, match too.
    assert client.get(URL, headers={"If-None-Match": etag[2:]}).status_code == 304
    assert client.get(URL, headers={"If-None-Match": f'"other", {etag}'}).status_code == 304
    assert client.get(URL, headers={"If-None-Match": '"other"'}).status_code == 200
    # A caller with a token sees the same published programme: the same version.
    assert etag_of(client, URL, **world.bangkok_organiser) == etag


def test_every_change_a_visitor_can_see_gives_a_new_etag(client, world):
    publish(client, world)
    session_id = add_session(client, world, venue_id=world.room_id, capacity=2)
    etag = etag_of(client, URL)

    def organiser(method, url, body):
        answer = client.open(url, method=method, json=body, headers=world.bangkok_organiser)
        assert answer.status_code in (200, 201), answer.get_json()
        return answer.get_json()

    organiser("PATCH", f"/api/v1/sessions/{session_id}", {"title_en": "Lacquerware for beginners"})
    etag = changed(client, URL, etag)
    organiser("PATCH", f"/api/v1/sessions/{session_id}",
              {"starts_at": "2027-08-22T13:00:00+07:00", "ends_at": "2027-08-22T14:00:00+07:00"})
    etag = changed(client, URL, etag)
    organiser("PATCH", f"/api/v1/sessions/{session_id}", {"venue_id": world.stage_id})
    etag = changed(client, URL, etag)
    # Venues have no updated_at of their own: their shown fields count directly.
    organiser("PATCH", f"/api/v1/venues/{world.stage_id}", {"kind": "zone"})
    etag = changed(client, URL, etag)
    organiser("PATCH", f"/api/v1/venues/{world.room_id}", {"sort_order": 7})
    etag = changed(client, URL, etag)
    venue = organiser("POST", f"/api/v1/festivals/{world.slug}/venues", {"name_en": "Courtyard", "kind": "zone"})
    etag = changed(client, URL, etag)
    other_id = add_session(client, world, venue_id=venue["id"], title_en="Courtyard talk", kind="talk")
    etag = changed(client, URL, etag)

    token = sign_up(client, world)
    booked = client.post(f"/api/v1/passes/{token}/bookings", json={"session_id": session_id})
    assert booked.status_code == 201, booked.get_json()
    etag = changed(client, URL, etag)
    assert next(s for s in client.get(URL).get_json() if s["id"] == session_id)["seats_left"] == 1
    assert client.delete(f"/api/v1/passes/{token}/bookings/{booked.get_json()['id']}").status_code in (200, 204)
    etag = changed(client, URL, etag)
    assert next(s for s in client.get(URL).get_json() if s["id"] == session_id)["seats_left"] == 2

    organiser("PATCH", f"/api/v1/sessions/{session_id}", {"status": "cancelled"})
    etag = changed(client, URL, etag)
    assert client.delete(f"/api/v1/sessions/{other_id}", headers=world.bangkok_organiser).status_code == 204
    etag = changed(client, URL, etag)
    organiser("PATCH", f"/api/v1/festivals/{world.slug}", {"timezone": "Asia/Tokyo"})
    changed(client, URL, etag)


def test_a_filter_is_part_of_the_version_and_the_language_is_not(client, world):
    publish(client, world)
    add_session(client, world, venue_id=world.room_id)
    add_session(client, world, venue_id=world.stage_id, kind="talk")
    whole = etag_of(client, URL)
    talks = etag_of(client, URL + "?kind=talk")
    assert len({whole, talks, etag_of(client, URL + "?day=2027-08-22")}) == 3
    assert client.get(URL + "?kind=talk", headers={"If-None-Match": whole}).status_code == 200
    # The same filters in another order are the same question.
    assert etag_of(client, URL + "?day=2027-08-22&kind=talk") == etag_of(client, URL + "?kind=talk&day=2027-08-22")
    # The JSON carries both languages: the same answer, so the same version, whatever language is asked for.
    thai = client.get(URL, headers={"Accept-Language": "th"})
    english = client.get(URL, headers={"Accept-Language": "en", "Cookie": "lang=en"})
    assert thai.get_data() == english.get_data() and thai.headers["ETag"] == english.headers["ETag"] == whole


def test_a_draft_is_kept_private_and_publishing_changes_the_version(client, world):
    add_session(client, world, venue_id=world.room_id)
    assert client.get(URL).status_code == 404  # drafts are invisible to the public, with or without a tag
    draft = client.get(URL, headers=world.bangkok_organiser)
    assert draft.status_code == 200
    assert draft.headers["Cache-Control"] == PRIVATE_REVALIDATE and "public" not in draft.headers["Cache-Control"]
    assert client.get(URL, headers={"If-None-Match": draft.headers["ETag"]}).status_code == 404
    again = client.get(URL, headers={**world.bangkok_organiser, "If-None-Match": draft.headers["ETag"]})
    assert again.status_code == 304 and again.headers["Cache-Control"] == PRIVATE_REVALIDATE

    publish(client, world)
    public = client.get(URL, headers={"If-None-Match": draft.headers["ETag"]})
    assert public.status_code == 200 and public.headers["ETag"] != draft.headers["ETag"]
    assert public.headers["Cache-Control"] == PUBLIC_REVALIDATE


def test_a_refusal_is_still_the_json_error_and_never_a_304(client, world):
    publish(client, world)
    etag = etag_of(client, URL)
    answer = client.get(URL + "?kind=juggling", headers={"If-None-Match": etag})
    assert answer.status_code == 422
    assert {"code", "message", "field", "errors"} <= set(answer.get_json())
    missing = client.get("/api/v1/festivals/no-such-festival/sessions", headers={"If-None-Match": "*"})
    assert missing.status_code == 404 and missing.get_json()["code"] == "not_found"


def test_the_openapi_document_lists_the_304_and_the_etag(client):
    operation = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/festivals/{slug}/sessions"]["get"]
    assert "304" in operation["responses"]
    assert "ETag" in operation["responses"]["200"]["headers"]


# --- the page -----------------------------------------------------------------


def test_the_programme_page_answers_304_per_day_filter_and_language(client, world):
    publish(client, world)
    add_session(client, world, venue_id=world.room_id)
    first = client.get(PAGE)
    assert first.status_code == 200 and "เครื่องเขิน" in first.get_data(as_text=True)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == PUBLIC_REVALIDATE
    assert {"Accept-Language", "Cookie"} <= set(first.vary)
    again = client.get(PAGE, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert {"Accept-Language", "Cookie"} <= set(again.vary) and again.headers["ETag"] == etag

    versions = {
        etag,
        etag_of(client, PAGE + "?day=2027-08-23"),
        etag_of(client, PAGE + "?kind=talk"),
        etag_of(client, PAGE + "?view=stage"),
        etag_of(client, PAGE, **{"Accept-Language": "en"}),
    }
    assert len(versions) == 5
    client.set_cookie("lang", "en")
    assert etag_of(client, PAGE) == etag_of(client, PAGE, **{"Accept-Language": "en"}) != etag
    client.delete_cookie("lang")
    # ?lang= sets the language cookie: that answer is not for shared caches.
    chosen = client.get(PAGE + "?lang=en")
    assert chosen.headers["Cache-Control"] == PRIVATE_REVALIDATE and chosen.headers["ETag"] not in versions


def test_the_page_changes_its_version_with_the_programme_and_the_booths(client, world):
    publish(client, world)
    session_id = add_session(client, world, venue_id=world.room_id, capacity=5)
    etag = etag_of(client, PAGE)
    assert client.patch(f"/api/v1/sessions/{session_id}", json={"title_th": "เครื่องเขินสำหรับผู้เริ่มต้น"},
                        headers=world.bangkok_organiser).status_code == 200
    etag = changed(client, PAGE, etag)
    token = sign_up(client, world)
    assert client.post(f"/api/v1/passes/{token}/bookings", json={"session_id": session_id}).status_code == 201
    etag = changed(client, PAGE, etag)
    booth = client.post(f"/api/v1/festivals/{world.slug}/booths", json={"code": "A1", "name_en": "Weavers"},
                        headers=world.bangkok_organiser)
    assert booth.status_code == 201, booth.get_json()
    etag = changed(client, PAGE, etag)
    # Booths have no updated_at: an edit that keeps the count must still show.
    assert client.patch(f"/api/v1/booths/{booth.get_json()['id']}", json={"exhibitor": "Ban Rai weavers"},
                        headers=world.bangkok_organiser).status_code == 200
    changed(client, PAGE, etag)


def test_the_page_version_moves_when_a_session_starts_and_when_the_day_turns(app, world, make_session):
    starts = datetime(2027, 8, 22, 3, 0, tzinfo=timezone.utc)
    make_session(world.festival_id, starts_at=starts, capacity=10)
    with app.test_request_context(PAGE):
        festival = db.session.get(Festival, world.festival_id)  # a draft: the version does not care

        def version(now):
            return services.page_version(festival, [], "th", "localhost", now)

        before = version(starts - timedelta(minutes=1))
        # A minute earlier is the same page; the start turns "Book" into "Booking closed".
        assert version(starts - timedelta(minutes=2)) == before
        assert version(starts) != before
        # Bangkok's midnight: the default day and "has ended" follow the festival's today.
        evening = datetime(2027, 8, 22, 16, 59, tzinfo=timezone.utc)
        assert version(evening) != version(evening + timedelta(minutes=2))


def test_signed_in_and_draft_pages_are_private_and_built_every_time(app, client, world, make_user):
    add_session(client, world, venue_id=world.room_id)
    make_user("organiser", world.bangkok, password="organiser-pass-1", email="noi@example.org")
    login(client, "noi@example.org", "organiser-pass-1")
    draft = client.get(PAGE)
    assert draft.status_code == 200 and 'class="ev-draft-banner"' in draft.get_data(as_text=True)
    assert draft.headers["Cache-Control"] == PRIVATE_REVALIDATE and "ETag" not in draft.headers
    publish(client, world)
    published = client.get(PAGE, headers={"If-None-Match": "*"})
    # Its CSRF token and console link are this user's: no validator, no 304.
    assert published.status_code == 200 and published.headers["Cache-Control"] == PRIVATE_REVALIDATE
    assert "ETag" not in published.headers


def test_api_answers_do_not_vary_on_the_console_cookie_but_pages_do(client, world, make_user):
    """The API reads tokens only: a shared cache may keep one public programme for every caller."""
    add_session(client, world, venue_id=world.room_id)
    publish(client, world)
    make_user("organiser", world.bangkok, password="organiser-pass-1", email="noi@example.org")
    login(client, "noi@example.org", "organiser-pass-1")  # the client now sends a console cookie
    for answer in (client.get(URL), client.get(f"/api/v1/festivals/{world.slug}"), client.get("/api/v1/nowhere")):
        assert "Cookie" not in answer.vary, (answer.request.path, answer.vary)
        assert "Set-Cookie" not in answer.headers
    assert client.get(URL).headers["Cache-Control"] == PUBLIC_REVALIDATE
    # The console still knows who is signed in, and its pages still say they depend on the cookie.
    page = client.get("/organiser/")
    assert page.status_code == 200 and "Cookie" in page.vary
