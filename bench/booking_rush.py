"""Booking rush: 2,000 visitors racing for 300 seats over 10 workshops, through gunicorn and PostgreSQL.

    .venv/bin/python -m bench.booking_rush        (or `make bench`, which runs every bench module)

Every visitor (a pass; most alone, some with family, so 1 to 4 seats) sends one
POST /api/v1/passes/{token}/bookings for one of ten 30-seat workshops; all
BOOKING_RUSH_CONNECTIONS (default 32) client threads start together on a barrier and
take visitors from one list. Each visitor's requests carry its own address in
X-Forwarded-For (gunicorn runs with TRUSTED_PROXIES=1, as behind docs/deploy.md's proxy):
a rush comes from many phones, and one address is only a ceiling of 600 bookings a minute.
Then 150 holders cancel at once, which promotes from the waitlists. Throughput and p50/p95/p99 of each phase, and the ratio to the floor
endpoint measured in the same run with the same client; then the CPU per request gunicorn and
PostgreSQL spent on the floor and on the bookings, and the floor's as a share of a booking's
(steadier than the throughput where the machine is shared).

Checked afterwards from the database, both must be 0:
  overbooked  seats confirmed beyond a workshop's capacity (summed over workshops),
              plus any workshop whose counters differ from its bookings;
  lost        requests without their answer (201 for a booking, 200 for a cancel), and
              answered bookings that are not in the database as answered.
"""
import http.client
import json
import os
import threading
import time
from datetime import date, datetime, timedelta, timezone
from random import Random

import sqlalchemy as sa

from app.database import db
from bench.harness import Stack, cpu_ms_per_request, report, run_threads, stack_cpu, threads_result
from events.models import City, Festival, ProgrammeSession
from registrations import services
from registrations.models import CONFIRMED, WAITLISTED, Booking

VISITORS = int(os.environ.get("BOOKING_RUSH_VISITORS", "2000"))
WORKSHOPS, SEATS = 10, 30
CANCELS = 150
CONNECTIONS = int(os.environ.get("BOOKING_RUSH_CONNECTIONS", "32"))
FESTIVAL_SLUG = "bench-booking-rush"


def add_workshops(festival_id, seats=SEATS):
    """Ten workshops of `seats` seats each at different times of the festival's first day."""
    first = datetime(2027, 8, 22, 2, 0, tzinfo=timezone.utc)
    workshops = []
    for n in range(WORKSHOPS):
        starts = first + timedelta(minutes=90 * n)
        workshops.append(ProgrammeSession(
            festival_id=festival_id, kind="workshop", title_th=f"เวิร์กช็อป {n + 1}", title_en=f"Workshop {n + 1}",
            starts_at=starts, ends_at=starts + timedelta(minutes=60), capacity=seats,
            themes=["lifelong-culture"], age_groups=["adult", "child"], hosts=[],
        ))
    db.session.add_all(workshops)
    db.session.flush()
    return [w.id for w in workshops]


def wanted(random, workshop_ids):
    """One workshop for a visitor: some are more wanted than others, as at a real festival."""
    return random.choices(workshop_ids, weights=[10, 9, 8, 7, 6, 5, 4, 3, 2, 1])[0]


def address(n):
    """Visitor n's phone, as the reverse proxy names it in X-Forwarded-For."""
    return f"10.1.{(n >> 8) & 255}.{n & 255}"


def seed(visitors, seats=SEATS):
    """A published festival, ten workshops of `seats` seats at different times, and `visitors` passes (through sign_up)."""
    city = City(slug="bench-booking-city", name_th="เมืองทดสอบการจอง", name_en="Booking bench city")
    db.session.add(city)
    db.session.flush()
    festival = Festival(slug=FESTIVAL_SLUG, city_id=city.id, name_th="เทศกาลทดสอบการจอง", name_en="Booking rush",
                        starts_on=date(2027, 8, 22), ends_on=date(2027, 8, 23), status="published")
    db.session.add(festival)
    db.session.flush()
    workshop_ids = add_workshops(festival.id, seats)
    random = Random(2027)
    tokens = []
    for n in range(visitors):
        family = random.choices([0, 1, 2, 3], weights=[80, 10, 7, 3])[0]
        result = services.sign_up(
            FESTIVAL_SLUG, name=f"ผู้เข้าชม {n}", email=f"visitor{n}@bench.example", age_group="adult",
            consent=True, party=[{"name": f"ลูก {n}.{m}", "age_group": "child"} for m in range(family)],
        )
        tokens.append(result.pass_.manage_token)
    requests = [(token, wanted(random, workshop_ids)) for token in tokens]
    return {"requests": requests, "workshop_ids": workshop_ids, "festival_id": festival.id, "tokens": tokens}


def race(stack, requests, label):
    """Send (method, path, body, headers) requests from CONNECTIONS keep-alive threads started together.
    Returns the Result and, per request, (status, JSON body or None)."""
    port = int(stack.base_url.rsplit(":", 1)[1])
    answers = [None] * len(requests)
    latencies, lock = [], threading.Lock()
    cursor = iter(range(len(requests)))
    barrier = threading.Barrier(CONNECTIONS + 1)

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        barrier.wait()
        while True:
            with lock:
                index = next(cursor, None)
            if index is None:
                break
            method, path, body, headers = requests[index]
            if body is not None:
                headers = {**headers, "Content-Type": "application/json"}
            started = time.perf_counter()
            try:
                conn.request(method, path, json.dumps(body) if body is not None else None, headers)
                answer = conn.getresponse()
                payload = answer.read()
            except OSError:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue  # no answer: counted as lost
            mine.append(time.perf_counter() - started)
            try:
                answers[index] = (answer.status, json.loads(payload))
            except ValueError:
                answers[index] = (answer.status, None)
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.monotonic()
    for thread in threads:
        thread.join()
    duration = time.monotonic() - began
    errors = sum(1 for answer in answers if answer is None)
    non_2xx = sum(1 for answer in answers if answer is not None and not 200 <= answer[0] < 300)
    path = requests[0][1] if requests else ""
    return threads_result(label, path, latencies, duration, errors, non_2xx), answers


