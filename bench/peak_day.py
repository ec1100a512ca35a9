"""A national peak day on one machine: gate scans, a registration opening, calendar feeds and
programme views together, open-loop at fixed rates, with two RQ workers mailing the confirmations.

    .venv/bin/python -m bench.peak_day          (or `make bench`, which runs every bench module)

The rates are docs/deploy.md's national peak ("Sizing a national peak day"), asked at once
for PEAK_SECONDS (default 60) against gunicorn (`-w 2 -k gthread --threads 4`), PostgreSQL,
Redis and two `flask --app wsgi worker` processes (PEAK_WORKER_ARGS, say `--no-fork`, is
passed to both) sending into aiosmtpd's discarding Sink:

    scans      PEAK_SCANS (100/s)      POST /api/v1/checkpoints/{gate}/scans, distinct passes, 64 phones
    bookings   PEAK_BOOKINGS (100/s)   POST /api/v1/passes/{token}/bookings, 5 workshops a visitor
    sign-ups   PEAK_SIGNUPS (33/s)     POST /api/v1/festivals/{slug}/passes over 12 festivals
    feeds      PEAK_FEEDS (5/s)        programme.ics (full, and revalidated with its ETag), a venue's
                                       feed, a visitor's agenda.ics
    programme  PEAK_PROGRAMME (50/s)   the day's programme page and API of the demo festival (19
                                       sessions) and of a 1,000-session one, filtered by day and kind

Open loop: every request has a scheduled time (i / rate after the start) and is sent then,
whether or not earlier ones were answered; its latency runs from that scheduled time, so a
server that falls behind is charged for the queue it builds (no coordinated omission). A
request not answered by PEAK_GRACE (10 s) after the run counts as unanswered and as slower
than every answer in the percentiles. "Served" is the 2xx answers received during the run,
per second. Each kind has its own pool of at most PEAK_CONNECTIONS (64) connections, as
each crowd has its own phones: a kind that falls behind queues in its own pool.

Rate limits stay on, and the crowd is modelled as it is: scans rotate over 64 staff tokens
(phones; 600 scans a minute each, app/limits.py), every e-mail signs up once (5 a minute per
address), a pass books 5 of the 30 a minute it may, and sign-ups spread over 12 festivals,
each under its default ceiling of 2,000 new passes an hour. Bookings (600 a minute per
address) and sign-ups (300 a minute per address) come from many phones in production, but
here all from the loopback address: gunicorn runs with TRUSTED_PROXIES=1 and each visitor's
requests carry its own X-Forwarded-For, as the reverse proxy of docs/deploy.md would send.

Printed: per kind the rate asked and served, p50/p95/p99 and errors by status; the mail
backlog (outbox not handed over, RQ queues, confirmations and other mail sent) every
PEAK_SAMPLE (3) s from the start until every sign-up's confirmation and every booking's notice
is sent, or PEAK_DRAIN (40) s after the load, and when the last confirmation
was handed to SMTP; the machine's idle CPU (/proc/stat) during the load. Afterwards the
database is checked as bench.gate_rush and bench.booking_rush check it: no pass admitted
twice, no seat overbooked, every answered booking stored. The module starts from a fresh
database (it reuses those benches' seeds, which would collide with their own data).
"""
import asyncio
import logging
import os
import shlex
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from random import Random

import httpx
import sqlalchemy as sa
from rq import Queue, Worker

from app import relay
from app.database import db, now_utc
from app.outbox import OutboxMessage
from app.queues import GENERAL_QUEUES
from app.redis_conn import connection
from bench import booking_rush, gate_rush
from bench.conditional import etag_of
from bench.feeds import _seed as seed_feeds_festival
from bench.harness import ROOT, Stack, child_pids, cpu_times, idle_share, process_cpu, stop_processes
from bench.mail_throughput import start_sink
from bench.programme import BIG_SLUG
from events import services as events
from events.models import City, Festival
from feeds.services import store
from mail.models import SENT, SentMessage

