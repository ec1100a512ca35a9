"""The public programme API, GET /api/v1/festivals/<slug>/sessions: the demo festival and a 1,000-session one.

    python -m bench.programme            (or `make bench`, which runs every bench module)
"""
import threading
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.database import db
from bench.conditional import available, etag_of, measure_conditional
from bench.harness import Stack, report, run_wrk
from events import services
from events.demo.loading import load_demo
from events.models import Festival, ProgrammeSession, Venue

BIG_SLUG = "bench-programme-1000"
KINDS = ("workshop", "talk", "forum", "performance", "exhibition", "activity")
THEMES = ("inclusive-education", "family-community", "workplace", "learning-technologies", "quality-learning",
          "lifelong-culture")
AGES = ("child", "teen", "adult", "senior")


def seed_big_festival(sessions=1000, days=4, venues=25):
    """A published festival with `sessions` sessions: `venues` venues, back to back, 45 minutes each."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(Festival).where(Festival.slug == BIG_SLUG)):
        return 0
    if services.city_by_slug("bangkok") is None:
        load_demo()
    city = services.city_by_slug("bangkok")
    festival = services.create_festival(
        city.id, slug=BIG_SLUG, name_th="เทศกาลทดสอบ 1,000 กิจกรรม", name_en="A 1,000-session festival",
        starts_on=date(2027, 11, 1), ends_on=date(2027, 11, days), status="draft",
    )
    rooms = [
        Venue(festival_id=festival.id, name_th=f"ห้อง {n}", name_en=f"Room {n}", kind="room", capacity=60, sort_order=n)
        for n in range(venues)
    ]
    db.session.add_all(rooms)
    db.session.flush()
    zone = ZoneInfo(festival.timezone)
    per_room_day = -(-sessions // (days * venues))
    made = 0
    for day in range(days):
        for room in rooms:
            for slot in range(per_room_day):
                if made == sessions:
                    break
                starts = datetime(2027, 11, 1, 8, 0, tzinfo=zone) + timedelta(days=day, minutes=50 * slot)
                db.session.add(ProgrammeSession(
                    festival_id=festival.id, venue_id=room.id, kind=KINDS[made % len(KINDS)],
                    title_th=f"กิจกรรมที่ {made + 1}", title_en=f"Session {made + 1}",
                    description_th="รายละเอียดกิจกรรม " * 8, description_en="What happens in this session. " * 6,
                    starts_at=starts, ends_at=starts + timedelta(minutes=45),
                    capacity=30 if made % 3 == 0 else None,
                    themes=[THEMES[made % 6], THEMES[(made + 2) % 6]], age_groups=[AGES[made % 4], "adult"],
                    hosts=[f"Host {made % 40}"], language="th",
                ))
                made += 1
    services.update_festival(festival, status="published")
    return made


@contextmanager
def seats_moving(stack, per_second=20):
    """A thread committing a seat change per_second times a second on the big festival, as bookings would.

    Each change moves a bookable session's counter (one up, then one down) through the ORM, as a
    booking does, so that its commit replaces the programme's generation and no answer kept under
    the previous validator is right any more: the requests measured meanwhile read the version
    again and get their seats filled in afresh.
    """
    stop = threading.Event()

    def move():
        with stack.app().app_context():
            sessions = db.metadata.tables["sessions"]
            festival_id = db.session.scalar(sa.select(Festival.id).where(Festival.slug == BIG_SLUG))
            ids = list(db.session.scalars(sa.select(sessions.c.id).where(
                sessions.c.festival_id == festival_id, sessions.c.capacity.is_not(None)).order_by(sessions.c.id)))
            db.session.remove()
            step = 0
            while not stop.wait(1 / per_second):
                moved = db.session.get(ProgrammeSession, ids[step % len(ids)])
                moved.seats_confirmed += 1 if step // len(ids) % 2 == 0 else -1
                db.session.commit()
                db.session.remove()
                step += 1

    mover = threading.Thread(target=move, daemon=True)
    mover.start()
    try:
        yield
    finally:
        stop.set()
        mover.join()


def measure_gzip(stack, path, label):
    """wrk sending Accept-Encoding: gzip, as phones and browsers do (the reverse proxy passes it on)."""
    return run_wrk(stack.base_url, path, label, stack.seconds, stack.connections, headers=("Accept-Encoding: gzip",))


def run(stack):
    stack.seed(load_demo)
    stack.seed(seed_big_festival)
    big = f"/api/v1/festivals/{BIG_SLUG}/sessions"
    results = [
        stack.floor(),
        stack.measure("/api/v1/festivals/learning-city-days-2023/sessions", "programme, demo (19 sessions)"),
        stack.measure(big, "programme, 1,000 sessions"),
        stack.measure(f"{big}?day=2027-11-02&kind=workshop", "programme, 1,000, ?day=&kind="),
    ]
    with seats_moving(stack):
        results.append(stack.measure(big, "programme, 1,000, 20 seat changes/s"))
    if available():
        results.append(measure_gzip(stack, big, "programme, 1,000, Accept-Encoding: gzip"))
        with seats_moving(stack):
            results.append(measure_gzip(stack, big, "programme, 1,000, gzip, 20 seat changes/s"))
    if available():
        # A phone that has the programme asks again with its ETag: the version is read, nothing is built.
        results.append(measure_conditional(stack, big, etag_of(stack, big), "programme, 1,000, If-None-Match (304)"))
    return report(results, title="programme API (GET /api/v1/festivals/<slug>/sessions)")


if __name__ == "__main__":
    with Stack() as running:
        run(running)
