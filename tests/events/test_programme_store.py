"""The stored programme: a published programme is rendered once per version, its seats merged in live.

Counted, never timed: a rendering (API or page) reads the programme (events.programme.programme), and a
rendering of the page renders events/programme.html; an answer served from the store does neither.
"""
import gzip
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import redis
import sqlalchemy as sa
from flask import template_rendered

from app.database import db
from events import programme_store, programme_version
from events.pages import public
from tests.events.test_programme_caching import URL, PAGE, add_session, publish, sign_up

ROOT = Path(__file__).resolve().parents[2]
DAY_PAGE = PAGE + "?day=2027-08-22"
ENGLISH = {"Accept-Language": "en"}


@contextmanager
def renderings(app, seats=False, versions=False):
    """Counts full reads of the sessions (every rendering, API or page, makes one) and page renderings;
    with seats=True, also the live seats queries (events.programme_store.live_seats); with versions=True,
    the version's statements (events.programme_version)."""
    counts = {"reads": 0, "page": 0, **({"seats": 0} if seats else {}), **({"versions": 0} if versions else {})}

    def on_statement(conn, cursor, statement, parameters, context, executemany):
        if "FROM sessions LEFT OUTER JOIN venues" in statement:  # events.programme.programme()
            counts["reads"] += 1
        if seats and "sessions.seats_confirmed, sessions.walk_in_seats" in statement and "sum(" not in statement:
            counts["seats"] += 1
        if versions and "UNION ALL" in statement and "sum(sessions.seats_confirmed)" in statement:
            counts["versions"] += 1

    def on_template(sender, template, context, **extra):
        if template.name == "events/programme.html":
            counts["page"] += 1

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", on_statement)
    template_rendered.connect(on_template, app)
    try:
        yield counts
    finally:
        sa.event.remove(engine, "before_cursor_execute", on_statement)
        template_rendered.disconnect(on_template, app)


def book(client, world, session_id):
    token = sign_up(client, world)
    answer = client.post(f"/api/v1/passes/{token}/bookings", json={"session_id": session_id})
    assert answer.status_code == 201, answer.get_json()


def seats_of(client, session_id):
    return next(s["seats_left"] for s in client.get(URL).get_json() if s["id"] == session_id)


def test_the_second_request_is_served_from_the_store_and_the_same_as_a_rendering(app, client, world):
    publish(client, world)
    add_session(client, world, venue_id=world.room_id, capacity=2)
    add_session(client, world, title_en="Open talk", capacity=None, starts_at="2027-08-22T13:00:00+07:00",
                ends_at="2027-08-22T14:00:00+07:00")
    with renderings(app) as counts:
        first = client.get(URL)
        second = client.get(URL)
        page_first = client.get(DAY_PAGE, headers=ENGLISH)
        page_second = client.get(DAY_PAGE, headers=ENGLISH)
    assert counts == {"reads": 2, "page": 1}  # one for the API answer, one for the page
    assert first.status_code == second.status_code == 200
    assert second.get_json() == first.get_json() and second.mimetype == "application/json"
    assert [s["seats_left"] for s in second.get_json()] == [2, None]
    assert page_second.get_data(as_text=True) == page_first.get_data(as_text=True)
    assert "2 seats left" in page_second.get_data(as_text=True)


def test_a_programme_change_is_seen_at_once(app, client, world):
    publish(client, world)
    session_id = add_session(client, world, venue_id=world.room_id)
    client.get(URL), client.get(DAY_PAGE, headers=ENGLISH)
    patched = client.patch(f"/api/v1/sessions/{session_id}", json={"title_en": "Renamed workshop"},
                           headers=world.bangkok_organiser)
    assert patched.status_code == 200, patched.get_json()
    assert client.get(URL).get_json()[0]["title_en"] == "Renamed workshop"
    assert "Renamed workshop" in client.get(DAY_PAGE, headers=ENGLISH).get_data(as_text=True)
    added = add_session(client, world, title_en="Second one", starts_at="2027-08-22T15:00:00+07:00",
                        ends_at="2027-08-22T16:00:00+07:00")
    assert [s["id"] for s in client.get(URL).get_json()] == [session_id, added]
    assert "Second one" in client.get(DAY_PAGE, headers=ENGLISH).get_data(as_text=True)