SECONDS = float(os.environ.get("PEAK_SECONDS", "60"))
RATES = {
    "scans": float(os.environ.get("PEAK_SCANS", "100")),
    "bookings": float(os.environ.get("PEAK_BOOKINGS", "100")),
    "sign-ups": float(os.environ.get("PEAK_SIGNUPS", "33")),
    "feeds": float(os.environ.get("PEAK_FEEDS", "5")),
    "programme": float(os.environ.get("PEAK_PROGRAMME", "50")),
}
GRACE = float(os.environ.get("PEAK_GRACE", "10"))
CONNECTIONS = int(os.environ.get("PEAK_CONNECTIONS", "64"))
SAMPLE = float(os.environ.get("PEAK_SAMPLE", "3"))
DRAIN = float(os.environ.get("PEAK_DRAIN", "40"))
WORKER_ARGS = shlex.split(os.environ.get("PEAK_WORKER_ARGS", ""))
GOAL_P95_MS = 300
BOOKINGS_PER_VISITOR = 5  # of the 10 workshops, none clashing: fewer visitors to seed
SIGNUP_FESTIVALS = 12
DEMO_SLUG = "learning-city-days-2023"


# --- the data: the other benches' seeds, then what only a peak day adds -------------------


def _gate_today():
    """The gate's festival (bench.gate_rush's) runs today in its zone: scans on other days are rehearsals."""
    festival = db.session.scalar(sa.select(Festival).where(Festival.slug == "bench-gate-rush"))
    today = datetime.now(festival.zone).date()
    festival.starts_on, festival.ends_on = today - timedelta(days=1), today + timedelta(days=1)


def _signup_festivals():
    """SIGNUP_FESTIVALS published festivals of their own cities, each at its default ceiling."""
    slugs = []
    for n in range(SIGNUP_FESTIVALS):
        city = City(slug=f"bench-peak-city-{n}", name_th=f"เมืองทดสอบ {n}", name_en=f"Peak city {n}")
        db.session.add(city)
        db.session.flush()
        slug = f"bench-peak-{n}"
        events.create_festival(city.id, slug=slug, name_th=f"เทศกาลวันคึกคัก {n}", name_en=f"Peak day {n}",
                               starts_on=datetime(2027, 11, 20).date(), ends_on=datetime(2027, 11, 21).date(),
                               status="published")
        slugs.append(slug)
    return slugs


def _nothing_waiting():
    """The seeds' outbox messages count as handed over: the workers start with an empty backlog."""
    db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.dispatched_at.is_(None))
                       .values(dispatched_at=now_utc()))


def _build_feeds(festival_id):
    store.build_festival(store.festival_by_id(festival_id))


