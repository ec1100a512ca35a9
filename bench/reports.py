"""How long a festival report takes for 10,000, 100,000 and 1,000,000 scans on PostgreSQL, and how it grows.

    .venv/bin/python -m bench.reports                  # 10k, 100k, 1M scans (a few minutes)
    .venv/bin/python -m bench.reports 10000 100000     # chosen sizes

For each size the bench database is emptied and refilled with COPY: one festival
with a tenth as many passes as scans (most with family members), 80 sessions with
bookings, 40 booths, two gates (one counting exits), session doors and booth
checkpoints, and scans spread over two days: entries and exits at the gates, session
doors, booth visits and about 5 % refusals. An earlier festival shares a fifth of
the e-mail addresses (returning visitors). Then it measures, in the same run:

- floor: one plain `SELECT checkpoint_id, result, count(*) ... GROUP BY` over the
  festival's scans: the least any report must pay to read them once;
- figures: reports.compile.compile_figures (every table, one REPEATABLE READ snapshot);
- build: reports.build.build_report (figures + CSV zip + XLSX + PDF), once per size.

Settings (environment): BENCH_REPORTS_DATABASE_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/bench_reports, dropped and created afresh).
"""
import os
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta, timezone

import psycopg
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from app import create_app
from app.database import db
from events.models import Booth, City, Festival, ProgrammeSession
from reports.build import build_report
from reports.compile import compile_figures
from reports.models import Report

DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_reports"
SIZES = (10_000, 100_000, 1_000_000)
AGE_GROUPS = ("child", "teen", "adult", "senior")
BKK = timezone(timedelta(hours=7))
FESTIVAL_DAYS = (date(2027, 8, 22), date(2027, 8, 23))


def say(*parts):
    print(*parts, flush=True)


def fresh_database(url):
    target = make_url(url)
    admin = target.set(database="postgres").render_as_string(hide_password=False).replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{target.database}"')


def make_app(url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None, "TESTING": False,
                      "INSTANCE_DIR": os.environ.get("BENCH_INSTANCE_DIR", "/tmp/thetsakan-bench-reports")})
    with app.app_context():
        upgrade()
    return app


def _stamp(rng):
    day = rng.choice(FESTIVAL_DAYS)
    minute = int(rng.triangular(0, 600, 200))  # 08:00-18:00, busiest late morning
    return datetime(day.year, day.month, day.day, 8, tzinfo=BKK) + timedelta(minutes=minute, seconds=rng.randrange(60))


def _copy(conn, table, columns, rows):
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


PASS_COLUMNS = ("id", "festival_id", "public_id", "serial", "manage_token", "manage_token_hash", "feed_token",
                "feed_token_hash", "name", "email", "phone", "age_group", "locale", "status", "consent_version",
                "consent_locale", "consent_text_sha256", "consent_at", "created_at")


def _passes(festival_id, first_id, count, rng, emails):
    signed = datetime(2027, 8, 1, tzinfo=timezone.utc)
    for n in range(count):
        pass_id = first_id + n
        key = f"{pass_id:064x}"
        yield (pass_id, festival_id, pass_id.to_bytes(8, "big"), 1, key, key, "f" + key[1:], "f" + key[1:],
               f"Visitor {pass_id}", emails(n), "", rng.choice(AGE_GROUPS), "th",
               "cancelled" if rng.random() < 0.03 else "active", "2027-01", "th", "0" * 64,
               signed + timedelta(minutes=rng.randrange(30 * 24 * 60)), signed + timedelta(minutes=rng.randrange(30 * 24 * 60)))


