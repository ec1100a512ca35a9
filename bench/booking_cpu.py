"""CPU, SQL statements and Redis round trips per booking in-process: the whole request (token, limits,
service, commit, the relay's hand-over, the answer) through Flask's test client on PostgreSQL and Redis,
against the one-read floor in the same process. CPU time (time.process_time) does not depend on what
else the machine runs, so this is the ratio to quote when the gunicorn figures of bench/booking_rush.py
swing.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_book BENCH_REDIS_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python -m bench.booking_cpu          (BOOKING_CPU_BOOKINGS per round, default 400; BOOKING_CPU_ROUNDS, 3)
    BOOKING_CPU_PROFILE=1 ...                          (also prints cProfile's top functions, by CPU time, for one more round)
    BOOKING_CPU_PROFILE_MATCH='ping|checkout' ...     (and the functions whose names match, however deep)
    BOOKING_CPU_STATEMENTS=1 ...                       (also prints the statements of one confirmed and one waitlisted booking)

Each round books BOOKINGS new passes into ten fresh workshops of BOOKINGS * 3 / 200 seats (the rush's
300 seats for 2,000 visitors: most bookings end on a waitlist, as in the rush), each visitor from its
own address, then cancels CANCELS of the round's confirmed bookings (each promotes from its waitlist).
The database is dropped and made afresh (its name must start with "bench").
"""
import cProfile
import io
import logging
import os
import pstats
import statistics
import time
from random import Random

import redis
import sqlalchemy as sa

from app.database import db
from app.redis_conn import connection
from bench import booking_rush
from bench.harness import _any_city_id, in_process_app, recreate_database, settings