def seed(stack, counts):
    began = time.monotonic()
    # The after-commit relay stays paused while seeding: the seeds' own sign-ups and bookings
    # must not reach the workers, whose backlog is the run's.
    stack.seed(relay.pause, 24 * 3600)
    gate = stack.seed(gate_rush.seed, counts["scans"])
    stack.seed(_gate_today)
    print(f"   gate: {counts['scans']} passes, {len(gate['tokens'])} phones ({time.monotonic() - began:.0f} s)")
    visitors = -(-counts["bookings"] // BOOKINGS_PER_VISITOR)
    bookings = stack.seed(booking_rush.seed, visitors)
    print(f"   bookings: {visitors} visitors through sign_up ({time.monotonic() - began:.0f} s)")
    festival_id, venue_id, feed_token = stack.seed(seed_feeds_festival)
    stack.seed(_build_feeds, festival_id)
    slugs = stack.seed(_signup_festivals)
    stack.seed(_nothing_waiting)
    stack.seed(relay.resume)
    with stack.app().app_context():
        connection().flushdb()  # nor anything the seeds queued or counted
    print(f"   seeded in {time.monotonic() - began:.0f} s: {counts['scans']} gate passes, {visitors} visitors "
          f"through sign_up, the 1,000-session festival and its feeds, {len(slugs)} festivals for sign-ups")
    return {"gate": gate, "bookings": bookings, "venue_id": venue_id, "feed_token": feed_token, "slugs": slugs}


# --- what each crowd sends ------------------------------------------------------------------


def _address(kind_number, n):
    """A phone's own address (10.k.x.y), sent as X-Forwarded-For: the proxy's view of the crowd."""
    return f"10.{kind_number}.{(n >> 8) & 255}.{n & 255}"


def scan_requests(gate, count):
    path = f"/api/v1/checkpoints/{gate['gate_id']}/scans"
    tokens = gate["tokens"]
    return [("POST", path, {"Authorization": f"Bearer {tokens[n % len(tokens)]}"},
             {"code": code, "device_id": f"peak-phone-{n % len(tokens)}"})
            for n, code in enumerate(gate["codes"][:count])]


def booking_requests(seeded, count):
    """Each visitor books BOOKINGS_PER_VISITOR different workshops, one per round through the crowd,
    the first as bench.booking_rush chose it and the others wanted alike (10:9:...:1)."""
    workshops = seeded["workshop_ids"]
    weights = dict(zip(workshops, [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]))
    random = Random(2028)
    chosen = []
    for token, first in seeded["requests"]:
        mine = [first]
        while len(mine) < BOOKINGS_PER_VISITOR:
            left = [w for w in workshops if w not in mine]
            mine.append(random.choices(left, weights=[weights[w] for w in left])[0])
        chosen.append((token, mine))
    out = []
    for round_ in range(BOOKINGS_PER_VISITOR):
        for n, (token, mine) in enumerate(chosen):
            out.append(("POST", f"/api/v1/passes/{token}/bookings", {"X-Forwarded-For": _address(1, n)},
                        {"session_id": mine[round_]}))
    return out[:count]


def signup_requests(slugs, count):
    random = Random(2029)
    out = []
    for n in range(count):
        family = random.choices([0, 1, 2, 3], weights=[80, 10, 7, 3])[0]
        body = {"name": f"ผู้สมัคร {n}", "email": f"peak{n}@bench.example", "age_group": "adult", "consent": True,
                "locale": "th" if n % 2 else "en",
                "party": [{"name": f"ลูก {n}.{m}", "age_group": "child"} for m in range(family)]}
        out.append(("POST", f"/api/v1/festivals/{slugs[n % len(slugs)]}/passes",
                    {"X-Forwarded-For": _address(2, n)}, body))
    return out


def _rotate(targets, count):
    return [targets[n % len(targets)] for n in range(count)]


def feed_requests(stack, seeded, count):
    """A calendar app fetching the whole programme, two revalidating it, a venue's feed, an agenda."""
    programme = f"/festivals/{BIG_SLUG}/programme.ics"
    etag = etag_of(stack, programme)
    return _rotate([
        ("GET", programme, {}, None),
        ("GET", programme, {"If-None-Match": etag}, None),
        ("GET", f"/festivals/{BIG_SLUG}/venues/{seeded['venue_id']}/programme.ics", {}, None),
        ("GET", programme, {"If-None-Match": etag}, None),
        ("GET", f"/passes/{seeded['feed_token']}/agenda.ics", {}, None),
    ], count)


def programme_requests(count):
    """Phones opening a day's programme: a typical festival (the demo, 19 sessions) as the page and
    the API, and the 1,000-session festival's day filtered to workshops, page and API."""
    return _rotate([
        ("GET", f"/festivals/{DEMO_SLUG}?lang=th", {}, None),
        ("GET", f"/api/v1/festivals/{DEMO_SLUG}/sessions", {}, None),
        ("GET", f"/festivals/{BIG_SLUG}?lang=th&day=2027-11-02&kind=workshop", {}, None),
        ("GET", f"/api/v1/festivals/{BIG_SLUG}/sessions?day=2027-11-02&kind=workshop", {}, None),
    ], count)


# --- the open-loop driver ------------------------------------------------------------------


class Outcome:
    """One kind's answers: (scheduled, answered, status or exception name, JSON body if kept)."""

    def __init__(self, kind, rate, requests):
        self.kind, self.rate, self.requests = kind, rate, requests
        self.answers = [None] * len(requests)
        self.send_lag = []  # from the scheduled time to a free connection
        self.schedule_lag = []  # how late the driver itself woke up to send: it shares the two cores


async def _one(client, slots, outcome, index, at, keep_body, loop):
    method, path, headers, body = outcome.requests[index]
    # Waiting for a free connection is part of the latency (it runs from `at`). The wait is ours,
    # not httpx's: its pool walks every waiting request on each release, which with thousands
    # waiting took the event loop for itself.
    async with slots:
        outcome.send_lag.append(loop.time() - at)
        try:
            answer = await client.request(method, path, headers=headers, json=body)
        except (httpx.HTTPError, OSError) as error:
            outcome.answers[index] = (at, loop.time(), type(error).__name__, None)
            return
    kept = None
    if keep_body and answer.status_code == 201:
        kept = answer.json()
    outcome.answers[index] = (at, loop.time(), answer.status_code, kept)


async def _drive(client, outcome, start, keep_body):
    loop = asyncio.get_running_loop()
    slots = asyncio.Semaphore(CONNECTIONS)
    tasks = []
    for index in range(len(outcome.requests)):
        at = start + index / outcome.rate
        delay = at - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        outcome.schedule_lag.append(loop.time() - at)
        tasks.append(asyncio.create_task(_one(client, slots, outcome, index, at, keep_body, loop)))
    left = start + SECONDS + GRACE - loop.time()
    if tasks:
        _done, pending = await asyncio.wait(tasks, timeout=max(0.0, left))
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


async def _drive_all(base_url, outcomes):
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.5
    clients = [httpx.AsyncClient(base_url=base_url, timeout=SECONDS + GRACE,
                                 limits=httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS))
               for _ in outcomes]
    try:
        await asyncio.gather(*(_drive(client, outcome, start, outcome.kind == "bookings")
                               for client, outcome in zip(clients, outcomes)))
    finally:
        for client in clients:
            await client.aclose()
    return start


