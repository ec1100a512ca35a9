"""CPU per programme request in-process: the stored answer as phones ask for it (gzip), its 304, and the
page of a 250-session day, through Flask's test client on PostgreSQL and Redis, against the one-read
floor in the same process. CPU time (time.process_time) moves much less with the machine's other
load than wall time; PostgreSQL's own time is not in it (PROGRAMME_CPU_WALL=1 adds wall ms).

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_prog_cpu BENCH_REDIS_URL=redis://127.0.0.1:6379/5 \
        .venv/bin/python -m bench.programme_cpu      (PROGRAMME_CPU_REQUESTS per row, default 400; PROGRAMME_CPU_ROUNDS, 3)
    PROGRAMME_CPU_PROFILE=api|page ...               (also cProfile's top functions for that gzipped kept answer;
                                                      PROGRAMME_CPU_SORT=cumulative and PROGRAMME_CPU_TOP=80 to see more)
    PROGRAMME_CPU_STATEMENTS=1 ...                   (also the SQL statements of one such answer)

The database is dropped and made afresh (its name must start with "bench").
"""
import cProfile
import io
import os
import pstats
import time

import sqlalchemy as sa

from app.database import db
from app.redis_conn import connection
from bench.harness import _any_city_id, in_process_app, recreate_database, settings
from bench.programme import BIG_SLUG, seed_big_festival

REQUESTS = int(os.environ.get("PROGRAMME_CPU_REQUESTS", "400"))
ROUNDS = int(os.environ.get("PROGRAMME_CPU_ROUNDS", "3"))
GZIP = {"Accept-Encoding": "gzip"}


def _per_request(client, path, headers, expect):
    """(CPU ms, wall ms) per request of `path`, each answered `expect`."""
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(REQUESTS):
        answer = client.get(path, headers=headers)
        if answer.status_code != expect:
            raise SystemExit(f"programme_cpu: {path} answered {answer.status_code}")
    return ((time.process_time() - cpu) * 1000 / REQUESTS, (time.perf_counter() - wall) * 1000 / REQUESTS)


def main():
    config = settings()
    recreate_database(config["database_url"])
    app = in_process_app(config["database_url"], config["redis_url"], "thetsakan-programme-cpu-")
    with app.app_context():
        connection().flushdb()
        seed_big_festival()
        city_id = _any_city_id()
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    api = f"/api/v1/festivals/{BIG_SLUG}/sessions"
    page = f"/festivals/{BIG_SLUG}?lang=th&day=2027-11-02"  # as bench/pages.py asks
    etag = client.get(api, headers=GZIP).headers["ETag"]
    rows = [
        ("one-read floor", f"/bench/floor?id={city_id}", {}, 200),
        ("API, 1,000 sessions, gzip (kept)", api, GZIP, 200),
        ("API, 1,000 sessions, 304", api, {**GZIP, "If-None-Match": etag}, 304),
        ("page, a 250-session day, gzip (kept)", page, GZIP, 200),
        ("page, a 250-session day, plain (kept)", page, {}, 200),
    ]
    for _, path, headers, expect in rows:  # warm: imports, the pool, the kept answers
        _per_request(client, path, headers, expect)
    wall = bool(os.environ.get("PROGRAMME_CPU_WALL"))
    print(f"CPU ms per request in-process, {REQUESTS} requests a row" + (" (wall ms)" if wall else ""))
    for round_ in range(ROUNDS):
        floor = None
        for label, path, headers, expect in rows:
            cpu, elapsed = _per_request(client, path, headers, expect)
            floor = floor or cpu
            print(f"round {round_ + 1}  {label:<40} {cpu:>7.2f}" + (f" ({elapsed:.2f})" if wall else "")
                  + f"  {cpu / floor:>5.2f} floors")
    if os.environ.get("PROGRAMME_CPU_STATEMENTS"):
        statements = []

        def note(_conn, _cursor, statement, _parameters, _context, _many):
            statements.append(statement)

        with app.app_context():
            engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", note)
        client.get(api, headers=GZIP)
        sa.event.remove(engine, "before_cursor_execute", note)
        print(f"statements of one kept API answer: {len(statements)}")
        for statement in statements:
            print("  " + " ".join(statement.split())[:300])
    profiled = os.environ.get("PROGRAMME_CPU_PROFILE")
    if profiled:
        profile = cProfile.Profile()
        profile.enable()
        _per_request(client, page if profiled == "page" else api, GZIP, 200)
        profile.disable()
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(os.environ.get("PROGRAMME_CPU_SORT", "tottime")).print_stats(int(os.environ.get("PROGRAMME_CPU_TOP", "45")))
        print(out.getvalue())


if __name__ == "__main__":
    main()