def seed(app, scans):
    """One festival with `scans` scans; returns its id. Everything is emptied first."""
    rng = random.Random(scans)
    passes = max(scans // 10, 50)
    with app.app_context():
        names = ", ".join(f'"{t.name}"' for t in reversed(db.metadata.sorted_tables))
        with db.engine.begin() as conn:
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        city = City(slug="chiang-mai", name_th="เชียงใหม่", name_en="Chiang Mai")
        db.session.add(city)
        db.session.flush()
        earlier = Festival(slug="earlier", city_id=city.id, name_th="งานก่อน", name_en="Earlier", status="published",
                           starts_on=date(2026, 8, 20), ends_on=date(2026, 8, 21))
        festival = Festival(slug="bench-festival", city_id=city.id, name_th="มหกรรมเมืองแห่งการเรียนรู้",
                            name_en="Learning City Festival", status="published",
                            starts_on=FESTIVAL_DAYS[0], ends_on=FESTIVAL_DAYS[-1])
        db.session.add_all([earlier, festival])
        db.session.flush()
        sessions = []
        for n in range(80):
            day = FESTIVAL_DAYS[n % 2]
            start = datetime(day.year, day.month, day.day, 9 + n % 9, tzinfo=BKK)
            sessions.append(ProgrammeSession(
                festival_id=festival.id, title_th=f"กิจกรรม {n}", title_en=f"Session {n}",
                kind=("workshop", "talk", "forum", "performance", "exhibition", "activity")[n % 6],
                themes=[("inclusive-education", "family-community", "workplace", "learning-technologies",
                         "quality-learning", "lifelong-culture")[n % 6]],
                age_groups=[], hosts=[], capacity=None if n % 10 == 0 else 30 + (n * 7) % 170,
                starts_at=start, ends_at=start + timedelta(hours=1)))
        booths = [Booth(festival_id=festival.id, code=f"B{n:02d}", name_th=f"บูธ {n}", name_en=f"Booth {n}")
                  for n in range(40)]
        db.session.add_all(sessions + booths)
        db.session.flush()
        festival_id, earlier_id = festival.id, earlier.id
        session_ids = [s.id for s in sessions]
        booth_ids = [b.id for b in booths]
        db.session.commit()

        raw = db.engine.raw_connection()
        try:
            conn = raw.driver_connection
            _copy(conn, "passes", PASS_COLUMNS, _passes(festival_id, 1, passes, rng, lambda n: f"p{n}@bench.example"))
            earlier_count = passes // 5
            _copy(conn, "passes", PASS_COLUMNS,
                  _passes(earlier_id, passes + 1, earlier_count, rng, lambda n: f"P{n * 5}@Bench.example"))
            party = {}

            def members():
                member_id = 0
                for pass_id in range(1, passes + 1):
                    size = rng.choice((0, 0, 1, 1, 2, 3))
                    party[pass_id] = 1 + size
                    for position in range(size):
                        member_id += 1
                        yield (member_id, pass_id, position, f"Member {member_id}", rng.choice(AGE_GROUPS))

            _copy(conn, "party_members", ("id", "pass_id", "position", "name", "age_group"), members())

            def bookings():
                booking_id = 0
                queued = datetime(2027, 8, 10, tzinfo=timezone.utc)
                for pass_id in range(1, passes + 1, 3):
                    for session_id in rng.sample(session_ids, 2):
                        booking_id += 1
                        status = rng.choices(("confirmed", "waitlisted", "cancelled"), (80, 12, 8))[0]
                        yield (booking_id, pass_id, session_id, party[pass_id], status, queued, queued)

            _copy(conn, "bookings", ("id", "pass_id", "session_id", "seats", "status", "queued_at", "created_at"),
                  bookings())

            checkpoints = [(1, festival_id, "Main gate", "gate", None, None, True),
                           (2, festival_id, "Side gate", "gate", None, None, False)]
            checkpoints += [(3 + n, festival_id, f"Door {n}", "session", sid, None, False) for n, sid in enumerate(session_ids)]
            first_booth = 3 + len(session_ids)
            checkpoints += [(first_booth + n, festival_id, f"Booth {n}", "booth", None, bid, False)
                            for n, bid in enumerate(booth_ids)]
            earlier_gate = first_booth + len(booth_ids)
            checkpoints.append((earlier_gate, earlier_id, "Gate", "gate", None, None, False))
            columns = ("id", "festival_id", "name", "kind", "session_id", "booth_id", "counts_exits",
                       "poster_version", "poster_secret", "created_at")
            now = datetime.now(timezone.utc)
            _copy(conn, "checkpoints", columns, (row + (1, "", now) for row in checkpoints))

            refusals = ("already_admitted", "not_booked", "waitlisted", "cancelled", "invalid", "not_open")

            def scan_rows():
                for scan_id in range(1, scans + 1):
                    pass_id = rng.randint(1, passes)
                    at = _stamp(rng)
                    roll = rng.random()
                    direction, walk_in, result = "in", False, "admitted"
                    if roll < 0.45:
                        checkpoint = 1 if rng.random() < 0.7 else 2
                    elif roll < 0.53:
                        checkpoint, direction = 1, "out"
                    elif roll < 0.73:
                        checkpoint = rng.randrange(3, first_booth)
                        walk_in = rng.random() < 0.1
                    elif roll < 0.95:
                        checkpoint = rng.randrange(first_booth, earlier_gate)
                    else:
                        checkpoint = rng.randrange(1, earlier_gate)
                        result = rng.choice(refusals)
                    yield (scan_id, checkpoint, festival_id, None if result == "invalid" else pass_id, result, "",
                           direction, walk_in, "staff", party[pass_id], "bench", at, at)

            def earlier_scans():
                # Half of the earlier festival's passes came: their holders return as this festival's visitors.
                for n in range(0, earlier_count, 2):
                    at = datetime(2026, 8, 20, 3, tzinfo=timezone.utc) + timedelta(minutes=n % 600)
                    yield (scans + 1 + n, earlier_gate, earlier_id, passes + 1 + n, "admitted", "", "in", False,
                           "staff", 1, "bench", at, at)

            say(f"  copying {scans:,} scans…")
            scan_columns = ("id", "checkpoint_id", "festival_id", "pass_id", "result", "detail", "direction", "walk_in",
                            "source", "party_size", "device_id", "scanned_at", "received_at")
            _copy(conn, "scans", scan_columns, scan_rows())
            _copy(conn, "scans", scan_columns, earlier_scans())
            for table in ("passes", "party_members", "bookings", "checkpoints", "scans"):
                conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            conn.commit()
            conn.autocommit = True
            conn.execute("VACUUM ANALYZE")
            conn.autocommit = False
        finally:
            raw.close()
    return festival_id


def timed(function, repeat):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(app, festival_id, scans):
    floor_sql = sa.text("SELECT checkpoint_id, result, count(*) FROM scans WHERE festival_id = :f GROUP BY 1, 2")
    repeat = 3 if scans <= 100_000 else 2
    with app.app_context():
        def floor():
            with db.engine.connect() as conn:
                conn.execute(floor_sql, {"f": festival_id}).all()

        floor()  # warm the cache for both
        floor_s = timed(floor, repeat)
        figures_s = timed(lambda: compile_figures(festival_id), repeat)
        report = Report(festival_id=festival_id, formats=["csv", "xlsx", "pdf"], locale="th", status="queued",
                        progress=0, files={})
        db.session.add(report)
        db.session.commit()
        build_s = timed(lambda: build_report(report.id), 1)
        counted = db.session.get(Report, report.id).scans
    return {"scans": scans, "counted": counted, "floor_ms": floor_s * 1000, "figures_ms": figures_s * 1000,
            "build_s": build_s}


def run(stack=None):
    """`make bench` (bench.run_all): the two smaller sizes, on this bench's own database (the stack is not used)."""
    return main([str(n) for n in SIZES[:2]])


def main(argv):
    sizes = [int(a) for a in argv] or list(SIZES)
    url = os.environ.get("BENCH_REPORTS_DATABASE_URL", DEFAULT_DATABASE)
    say(f"database {make_url(url).database} (dropped and created afresh)")
    fresh_database(url)
    app = make_app(url)
    results = []
    for scans in sizes:
        started = time.perf_counter()
        say(f"{scans:,} scans: seeding…")
        festival_id = seed(app, scans)
        say(f"  seeded in {time.perf_counter() - started:.1f} s; measuring…")
        result = measure(app, festival_id, scans)
        say(f"  floor {result['floor_ms']:.1f} ms, figures {result['figures_ms']:.1f} ms, build {result['build_s']:.2f} s")
        results.append(result)
    say("")
    say("| scans | floor: one GROUP BY (ms) | figures, all tables (ms) | figures / floor | whole build with CSV, XLSX, PDF (s) | figures growth |")
    say("|---:|---:|---:|---:|---:|---:|")
    previous = None
    for r in results:
        assert r["counted"] == r["scans"], r
        growth = f"×{r['figures_ms'] / previous['figures_ms']:.1f} for ×{r['scans'] / previous['scans']:.0f} scans" if previous else ""
        say(f"| {r['scans']:,} | {r['floor_ms']:.1f} | {r['figures_ms']:.1f} | {r['figures_ms'] / r['floor_ms']:.1f} | "
            f"{r['build_s']:.2f} | {growth} |")
        previous = r
    with app.app_context():
        db.engine.dispose()
    return {"sizes": results}


if __name__ == "__main__":
    main(sys.argv[1:])