def drive(base_url, outcomes):
    """Run every kind at its rate; returns the run's start on the event loop's clock."""
    # The app's logging set the root logger to INFO in this process: httpx would log every request.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return asyncio.run(_drive_all(base_url, outcomes))


def summary(outcome, start):
    """Asked and served per second, percentiles from the scheduled time (unanswered: slowest), errors."""
    answered = [a for a in outcome.answers if a is not None]
    served = sum(1 for _at, done, status, _ in answered if _ok(status) and done <= start + SECONDS)
    latencies = sorted(done - at for at, done, _status, _ in answered)
    unanswered = len(outcome.requests) - len(answered)
    everyone = latencies + [float("inf")] * unanswered

    def pct(p):
        if not everyone:
            return None
        value = everyone[min(len(everyone) - 1, int(len(everyone) * p / 100))]
        return None if value == float("inf") else round(value * 1000, 1)

    errors = Counter(str(status) for _, _, status, _ in answered if not _ok(status))
    if unanswered:
        errors["unanswered"] = unanswered
    lag = sorted(outcome.schedule_lag)
    return {
        "kind": outcome.kind, "asked_per_s": outcome.rate, "sent": len(outcome.requests), "served": served,
        "served_per_s": round(served / SECONDS, 1), "share_served": round(served / SECONDS / outcome.rate, 3),
        "p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99), "errors": dict(errors),
        "driver_lag_p99_ms": round(lag[int(len(lag) * 0.99)] * 1000, 1) if lag else None,
        "connection_wait_p95_ms": _p95(outcome.send_lag),
    }


def _p95(values):
    values = sorted(values)
    return round(values[int(len(values) * 0.95)] * 1000, 1) if values else None


def _ok(status):
    """A 2xx, or the 304 a revalidating calendar app asks for (an exception's name is not)."""
    return isinstance(status, int) and (200 <= status < 300 or status == 304)


# --- the workers and their backlog ------------------------------------------------------------


def start_workers(stack, smtp_port):
    env = stack.env()
    env.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp_port), MAIL_FROM="Thetsakan <no-reply@thetsakan.example>")
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "worker", *WORKER_ARGS]
    return [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(2)]


def _workers_ready(count):
    return len(Worker.all(connection=connection())) >= count


def backlog_now():
    """Outbox messages not handed to RQ, jobs waiting per queue, mails sent (confirmations apart)."""
    waiting, _oldest = relay.backlog()
    queues = {name: Queue(name, connection=connection()).count for name in GENERAL_QUEUES}
    confirmation = SentMessage.key.like("pass.created:%").label("confirmation")
    sent = dict(db.session.execute(
        sa.select(confirmation, sa.func.count()).where(SentMessage.status == SENT).group_by(confirmation)).all())
    db.session.rollback()
    return {"outbox": waiting, "queues": queues, "confirmations_sent": sent.get(True, 0),
            "other_mail_sent": sent.get(False, 0)}


