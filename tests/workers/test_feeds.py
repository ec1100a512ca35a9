"""iCalendar feeds: valid, stable UIDs, rising SEQUENCE, conditional GETs, built by workers, drafts hidden."""
from datetime import timedelta

import sqlalchemy as sa
import vobject
from icalendar import Calendar

from app.database import db
from events import services as events
from events.models import ProgrammeSession
from registrations import services as registrations
from registrations.models import Pass
from tests.workers.conftest import FUTURE
from feeds.models import Feed


def parse(answer):
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.mimetype == "text/calendar"
    return vobject.readOne(answer.get_data(as_text=True))


def events_of(calendar):
    return {event.uid.value: event for event in getattr(calendar, "vevent_list", [])}


def move(app, session_id, **fields):
    with app.app_context():
        events.update_session(db.session.get(ProgrammeSession, session_id), **fields)
        db.session.commit()
        db.session.remove()


def test_the_programme_feed_is_valid_icalendar_with_what_a_calendar_needs(app, client, festival, workshop, make_session):
    talk = make_session(festival.id, kind="talk", title_th="เสวนา", title_en="Forum on learning", venue_id=festival.stage,
                        description_th="เรื่องเล่า", description_en="Stories", hosts=["Noi"], starts_at=FUTURE + timedelta(hours=2))
    batik = workshop(title_th="บาติก", title_en="Batik")
    with app.app_context():
        events.cancel_session(db.session.get(ProgrammeSession, batik))
        db.session.commit()
        db.session.remove()
    answer = client.get(f"/festivals/{festival.slug}/programme.ics")
    body = answer.get_data(as_text=True)
    calendar = parse(answer)
    assert calendar.x_wr_calname.value == "วันเมืองแห่งการเรียนรู้ · Learning City Days"
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in body and "X-PUBLISHED-TTL:PT1H" in body
    assert calendar.vtimezone.tzid.value == "Asia/Bangkok"
    by_uid = events_of(calendar)
    assert set(by_uid) == {f"session-{talk}@127.0.0.1", f"session-{batik}@127.0.0.1"}
    forum = by_uid[f"session-{talk}@127.0.0.1"]
    assert forum.summary.value == "เสวนา · Forum on learning"
    assert forum.dtstart.value.isoformat() == "2027-08-22T12:00:00+07:00"
    assert "DTSTART;TZID=Asia/Bangkok:20270822T120000" in body
    assert forum.location.value == "เวทีหลัก · Main stage, นำ อาท บางกอก1899 · Na at Bangkok1899, Bangkok"
    assert "เรื่องเล่า" in forum.description.value and "Stories" in forum.description.value and "Noi" in forum.description.value
    assert forum.status.value == "CONFIRMED" and forum.last_modified.value is not None
    assert by_uid[f"session-{batik}@127.0.0.1"].status.value == "CANCELLED"
    # The strict parser agrees.
    assert len(Calendar.from_ical(body).walk("VEVENT")) == 2


def test_a_moved_session_keeps_its_uid_and_gets_a_higher_sequence(app, client, festival, workshop, run_jobs):
    session_id = workshop(title_en="Batik")
    url = f"/festivals/{festival.slug}/programme.ics"
    before = events_of(parse(client.get(url)))[f"session-{session_id}@127.0.0.1"]
    move(app, session_id, starts_at=FUTURE + timedelta(hours=1), ends_at=FUTURE + timedelta(hours=2))
    run_jobs()
    after = events_of(parse(client.get(url)))[f"session-{session_id}@127.0.0.1"]
    assert int(after.sequence.value) > int(before.sequence.value)
    assert after.dtstart.value - before.dtstart.value == timedelta(hours=1)


def test_conditional_gets_answer_304_until_the_programme_changes(app, client, festival, workshop, run_jobs):
    session_id = workshop()
    url = f"/festivals/{festival.slug}/programme.ics"
    first = client.get(url)
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    run_jobs()  # a rebuild that changes nothing keeps the validator
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304

    move(app, session_id, title_en="Batik renamed")
    run_jobs()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert "Batik renamed" in changed.get_data(as_text=True)