BOOKINGS = int(os.environ.get("BOOKING_CPU_BOOKINGS", "400"))
ROUNDS = int(os.environ.get("BOOKING_CPU_ROUNDS", "3"))
CANCELS = int(os.environ.get("BOOKING_CPU_CANCELS", "30"))
SEATS = max(6, BOOKINGS * 3 // 200)  # at least a family of four fits


class Counter:
    """SQL statements (a cursor listener on the engine) and Redis round trips (each packed command sent)."""

    def __init__(self, engine):
        self.statements = 0
        self.redis_calls = 0
        self.log = None  # a list to record the statements' text in, when asked
        sa.event.listen(engine, "before_cursor_execute", self._statement)
        counter = self
        send = redis.connection.AbstractConnection.send_packed_command

        def counted(connection_, command, check_health=True):
            counter.redis_calls += 1
            if counter.log is not None:
                packed = b"".join(command) if isinstance(command, (list, tuple)) else command
                words = [w for w in packed.decode("utf-8", "replace").split("\r\n") if w and w[0] not in "*$"]
                counter.log.append("redis: " + " ".join(words)[:120])
            return send(connection_, command, check_health)

        redis.connection.AbstractConnection.send_packed_command = counted

    def _statement(self, conn, cursor, statement, parameters, context, executemany):
        self.statements += 1
        if self.log is not None:
            self.log.append(" ".join(statement.split())[:160])

    def snapshot(self):
        return self.statements, self.redis_calls


def _answers(client, requests, counter=None, expect=200):
    """Send the requests; return CPU ms per request and, per request, (body, statements, Redis calls)."""
    out = []
    started = time.process_time()
    for method, path, kwargs in requests:
        before = counter.snapshot() if counter else (0, 0)
        answer = client.open(path, method=method, **kwargs)
        after = counter.snapshot() if counter else (0, 0)
        if answer.status_code != expect:
            raise SystemExit(f"booking_cpu: {method} {path} answered {answer.status_code}: "
                             f"{answer.get_data(as_text=True)[:300]}")
        out.append((answer.get_json(silent=True), after[0] - before[0], after[1] - before[1]))
    return (time.process_time() - started) * 1000 / max(1, len(requests)), out


def _bookings(tokens, workshop_ids, first_visitor, random):
    return [("POST", f"/api/v1/passes/{token}/bookings",
             {"json": {"session_id": booking_rush.wanted(random, workshop_ids)},
              "environ_base": {"REMOTE_ADDR": booking_rush.address(first_visitor + n)}})
            for n, token in enumerate(tokens)]


def _cancels(tokens, answers, first_visitor, random):
    held = [(n, body["id"]) for n, (body, _, _) in enumerate(answers) if body["status"] == "confirmed"]
    return [("DELETE", f"/api/v1/passes/{tokens[n]}/bookings/{booking_id}",
             {"environ_base": {"REMOTE_ADDR": booking_rush.address(first_visitor + n)}})
            for n, booking_id in random.sample(held, min(CANCELS, len(held)))]


def _median(values):
    return statistics.median(values) if values else float("nan")


def main():
    config = settings()
    recreate_database(config["database_url"])
    app = in_process_app(config["database_url"], config["redis_url"], "thetsakan-booking-cpu-")
    # Each request's JSON log line is still made (it is part of a request's cost), but not printed among the figures.
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 - for the life of the process
    profiling, listing = bool(os.environ.get("BOOKING_CPU_PROFILE")), bool(os.environ.get("BOOKING_CPU_STATEMENTS"))
    extra = 1 + profiling + listing  # the warm-up round, the profile's, the listing's
    with app.app_context():
        connection().flushdb()
        began = time.monotonic()
        seeded = booking_rush.seed(BOOKINGS * (ROUNDS + extra), SEATS)
        workshops = [booking_rush.add_workshops(seeded["festival_id"], SEATS) for _ in range(ROUNDS + extra - 1)]
        workshops.insert(0, seeded["workshop_ids"])
        city_id = _any_city_id()
        db.session.commit()
        db.session.remove()
        print(f"seeded {BOOKINGS * (ROUNDS + extra)} passes in {time.monotonic() - began:.0f} s")
        counter = Counter(db.engine)
    client = app.test_client()
    tokens = seeded["tokens"]
    random = Random(14)

    def round_(number, profile=None):
        first = number * BOOKINGS
        mine = tokens[first:first + BOOKINGS]
        bookings = _bookings(mine, workshops[number], first, random)
        if profile:
            profile.enable()
        booking_ms, answers = _answers(client, bookings, counter, expect=201)
        cancels = _cancels(mine, answers, first, random)
        cancel_ms, cancelled = _answers(client, cancels, counter)
        if profile:
            profile.disable()
        return booking_ms, answers, cancel_ms, cancelled

    round_(0)  # warm-up: imports, caches, the pool
    floor_path = f"/bench/floor?id={city_id}"
    print(f"CPU ms, SQL statements and Redis round trips per request in-process; {BOOKINGS} bookings a round "
          f"into 10 x {SEATS} seats, then {CANCELS} cancels")
    print(f"{'round':>5} {'floor ms':>9} {'book ms':>8} {'book/floor':>11} {'confirmed':>10} {'stmts c/w':>10} "
          f"{'redis c/w':>10} {'cancel ms':>10} {'stmts':>6}")
    for number in range(1, ROUNDS + 1):
        floor_ms, _ = _answers(client, [("GET", floor_path, {})] * BOOKINGS)
        booking_ms, answers, cancel_ms, cancelled = round_(number)
        confirmed = [a for a in answers if a[0]["status"] == "confirmed"]
        waiting = [a for a in answers if a[0]["status"] == "waitlisted"]
        print(f"{number:>5} {floor_ms:>9.2f} {booking_ms:>8.2f} {booking_ms / floor_ms:>11.2f} {len(confirmed):>10} "
              f"{_median([a[1] for a in confirmed]):>4.0f}/{_median([a[1] for a in waiting]):<5.0f} "
              f"{_median([a[2] for a in confirmed]):>4.0f}/{_median([a[2] for a in waiting]):<5.0f} "
              f"{cancel_ms:>10.2f} {_median([a[1] for a in cancelled]):>6.0f}")
    if listing:
        counter.log = []
        number = ROUNDS + 1 + profiling
        first = number * BOOKINGS
        for status in ("confirmed", "waitlisted"):
            counter.log.clear()
            request = ("POST", f"/api/v1/passes/{tokens[first]}/bookings",
                       {"json": {"session_id": workshops[number][0]},
                        "environ_base": {"REMOTE_ADDR": booking_rush.address(first)}})
            body = _answers(client, [request], counter, expect=201)[1][0][0]
            print(f"\n-- statements of one booking ({body['status']}):")
            for line in counter.log:
                print("   ", line)
            first += 1
            if status == "confirmed":
                with app.app_context():  # walk-ins fill the workshop, so that the next booking waits
                    db.session.execute(sa.text("UPDATE sessions SET walk_in_seats = capacity - seats_confirmed "
                                               "WHERE id = :id"), {"id": workshops[number][0]})
                    db.session.commit()
        counter.log = None
    if profiling:
        profile = cProfile.Profile(time.process_time)  # CPU, not the wall clock: the machine is shared
        round_(ROUNDS + 1, profile)
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(90)
        pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(40)
        if os.environ.get("BOOKING_CPU_PROFILE_MATCH"):  # a regular expression over the functions' names
            pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(
                os.environ["BOOKING_CPU_PROFILE_MATCH"])
        print(out.getvalue())


if __name__ == "__main__":
    main()
