"""A sign-up rush and its confirmations: how long each family waits for its mail, old workers against new.

    BENCH_BEFORE_REF=<commit> python -m bench.mail_rush

Two `flask --app wsgi worker` processes (what a 2-core server runs) wait on the
queues; then BENCH_RUSH_VISITORS (default 2,000) visitors sign up, one after the
other as fast as the sign-up commits (every third with a child), through
`registrations.services.sign_up` in this process with the after-commit relay
live, as the web app would hand them over. The workers, the sign-ups, PostgreSQL
and the SMTP sink (aiosmtpd's Sink, discarding) share the machine's cores.

A family's wait is from its pass's `created_at` to its confirmation's `sent_at` in
the ledger (the SMTP server's 250): p50, p95 and the last family's. Mails/s is the
confirmations over the time from the first sign-up to the last confirmation.

Each mode runs the same rush on a festival of its own, in the same run:
* `before`: the workers of BENCH_BEFORE_REF (that commit's tree, from `git archive`,
  with this checkout's compiled catalogues and the same venv, database and Redis);
* `before --no-fork`: the same, with `--no-fork`;
* `now` and `now --no-fork`: this checkout's workers.
Without BENCH_BEFORE_REF only the `now` modes run; BENCH_RUSH_NO_FORK=0 leaves the
`--no-fork` modes out (mail runs in the worker process either way). BENCH_RUSH_ROUNDS
(default 1) repeats the modes, in reverse order every other round, so that the
machine's neighbours weigh on each alike. BENCH_RUSH_TIMEOUT (default 600 s) bounds
each mode. Each mode notes the machine's one-minute load average at its start and end.
"""
import io
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from rq import Worker

from app import relay
from app.database import db
from app.redis_conn import connection
from bench.harness import ROOT, Stack, stop_processes
from bench.mail_throughput import start_sink
from events import services as events
from events.demo.loading import load_demo
from mail.models import SENT, SentMessage
from registrations import services as registrations
from registrations.models import Pass

VISITORS = int(os.environ.get("BENCH_RUSH_VISITORS", "2000"))
ROUNDS = int(os.environ.get("BENCH_RUSH_ROUNDS", "1"))
TIMEOUT = float(os.environ.get("BENCH_RUSH_TIMEOUT", "600"))
BEFORE_REF = os.environ.get("BENCH_BEFORE_REF")
NO_FORK_MODES = os.environ.get("BENCH_RUSH_NO_FORK", "1") != "0"
WORKERS = 2
GOAL_S = 60  # issue 14: every confirmation handed to SMTP within a minute of its sign-up


def before_tree(ref):
    """The tree of `ref` in a temporary folder, with the compiled catalogues (*.mo, not in git) of this one."""
    path = Path(tempfile.mkdtemp(prefix="thetsakan-before-"))
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(path, filter="data")
    for catalogue in ROOT.glob("*/translations/*/LC_MESSAGES/*.mo"):
        target = path / catalogue.relative_to(ROOT)
        if target.parent.exists():
            shutil.copy2(catalogue, target)
    return path


def make_festival(slug):
    if events.city_by_slug("bangkok") is None:
        load_demo()
    events.create_festival(
        events.city_by_slug("bangkok").id, slug=slug, name_th="เทศกาลเปิดรับสมัคร", name_en="Registration rush",
        starts_on=date(2027, 11, 1), ends_on=date(2027, 11, 2), status="published",
    )


def rush(slug, count):
    """Sign `count` visitors up, each committed (and handed to RQ after its commit); seconds taken."""
    relay.resume()
    began = time.perf_counter()
    for n in range(count):
        registrations.sign_up(
            slug, name=f"ครอบครัว {n}", email=f"{slug}-{n}@example.org", age_group="adult", consent=True,
            locale="th" if n % 2 else "en", party=[{"name": f"ลูก {n}", "age_group": "child"}] if n % 3 == 0 else (),
        )
        db.session.commit()
    return time.perf_counter() - began


def waits(slug):
    """(created_at, sent_at or None) of each pass of the festival, from the database's own clock values."""
    from_key = sa.literal("pass.created:") + sa.cast(Pass.id, sa.String)
    query = (
        sa.select(Pass.created_at, SentMessage.sent_at)
        .select_from(Pass)
        .outerjoin(SentMessage, sa.and_(SentMessage.key == from_key, SentMessage.status == SENT))
        .where(Pass.email.like(f"{slug}-%"))
    )
    return db.session.execute(query).all()