def test_a_booking_changes_the_seats_shown_without_a_rendering(app, client, world):
    publish(client, world)
    session_id = add_session(client, world, venue_id=world.room_id, capacity=1)
    etag = client.get(URL).headers["ETag"]
    assert "1 seat left" in client.get(DAY_PAGE, headers=ENGLISH).get_data(as_text=True)
    with renderings(app) as counts:
        book(client, world, session_id)
        answer = client.get(URL, headers={"If-None-Match": etag})
        page = client.get(DAY_PAGE, headers=ENGLISH).get_data(as_text=True)
    assert counts == {"reads": 0, "page": 0}
    # The old ETag no longer matches: a full answer with the seat gone and a new ETag.
    assert answer.status_code == 200 and answer.headers["ETag"] != etag
    assert answer.get_json()[0]["seats_left"] == 0 and answer.get_json()[0]["waitlist_length"] == 0
    assert "Full — join the waitlist" in page and "seat left" not in page
    assert client.get(URL, headers={"If-None-Match": answer.headers["ETag"]}).status_code == 304


def test_with_redis_down_the_programme_is_rendered_from_the_database(app, client, world, monkeypatch):
    publish(client, world)
    session_id = add_session(client, world, venue_id=world.room_id, capacity=3)
    monkeypatch.setattr(programme_store, "_redis_rests_until", 0.0)
    # Nothing listens on port 1: every command fails at once, as with a server that is down.
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, socket_timeout=0.2)
    monkeypatch.setitem(app.extensions, "thetsakan_redis", dead)
    with renderings(app) as counts:
        first = client.get(URL)
        book(client, world, session_id)
        second = client.get(URL)
        page = client.get(DAY_PAGE, headers=ENGLISH)
    assert first.status_code == second.status_code == page.status_code == 200
    assert first.get_json()[0]["seats_left"] == 3 and second.get_json()[0]["seats_left"] == 2
    assert "2 seats left" in page.get_data(as_text=True)
    # Rendered from the database once each; after the booking, this process's rendering gets the live seats.
    assert counts == {"reads": 2, "page": 1}
    assert client.get(URL, headers={"If-None-Match": second.headers["ETag"]}).status_code == 304


def test_a_draft_is_never_stored(app, client, world):
    add_session(client, world, venue_id=world.room_id)
    with renderings(app) as counts:
        for _ in range(2):
            assert client.get(URL, headers=world.bangkok_organiser).status_code == 200
    assert counts["reads"] == 2


@pytest.mark.parametrize("url", [URL, DAY_PAGE])
def test_an_unreadable_stored_rendering_is_rendered_again(app, client, world, url):
    publish(client, world)
    add_session(client, world, venue_id=world.room_id)
    good = client.get(url, headers=ENGLISH).get_data()
    with app.app_context():
        store = programme_store.connection()
        for name in store.scan_iter("programme:*"):
            store.set(name, b"not json")
    programme_store.kept.clear()  # as a process that has not served it yet
    assert client.get(url, headers=ENGLISH).get_data() == good


def forget_redis_copies(app):
    with app.app_context():
        store = programme_store.connection()
        for name in store.scan_iter("programme:*"):
            store.delete(name)


def test_an_unchanged_programme_is_a_ready_answer_of_the_process(app, client, world):
    """Neither Redis's copy, nor a rendering, nor the seats query, nor the version's statement: the
    process keeps the version's reading under the programme's generation, and nothing changed it."""
    publish(client, world)
    add_session(client, world, venue_id=world.room_id, capacity=2)
    first, page_first = client.get(URL), client.get(DAY_PAGE, headers=ENGLISH)
    forget_redis_copies(app)
    with renderings(app, seats=True, versions=True) as counts:
        second, page_second = client.get(URL), client.get(DAY_PAGE, headers=ENGLISH)
    assert counts == {"reads": 0, "page": 0, "seats": 0, "versions": 0}
    assert second.get_data() == first.get_data() and page_second.get_data() == page_first.get_data()
    assert second.headers["ETag"] == first.headers["ETag"]


