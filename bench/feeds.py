"""iCalendar feeds: build time for a 1,000-session festival, and serving the stored feeds through gunicorn.

    python -m bench.feeds            (or `make bench`, which runs every bench module)

Measures, in one run: the floor; GET /festivals/<slug>/programme.ics (1,000
sessions, full answer); the same with If-None-Match (304); one venue's feed;
a visitor's agenda. Build time is measured in-process on the bench database.
"""
import statistics
import time

from app.database import db
from bench.conditional import available, etag_of, measure_conditional
from bench.harness import Stack, report
from bench.programme import BIG_SLUG, seed_big_festival
from events import services as events
from registrations import services as registrations
from feeds.services import calendar, store

BUILDS = 5


def _seed():
    seed_big_festival()
    festival = events.festival_by_slug(BIG_SLUG)
    sign_up = registrations.sign_up(BIG_SLUG, name="Bench", email="bench@example.org", age_group="adult", consent=True, locale="en")
    booked, free_from = [], None
    for session in sorted((s for s in festival.sessions if s.capacity), key=lambda s: s.starts_at):
        if len(booked) < 4 and (free_from is None or session.starts_at >= free_from):
            booked.append(session.id)
            free_from = session.ends_at
    for session_id in booked:
        registrations.book(sign_up.pass_.id, session_id)
    return festival.id, festival.venues[0].id, sign_up.pass_.feed_token


def _build_times(festival_id):
    public_url = "http://127.0.0.1"
    body_times, all_times = [], []
    for _ in range(BUILDS):
        db.session.expire_all()
        festival = store.festival_by_id(festival_id)
        began = time.perf_counter()
        sessions = store._sessions(festival_id)  # one query, venues in a second
        body = calendar.programme_body(festival, calendar.programme_events(festival, sessions, public_url))
        body_times.append(time.perf_counter() - began)
        began = time.perf_counter()
        keys = store.build_festival(festival)
        db.session.commit()
        all_times.append(time.perf_counter() - began)
    return {
        "sessions": len(sessions),
        "feed_kb": round(len(body) / 1024, 1),
        "feeds_written": len(keys),
        "programme_body_ms": round(statistics.median(body_times) * 1000, 1),
        "festival_and_venue_feeds_ms": round(statistics.median(all_times) * 1000, 1),
    }


def run(stack):
    festival_id, venue_id, feed_token = stack.seed(_seed)
    builds = stack.seed(_build_times, festival_id)
    print(f"\n== feed build, {builds['sessions']} sessions ({builds['feed_kb']} KB): "
          f"programme body {builds['programme_body_ms']} ms; festival + {builds['feeds_written'] - 1} venue feeds "
          f"built and stored {builds['festival_and_venue_feeds_ms']} ms (median of {BUILDS})")
    programme = f"/festivals/{BIG_SLUG}/programme.ics"
    results = [stack.floor(), stack.measure(programme, "programme.ics, 1,000 sessions")]
    if available():
        results.append(measure_conditional(stack, programme, etag_of(stack, programme), "programme.ics, If-None-Match (304)"))
    results.append(stack.measure(f"/festivals/{BIG_SLUG}/venues/{venue_id}/programme.ics", "one venue's feed (40 sessions)"))
    results.append(stack.measure(f"/passes/{feed_token}/agenda.ics", "a visitor's agenda (4 bookings)"))
    rows = report(results, title="feeds through gunicorn")
    return {"build": builds, "serve": rows}


def main():
    with Stack() as stack:
        run(stack)


if __name__ == "__main__":
    main()