def sent(slug):
    return sum(1 for _created, sent_at in waits(slug) if sent_at is not None)


def live_workers():
    return len(Worker.all(connection=connection()))


def start_workers(stack, smtp_port, tree, extra):
    env = stack.env()
    env.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp_port), MAIL_FROM="Thetsakan <no-reply@thetsakan.example>")
    env.pop("PYTHONPATH", None)  # the tree's own modules, from the working directory
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "worker", *extra]
    return [subprocess.Popen(command, cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(WORKERS)]


def run_mode(stack, smtp_port, label, tree, extra, slug):
    load_before = os.getloadavg()[0]
    stack.seed(make_festival, slug)
    workers = start_workers(stack, smtp_port, tree, extra)
    try:
        deadline = time.monotonic() + 120
        while stack.seed(live_workers) < WORKERS and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2)  # their first upkeep (the warm-up) before the rush
        signing = stack.seed(rush, slug, VISITORS)
        deadline = time.monotonic() + TIMEOUT
        while stack.seed(sent, slug) < VISITORS and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        stop_processes(workers)
    rows = stack.seed(waits, slug)
    done = [(created, sent_at) for created, sent_at in rows if sent_at is not None]
    seconds = sorted((sent_at - created).total_seconds() for created, sent_at in done)
    span = (max(s for _c, s in done) - min(c for c, _s in rows)).total_seconds() if done else float("nan")
    return {
        "mode": label, "signed_up": len(rows), "sent": len(done), "sign_up_s": round(signing, 1),
        "mails_per_s": round(len(done) / span, 1) if done else 0.0,
        "wait_p50_s": round(statistics.median(seconds), 1) if seconds else None,
        "wait_p95_s": round(seconds[int(0.95 * (len(seconds) - 1))], 1) if seconds else None,
        "wait_max_s": round(seconds[-1], 1) if seconds else None,
        "load": f"{load_before:.1f}-{os.getloadavg()[0]:.1f}",
    }


def run(stack):
    sink, port = start_sink()
    tree = before_tree(BEFORE_REF) if BEFORE_REF else None
    modes = [("now", ROOT, []), ("now --no-fork", ROOT, ["--no-fork"])]
    if tree is not None:
        modes = [(f"before ({BEFORE_REF[:10]})", tree, []), (f"before ({BEFORE_REF[:10]}) --no-fork", tree, ["--no-fork"]),
                 *modes]
    if not NO_FORK_MODES:
        modes = [mode for mode in modes if "--no-fork" not in mode[2]]
    results = []
    try:
        print(f"\n== mail rush: {VISITORS} sign-ups, {WORKERS} workers per mode, {ROUNDS} round(s)")
        for round_ in range(ROUNDS):
            for n, (label, path, extra) in enumerate(modes if round_ % 2 == 0 else modes[::-1]):
                result = run_mode(stack, port, label, path, extra, f"rush-{round_}-{n}")
                result["round"] = round_ + 1
                results.append(result)
                print(f"   round {round_ + 1}, {label}: {result}", flush=True)
    finally:
        sink.terminate()
        sink.wait(timeout=10)
        if tree is not None:
            shutil.rmtree(tree, ignore_errors=True)
    print(f"{'round':>5} {'workers':<34} {'sent':>10} {'sign-ups s':>10} {'mails/s':>8} {'wait p50':>9} {'p95':>6} {'max':>6} {'load':>9}")
    for r in results:
        print(f"{r['round']:>5} {r['mode']:<34} {r['sent']:>5}/{r['signed_up']:<4} {r['sign_up_s']:>10} "
              f"{r['mails_per_s']:>8} {r['wait_p50_s']:>9} {r['wait_p95_s']:>6} {r['wait_max_s']:>6} {r['load']:>9}")
    now = [r for r in results if r["mode"] == "now"]
    for r in results:
        if r["mode"] != "now":
            same_round = next(x for x in now if x["round"] == r["round"])
            print(f"   round {r['round']}: now / {r['mode']}: mails/s x{same_round['mails_per_s'] / r['mails_per_s']:.2f}, "
                  f"last family's wait x{same_round['wait_max_s'] / r['wait_max_s']:.2f}")
    for r in now:
        print(f"   round {r['round']}, now: the last family waited {r['wait_max_s']} s "
              f"({'within' if r['wait_max_s'] is not None and r['wait_max_s'] <= GOAL_S else 'over'} the {GOAL_S} s goal)")
    return {"visitors": VISITORS, "results": results}


def main():
    with Stack() as stack:
        run(stack)


if __name__ == "__main__":
    main()