def test_after_a_booking_the_process_fills_its_own_rendering_with_the_live_seats(app, client, world):
    publish(client, world)
    session_id = add_session(client, world, venue_id=world.room_id, capacity=2)
    client.get(URL), client.get(DAY_PAGE, headers=ENGLISH)
    forget_redis_copies(app)
    book(client, world, session_id)
    with renderings(app, seats=True) as counts:
        answer, page = client.get(URL), client.get(DAY_PAGE, headers=ENGLISH).get_data(as_text=True)
    assert counts == {"reads": 0, "page": 0, "seats": 2}
    assert answer.get_json()[0]["seats_left"] == 1 and "1 seat left" in page


# Another node (a web process, a worker running an import) writes with the app's own models, as any
# of its code might, and tells this process nothing but what the commit's listeners do.
OTHER_NODE = """
import sys
from app import create_app
from app.database import db
from events.models import ProgrammeSession, Venue
database, redis_url, instance, change, session_id, venue_id = sys.argv[1:]
app = create_app({"TESTING": True, "RATELIMIT_ENABLED": True, "SQLALCHEMY_DATABASE_URI": database,
                  "REDIS_URL": redis_url, "SECRET_KEY": "test-secret-key-not-for-production", "INSTANCE_DIR": instance})
with app.app_context():
    session = db.session.get(ProgrammeSession, int(session_id))
    if change == "title":  # its update_session: the change and the raised sequence
        session.title_en, session.sequence = "Moved upstairs", session.sequence + 1
    elif change == "seat":  # its booking: a seat taken
        session.seats_confirmed += 1
    else:
        db.session.get(Venue, int(venue_id)).name_en = "The upstairs hall"
    db.session.commit()
"""