def test_feeds_are_built_by_the_workers_before_anyone_asks(app, festival, workshop, run_jobs):
    session_id = workshop()
    move(app, session_id, title_en="Renamed")  # programme.changed (and the session's own change)
    run_jobs()
    with app.app_context():
        keys = set(db.session.scalars(sa.select(Feed.key)))
        assert {f"festival:{festival.id}", f"venue:{festival.stage}", f"venue:{festival.room}"} <= keys
        assert "Renamed" in db.session.get(Feed, f"festival:{festival.id}").body
        db.session.remove()


def test_a_venue_feed_holds_only_that_venues_sessions(app, client, festival, workshop):
    in_room = workshop(title_en="In the room")
    on_stage = workshop(title_en="On stage", venue_id=festival.stage, starts_at=FUTURE + timedelta(hours=5))
    calendar = parse(client.get(f"/festivals/{festival.slug}/venues/{festival.stage}/programme.ics"))
    assert set(events_of(calendar)) == {f"session-{on_stage}@127.0.0.1"}
    assert "Main stage" in calendar.x_wr_calname.value
    room = parse(client.get(f"/festivals/{festival.slug}/venues/{festival.room}/programme.ics"))
    assert set(events_of(room)) == {f"session-{in_room}@127.0.0.1"}
    assert client.get(f"/festivals/{festival.slug}/venues/999999/programme.ics").status_code == 404


def test_a_draft_festival_has_no_feeds(client, make_city, make_festival, make_venue):
    festival_id = make_festival(make_city(), slug="not-yet", status="draft")
    venue_id = make_venue(festival_id)
    assert client.get("/festivals/not-yet/programme.ics").status_code == 404
    assert client.get(f"/festivals/not-yet/venues/{venue_id}/programme.ics").status_code == 404
    assert client.get("/festivals/no-such-festival/programme.ics").status_code == 404


def test_the_personal_agenda_holds_exactly_the_confirmed_bookings(app, client, festival, workshop, sign_up, book, run_jobs):
    confirmed = workshop(capacity=5, title_en="Confirmed")
    full = workshop(capacity=1, title_en="Full", starts_at=FUTURE + timedelta(hours=2))
    dropped = workshop(capacity=5, title_en="Dropped", starts_at=FUTURE + timedelta(hours=4))
    workshop(capacity=5, title_en="Not booked", starts_at=FUTURE + timedelta(hours=6))
    book(sign_up(), full)  # someone else takes the only seat
    pass_id = sign_up(locale="en")
    book(pass_id, confirmed)
    book(pass_id, full)  # waitlisted
    cancelled = book(pass_id, dropped)
    with app.app_context():
        registrations.cancel_booking(pass_id, cancelled)
        db.session.commit()
        token = db.session.get(Pass, pass_id).feed_token
        db.session.remove()
    run_jobs()
    answer = client.get(f"/passes/{token}/agenda.ics")
    assert answer.headers["Cache-Control"] == "private, no-store"
    calendar = parse(answer)
    assert set(events_of(calendar)) == {f"session-{confirmed}@127.0.0.1"}
    assert calendar.vevent.summary.value == "Confirmed"  # in the visitor's language
    assert calendar.x_wr_calname.value == "My agenda: Learning City Days"
    assert client.get("/passes/not-a-token/agenda.ics").status_code == 404


def test_an_agenda_follows_a_booking_made_after_it_was_first_read(app, client, festival, workshop, sign_up, book, run_jobs):
    pass_id = sign_up(locale="en")
    with app.app_context():
        token = db.session.get(Pass, pass_id).feed_token
        db.session.remove()
    url = f"/passes/{token}/agenda.ics"
    empty = parse(client.get(url))
    assert events_of(empty) == {}
    book(pass_id, workshop(title_en="Later"))
    run_jobs()
    assert [e.summary.value for e in events_of(parse(client.get(url))).values()] == ["Later"]