def check(workshop_ids, answered):
    """From the database: overbooked seats, counter drift, and answered bookings not stored as answered."""
    overbooked, drift, filled, waiting = 0, 0, 0, 0
    for session_id in workshop_ids:
        session = db.session.get(ProgrammeSession, session_id)
        bookings = db.session.scalars(sa.select(Booking).where(Booking.session_id == session_id)).all()
        confirmed = sum(b.seats for b in bookings if b.status == CONFIRMED)
        queued = sum(1 for b in bookings if b.status == WAITLISTED)
        overbooked += max(0, confirmed - session.capacity)
        drift += int(session.seats_confirmed != confirmed or session.waitlist_length != queued)
        filled += confirmed
        waiting += queued
    stored = dict(db.session.execute(sa.select(Booking.id, Booking.status)).all())
    missing = sum(1 for booking_id, status in answered.items() if stored.get(booking_id) != status)
    return {"overbooked": overbooked + drift, "counter_drift": drift, "missing": missing,
            "seats_filled": filled, "waitlisted": waiting}


def run(stack):
    stack.extra_env["TRUSTED_PROXIES"] = "1"
    shared = stack.worker_connections
    stack.worker_connections = stack.share_of(CONNECTIONS)  # this driver's connections, half to each worker
    stack.restart()
    try:
        return _run(stack)
    finally:
        stack.extra_env.pop("TRUSTED_PROXIES", None)
        stack.worker_connections = shared
        stack.restart()


def _run(stack):
    began = time.monotonic()
    seeded = stack.seed(seed, VISITORS)
    print(f"   seeded {VISITORS} passes through sign_up in {time.monotonic() - began:.0f} s")
    requests = [("POST", f"/api/v1/passes/{token}/bookings", {"session_id": session_id},
                 {"X-Forwarded-For": address(n)}) for n, (token, session_id) in enumerate(seeded["requests"])]
    city_floor = stack.seed(lambda: db.session.scalar(sa.select(City.id).order_by(City.id)))
    before = stack_cpu(stack)
    floor = run_threads(stack.base_url, f"/bench/floor?id={city_floor}", "floor", stack.seconds, CONNECTIONS)
    after = stack_cpu(stack)
    floor_cpu = cpu_ms_per_request(before, after, floor.requests)

    booked, answers = race(stack, requests, f"book: {VISITORS} visitors")
    book_cpu = cpu_ms_per_request(after, stack_cpu(stack), booked.requests)
    lost = sum(1 for answer in answers if answer is None or answer[0] != 201)
    answered = {body["id"]: body["status"] for status, body in filter(None, answers) if status == 201}

    # Holders cancel at once: each cancellation promotes from its waitlist in the same transaction.
    confirmed = [(i, body["id"]) for i, (status, body) in enumerate(answers)
                 if answers[i] and status == 201 and body["status"] == CONFIRMED]
    leaving = Random(7).sample(confirmed, min(CANCELS, len(confirmed)))
    tokens = seeded["tokens"]
    cancelled, cancel_answers = race(
        stack, [("DELETE", f"/api/v1/passes/{tokens[i]}/bookings/{booking_id}", None, {"X-Forwarded-For": address(i)})
                for i, booking_id in leaving],
        f"cancel: {len(leaving)} holders (promotes)",
    )
    lost += sum(1 for answer in cancel_answers if answer is None or answer[0] != 200)
    for booking_id in (b for _, b in leaving):
        answered[booking_id] = "cancelled"
    promoted = set(stack.seed(lambda: db.session.scalars(
        sa.select(Booking.id).where(Booking.promoted_at.is_not(None))).all()))
    for booking_id in promoted:
        answered[booking_id] = CONFIRMED

    verdict = stack.seed(check, seeded["workshop_ids"], answered)
    lost += verdict["missing"]
    rows = report([floor, booked, cancelled], floor=floor,
                  title=f"booking rush: {VISITORS} visitors, {WORKSHOPS} workshops x {SEATS} seats, "
                        f"{CONNECTIONS} client threads")
    print(f"   seats filled {verdict['seats_filled']}/{WORKSHOPS * SEATS}, waitlisted {verdict['waitlisted']}, "
          f"promoted {len(promoted)}; overbooked {verdict['overbooked']} (counter drift {verdict['counter_drift']}), "
          f"lost {lost}")
    # The steadier figure where the machine is shared: CPU per request of gunicorn and PostgreSQL (the
    # workers' statements included), and the floor's as a share of a booking's: the throughput the CPU allows.
    print(f"   CPU per request (gunicorn and PostgreSQL): floor {floor_cpu:.2f} ms, booking {book_cpu:.2f} ms; "
          f"floor's CPU / booking's {floor_cpu / book_cpu:.3f}x")
    if verdict["overbooked"] or lost:
        raise SystemExit("booking_rush: overbooked or lost requests")
    return {"rows": rows, "overbooked": verdict["overbooked"], "lost": lost, "seats_filled": verdict["seats_filled"],
            "waitlisted": verdict["waitlisted"], "promoted": len(promoted), "floor_cpu_ms": floor_cpu,
            "book_cpu_ms": book_cpu}


if __name__ == "__main__":
    with Stack() as running:
        run(running)