def last_sent():
    """When the last confirmation, and the last mail of any kind, was handed to SMTP (wall clock)."""
    row = db.session.execute(
        sa.select(sa.func.max(SentMessage.sent_at).filter(SentMessage.key.like("pass.created:%")),
                  sa.func.max(SentMessage.sent_at)).where(SentMessage.status == SENT)).one()
    return row[0], row[1]


class CpuUse:
    """CPU seconds the stack's own processes spent during the load, by part: the machine is shared,
    so its idle share alone does not say what the peak costs.

    web: gunicorn's master and workers. workers: the two RQ workers with the work-horses they have
    reaped. postgres: the backends serving the bench database, sampled every few seconds (a
    work-horse's short-lived connection is missed: an undercount)."""

    def __init__(self, stack, workers):
        self.stack, self.workers = stack, workers
        self.first, self.last, self.part = {}, {}, {}
        self.lock, self.started, self.closed = threading.Lock(), False, False

    def observe(self):
        """Read every process now (in an app context: the backends come from pg_stat_activity)."""
        backends = db.session.scalars(sa.text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")).all()
        db.session.rollback()
        web = [self.stack.process.pid, *child_pids(self.stack.process.pid)]
        parts = {**{pid: "web" for pid in web}, **{w.pid: "workers" for w in self.workers},
                 **{pid: "postgres" for pid in backends}}
        with self.lock:
            if self.closed:
                return
            for pid, part in parts.items():
                value = process_cpu(pid)
                if value is None:
                    continue
                # A process first seen after the start began during the load: all its CPU counts.
                self.first.setdefault(pid, value if not self.started else 0.0)
                self.last[pid], self.part[pid] = value, part
            self.started = True

    def close(self):
        self.observe()
        with self.lock:
            self.closed = True

    def seconds(self):
        totals = Counter()
        for pid, value in self.last.items():
            totals[self.part[pid]] += value - self.first[pid]
        return dict(totals)


class Sampler(threading.Thread):
    """Every SAMPLE seconds: the mail backlog and the machine's CPU, in its own thread beside the driver."""

    def __init__(self, stack, cpu):
        super().__init__(daemon=True)
        self.stack, self.cpu, self.samples, self.began = stack, cpu, [], time.monotonic()
        self.stop_event = threading.Event()

    def run(self):
        with self.stack.app().app_context():
            previous = cpu_times()
            while True:
                now = cpu_times()
                self.cpu.observe()
                sample = backlog_now()
                sample.update(t=round(time.monotonic() - self.began, 1), idle=round(idle_share(previous, now), 3))
                self.samples.append(sample)
                previous = now
                if self.stop_event.wait(SAMPLE):
                    break
            db.session.remove()


def drained(sample, signed_up, booked):
    """Every sign-up's confirmation and every booking's notice sent. Other jobs may still wait:
    the default queue also holds a webhook-recording job per message, endpoints or not."""
    return sample["confirmations_sent"] >= signed_up and sample["other_mail_sent"] >= booked


# --- the run ---------------------------------------------------------------------------------------


def run(stack, fresh=True):
    """fresh: start from a new database (under bench.run_all, after the other benches' data)."""
    counts = {kind: int(rate * SECONDS) for kind, rate in RATES.items()}
    stack.extra_env["TRUSTED_PROXIES"] = "1"
    # Hundreds of connections opened as the load asks: gunicorn's own limit, they spread by themselves.
    shared, stack.worker_connections = stack.worker_connections, None
    if fresh:
        stack.fresh()
    else:
        stack.stop()
    sink, smtp_port = start_sink()
    workers = []
    try:
        seeded = seed(stack, counts)
        stack.start()
        outcomes = [
            Outcome("scans", RATES["scans"], scan_requests(seeded["gate"], counts["scans"])),
            Outcome("bookings", RATES["bookings"], booking_requests(seeded["bookings"], counts["bookings"])),
            Outcome("sign-ups", RATES["sign-ups"], signup_requests(seeded["slugs"], counts["sign-ups"])),
            Outcome("feeds", RATES["feeds"], feed_requests(stack, seeded, counts["feeds"])),
            Outcome("programme", RATES["programme"], programme_requests(counts["programme"])),
        ]
        for outcome in outcomes:  # warm every path once, and fail loudly on a wrong one
            method, path, _, _ = outcome.requests[-1]
            if method == "GET":
                status, _ = stack.get(path)
                if status != 200:
                    raise RuntimeError(f"{path} answered {status}")
        workers = start_workers(stack, smtp_port)
        with stack.app().app_context():
            deadline = time.monotonic() + 60
            while not _workers_ready(2) and time.monotonic() < deadline:
                time.sleep(0.5)
        cpu = CpuUse(stack, workers)
        stack.seed(cpu.observe)
        sampler = Sampler(stack, cpu)
        cpu_before, wall_start = cpu_times(), datetime.now().astimezone()
        driver_before = time.process_time()
        sampler.start()
        start = drive(stack.base_url, outcomes)
        cpu_after = cpu_times()
        stack.seed(cpu.close)
        # The driver's own share of the machine (this process: the load generator and the sampler).
        driver_cores = (time.process_time() - driver_before) / (SECONDS + GRACE)
        load_ended = time.monotonic()
        rows = [summary(outcome, start) for outcome in outcomes]
        signed_up = sum(1 for a in outcomes[2].answers if a is not None and a[2] == 201)
        booked = sum(1 for a in outcomes[1].answers if a is not None and a[2] == 201)
        while time.monotonic() - load_ended < DRAIN:
            if sampler.samples and drained(sampler.samples[-1], signed_up, booked):
                break
            time.sleep(1)
        sampler.stop_event.set()
        sampler.join()
        last_confirmation, last_mail = stack.seed(last_sent)
        verdict = check(stack, seeded, outcomes[1])
    finally:
        stop_processes(workers)
        sink.terminate()
        sink.wait(timeout=10)
        stack.extra_env.pop("TRUSTED_PROXIES", None)
        stack.worker_connections = shared
        stack.restart()
    idle = idle_share(cpu_before, cpu_after)
    after = [x for x in sampler.samples if x["t"] >= SECONDS + 1]
    drain_rate = ((after[-1]["confirmations_sent"] - after[0]["confirmations_sent"]) / (after[-1]["t"] - after[0]["t"])
                  if len(after) > 1 else None)
    window = SECONDS + GRACE
    cores = {part: round(seconds / window, 2) for part, seconds in cpu.seconds().items()}
    answered = sum(sum(1 for a in outcome.answers if a is not None) for outcome in outcomes)
    result = {"drain_rate": drain_rate, "driver_cores": round(driver_cores, 2), "cores": cores,
              "answered": answered,
              "stack_ms_per_answer": round((cores.get("web", 0) + cores.get("postgres", 0)) * window / answered * 1000, 1)
              if answered else None, "rows": rows, "idle_cpu": round(idle, 3), "samples": sampler.samples, "signed_up": signed_up,
              "last_confirmation_s": _since(last_confirmation, wall_start), "last_mail_s": _since(last_mail, wall_start),
              "booked": booked,
              "drained": bool(sampler.samples) and drained(sampler.samples[-1], signed_up, booked), **verdict}
    print_report(result)
    if verdict["admitted_twice"] or verdict["overbooked"] or verdict["missing"]:
        raise SystemExit("peak_day: a pass admitted twice, a seat overbooked or an answered booking lost")
    return result


def _since(moment, wall_start):
    return round((moment - wall_start).total_seconds(), 1) if moment else None


def check(stack, seeded, bookings):
    _by_result, twice = stack.seed(gate_rush.outcome, seeded["gate"]["gate_id"])
    answered = {body["id"]: body["status"] for a in bookings.answers if a is not None and a[3] for body in [a[3]]}
    verdict = stack.seed(booking_rush.check, seeded["bookings"]["workshop_ids"], answered)
    return {"admitted_twice": twice, "overbooked": verdict["overbooked"], "missing": verdict["missing"]}


def print_report(result):
    print(f"\n== peak day: {SECONDS:.0f} s open-loop, gunicorn -w 2 gthread 4, two RQ workers "
          f"{' '.join(WORKER_ARGS) or '(fork per job)'}; goal p95 < {GOAL_P95_MS} ms at every rate")
    print(f"{'kind':<10} {'asked/s':>8} {'served/s':>9} {'served':>7} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9}  errors")
    held = True
    for row in result["rows"]:
        ok = row["share_served"] >= 0.99 and row["p95_ms"] is not None and row["p95_ms"] < GOAL_P95_MS
        held &= ok
        errors = ", ".join(f"{k}: {v}" for k, v in sorted(row["errors"].items())) or "0"
        print(f"{row['kind']:<10} {row['asked_per_s']:>8.1f} {row['served_per_s']:>9.1f} "
              f"{row['share_served'] * 100:>6.0f}% {_ms(row['p50_ms']):>9} {_ms(row['p95_ms']):>9} "
              f"{_ms(row['p99_ms']):>9}  {errors}{'' if ok else '  (goal missed)'}")
    print(f"   idle CPU during the load: {result['idle_cpu'] * 100:.0f}% of 2 cores; "
          f"the driver used {result['driver_cores']:.2f} of a core, its own lateness to send p99 "
          f"{max((r['driver_lag_p99_ms'] or 0) for r in result['rows']):.0f} ms")
    cores = result["cores"]
    print(f"   CPU of the stack's own processes over the load and its grace ({SECONDS + GRACE:.0f} s), in cores: "
          f"web {cores.get('web', 0):.2f}, PostgreSQL {cores.get('postgres', 0):.2f}, RQ workers "
          f"{cores.get('workers', 0):.2f}, driver {result['driver_cores']:.2f}; web + PostgreSQL per answered request "
          f"{result['stack_ms_per_answer']} ms ({result['answered']} answered)")
    print(f"\n   mail backlog (t from the load's start; the load lasts {SECONDS:.0f} s; the outbox counts the scans'"
          f" messages the sweep marks; each message's dispatch job waits on the default queue):")
    print(f"   {'t s':>6} {'outbox':>7} {'mail q':>7} {'feeds q':>8} {'dispatch q':>10} {'confirm. sent':>13} "
          f"{'other sent':>10} {'idle':>5}")
    for s in result["samples"]:
        q = s["queues"]
        print(f"   {s['t']:>6.1f} {s['outbox']:>7} {q.get('mail', 0):>7} {q.get('feeds', 0):>8} {q.get('default', 0):>10} "
              f"{s['confirmations_sent']:>13} {s['other_mail_sent']:>10} {s['idle'] * 100:>4.0f}%")
    last = result["samples"][-1] if result["samples"] else None
    print(f"   sign-ups answered 201: {result['signed_up']}, bookings {result['booked']} (a notice each); "
          f"last confirmation handed to SMTP "
          f"{_s(result['last_confirmation_s'])} after the start, last mail of any kind {_s(result['last_mail_s'])}")
    if not result["drained"] and last:
        left = result["signed_up"] - last["confirmations_sent"]
        print(f"   NOT DRAINED after {DRAIN:.0f} s past the load: {left} confirmations and "
              f"{result['booked'] - last['other_mail_sent']} booking notices not sent, "
              f"{sum(last['queues'].values())} jobs waiting, outbox {last['outbox']}")
        rate = result["drain_rate"]
        if rate:
            print(f"   after the load the workers sent {rate:.1f} confirmations/s: about {left / rate:.0f} s more "
                  f"for the confirmations (other mail and jobs besides)")
    print(f"   passes admitted twice: {result['admitted_twice']}; overbooked: {result['overbooked']}; "
          f"answered bookings not stored: {result['missing']}")
    print(f"   goal {'HELD' if held else 'NOT HELD'}: every rate served with p95 under {GOAL_P95_MS} ms")


def _ms(value):
    return f"{value:.0f}" if value is not None else "unansw."


def _s(value):
    return f"{value:.0f} s" if value is not None else "never"


if __name__ == "__main__":
    with Stack() as running:
        run(running, fresh=False)