def change_on_another_node(app, world, change, session_id):
    changed = subprocess.run(
        [sys.executable, "-c", OTHER_NODE, app.config["SQLALCHEMY_DATABASE_URI"], app.config["REDIS_URL"],
         app.config["INSTANCE_DIR"], change, str(session_id), str(world.room_id)],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert changed.returncode == 0, changed.stderr[-3000:]


def test_changes_committed_by_another_node_are_seen_at_once(app, client, world):
    """Both this process's kept answers and its kept version reading are read again after another
    process's commit: without the generation replaced there, the old title and seats stayed."""
    publish(client, world)
    session_id = add_session(client, world, venue_id=world.room_id, capacity=2)
    client.get(URL), client.get(DAY_PAGE, headers=ENGLISH)
    change_on_another_node(app, world, "title", session_id)
    assert client.get(URL).get_json()[0]["title_en"] == "Moved upstairs"
    assert "Moved upstairs" in client.get(DAY_PAGE, headers=ENGLISH).get_data(as_text=True)
    change_on_another_node(app, world, "seat", session_id)
    assert client.get(URL).get_json()[0]["seats_left"] == 1
    assert "1 seat left" in client.get(DAY_PAGE, headers=ENGLISH).get_data(as_text=True)
    change_on_another_node(app, world, "venue", session_id)
    assert "The upstairs hall" in client.get(DAY_PAGE, headers=ENGLISH).get_data(as_text=True)


def test_a_change_committed_while_redis_hangs_is_seen_within_the_keeping_time(app, client, world, hanging_redis):
    """The other node could not replace the generation: this process's kept reading is read again
    after KEEP_SECONDS all the same (it failed so without the limit: the old title stayed)."""
    publish(client, world)
    session_id = add_session(client, world, venue_id=world.room_id, capacity=2)
    phone = hanging_redis.app_process().test_client()
    kept_at = time.monotonic()
    assert "Lacquerware workshop" in phone.get(DAY_PAGE, headers=ENGLISH).get_data(as_text=True)
    hanging_redis.commit_while_hung(OTHER_NODE, "title", session_id, world.room_id)
    if time.monotonic() - kept_at < programme_version.KEEP_SECONDS - 0.5:
        assert "Lacquerware workshop" in phone.get(DAY_PAGE, headers=ENGLISH).get_data(as_text=True)
    time.sleep(max(0.0, programme_version.KEEP_SECONDS - (time.monotonic() - kept_at)) + 0.5)
    assert "Moved upstairs" in phone.get(DAY_PAGE, headers=ENGLISH).get_data(as_text=True)


def test_the_process_keeps_what_was_used_last_within_its_budget():
    kept = programme_store.Kept(budget=100)
    kept.put("a", b"a", 40)
    kept.put("b", b"b", 40)
    assert kept.get("a") == b"a"  # used: "b" is now the oldest
    kept.put("c", b"c", 40)
    assert kept.get("b") is None and kept.get("a") == b"a" and kept.get("c") == b"c"
    kept.put("huge", b"h", 101)  # never kept, and pushes nothing out
    assert kept.get("huge") is None and len(kept) == 2


def test_after_a_booking_the_page_draws_again_only_the_card_whose_seats_moved(app, client, world, monkeypatch):
    publish(client, world)
    booked = add_session(client, world, venue_id=world.room_id, capacity=2)
    add_session(client, world, title_en="Other workshop", capacity=5, starts_at="2027-08-22T13:00:00+07:00",
                ends_at="2027-08-22T14:00:00+07:00")
    first = client.get(DAY_PAGE, headers=ENGLISH).get_data(as_text=True)
    assert "2 seats left" in first and "5 seats left" in first
    book(client, world, booked)
    drawn, draw = [], public.seat_line
    monkeypatch.setattr(public, "seat_line", lambda *args: drawn.append(args[1]) or draw(*args))
    after = client.get(DAY_PAGE, headers=ENGLISH).get_data(as_text=True)
    assert "1 seat left" in after and "5 seats left" in after and "2 seats left" not in after
    assert drawn == [booked]  # the other card's line is the bytes of the fill before


@pytest.mark.parametrize("url", [URL, DAY_PAGE])
def test_threads_asking_at_once_for_an_answer_after_a_booking_fill_it_once(app, client, world, live_server, url):
    publish(client, world)
    session_id = add_session(client, world, venue_id=world.room_id, capacity=2)
    # Stored, and kept by this process (asked through the server: the page names the host it links to).
    assert httpx.get(live_server.url + url, headers=ENGLISH).status_code == 200
    book(client, world, session_id)  # a seat taken: the answer kept before is not the current one
    asking = 8
    barrier, answers = threading.Barrier(asking), [None] * asking

    def ask(index):
        with httpx.Client(base_url=live_server.url, timeout=60) as http:
            barrier.wait()
            answers[index] = http.get(url, headers=ENGLISH)

    with renderings(app, seats=True) as counts:
        threads = [threading.Thread(target=ask, args=(n,)) for n in range(asking)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert [answer.status_code for answer in answers] == [200] * asking
    assert len({answer.content for answer in answers}) == 1
    assert b"1 seat left" in answers[0].content or b'"seats_left":1' in answers[0].content
    # One thread read the live seats and filled the answer; the others waited and took it.
    assert counts == {"reads": 0, "page": 0, "seats": 1}
    assert len(programme_store.turns) == 0  # nothing left behind


@pytest.mark.parametrize("url", [URL, DAY_PAGE])
def test_a_caller_that_takes_gzip_gets_the_same_answer_gzipped_under_the_same_validator(app, client, world, url):
    publish(client, world)
    session_id = add_session(client, world, venue_id=world.room_id, capacity=2)
    for hour in (13, 15):  # an answer worth compressing
        add_session(client, world, title_en=f"Talk at {hour}", capacity=None, starts_at=f"2027-08-22T{hour}:00:00+07:00",
                    ends_at=f"2027-08-22T{hour}:45:00+07:00")
    plain = client.get(url, headers=ENGLISH)
    packed = client.get(url, headers={**ENGLISH, "Accept-Encoding": "gzip, deflate, br"})
    assert "Content-Encoding" not in plain.headers and packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.get_data()) == plain.get_data()
    assert int(packed.headers["Content-Length"]) == len(packed.get_data()) < len(plain.get_data())
    assert packed.headers["ETag"] == plain.headers["ETag"] and packed.mimetype == plain.mimetype
    for answer in (plain, packed):
        assert "Accept-Encoding" in answer.headers["Vary"]
    again = client.get(url, headers={**ENGLISH, "Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304 and "Accept-Encoding" in again.headers["Vary"]
    refused = client.get(url, headers={**ENGLISH, "Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers and refused.get_data() == plain.get_data()
    # A booking is in the next gzipped answer at once.
    book(client, world, session_id)
    fresh = gzip.decompress(client.get(url, headers={**ENGLISH, "Accept-Encoding": "gzip"}).get_data())
    assert fresh == client.get(url, headers=ENGLISH).get_data() != plain.get_data()
    assert b"1 seat left" in fresh or b'"seats_left":1' in fresh
