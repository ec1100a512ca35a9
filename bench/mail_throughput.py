"""Mail throughput: confirmations (QR code + agenda.ics) through two RQ workers into a discarding SMTP server,
against a plain smtplib loop sending the same messages.

    python -m bench.mail_throughput          (or `make bench`)

BENCH_MAILS (default 10000) passes are signed up with the after-commit relay
paused, so that their pass.created messages wait in the outbox. The first half
is handed to RQ and two `flask --app wsgi worker` processes (the default
worker: a forked work-horse per job) start; the clock runs until each of those
confirmations is marked sent in the ledger. Then the second half, with two
`flask --app wsgi worker --no-fork` processes. The SMTP server is aiosmtpd's
Sink handler in a separate process. BENCH_MAIL_TIMEOUT (default 1800 s) bounds
each half.

The baseline sends the same kind of message (200 real confirmations, built by the
same code, cycled) with smtplib: over one connection, and one connection per
message as the workers do.

    python -m bench.mail_throughput in-process     (BENCH_MAILS=300 BENCH_PROFILE=1 ...)

One worker in this process (the default AppWorker, burst mode: the dispatch and the
mail jobs) sends BENCH_MAILS confirmations: CPU milliseconds a mail, mails a second,
SQL statements and Redis commands a mail; with BENCH_PROFILE=1 under cProfile
(statistics in /tmp/mail_profile.out, the top functions printed).
"""
import os
import smtplib
import socket
import subprocess
import sys
import time
from datetime import date

import sqlalchemy as sa

from app import relay
from app.database import db, now_utc
from app.outbox import OutboxMessage
from bench.harness import ROOT, Stack, free_port, stop_processes
from events import services as events
from events.demo.loading import load_demo
from registrations import services as registrations
from registrations.models import Pass
from mail.services import content
from mail.services.sending import write_message
from mail.models import SENT, SentMessage

MAILS = int(os.environ.get("BENCH_MAILS", "10000"))
TIMEOUT = float(os.environ.get("BENCH_MAIL_TIMEOUT", "1800"))
WORKERS = 2
STALL = 120  # seconds without a mail sent: something is wrong, stop
SLUG = "bench-mail"
SAMPLE = 200
BATCH = 500


def start_sink():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, port
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the SMTP sink did not start")


def seed(count):
    """A published festival and `count` passes (each with a pass.created message, not handed over)."""
    relay.pause(24 * 3600)
    if events.city_by_slug("bangkok") is None:
        load_demo()
    city = events.city_by_slug("bangkok")
    events.create_festival(
        city.id, slug=SLUG, name_th="เทศกาลทดสอบอีเมล", name_en="Mail bench festival",
        starts_on=date(2027, 11, 1), ends_on=date(2027, 11, 2), status="published",
    )
    db.session.commit()
    began = time.perf_counter()
    for n in range(count):
        registrations.sign_up(
            SLUG, name=f"ผู้เข้าร่วม {n}", email=f"bench{n}@example.org", age_group="adult", consent=True,
            locale="th" if n % 2 else "en", party=[{"name": f"ลูก {n}", "age_group": "child"}] if n % 3 == 0 else (),
        )
        if n % BATCH == BATCH - 1:
            db.session.commit()
    db.session.commit()
    return time.perf_counter() - began


def waiting_ids():
    """The pass.created messages waiting (the festival's own messages are left to the workers' sweep)."""
    return db.session.scalars(
        sa.select(OutboxMessage.id)
        .where(OutboxMessage.dispatched_at.is_(None), OutboxMessage.topic == "pass.created")
        .order_by(OutboxMessage.id)
    ).all()


def hold_back(ids, held):
    """Hide messages from the running workers' own recurring sweep (marked handed over) or show them again."""
    db.session.execute(
        sa.update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(dispatched_at=now_utc() if held else None)
    )


def hand_over(ids):
    hold_back(ids, held=False)
    db.session.commit()
    began = time.perf_counter()
    count = relay.hand_over(ids)
    return count, time.perf_counter() - began


def sample_messages(count):
    """Real confirmations, built by the workers' own code (no ledger, no sending): bytes and build time."""
    passes = db.session.scalars(sa.select(Pass).order_by(Pass.id).limit(count)).all()
    out, began = [], time.perf_counter()
    for pass_ in passes:
        message = write_message(pass_, lambda locale, p=pass_: content.confirmation(p, locale), f"<bench-{pass_.id}@thetsakan.example>")
        out.append((pass_.email, message.as_bytes(policy=message.policy.clone(linesep="\r\n"))))
    return out, (time.perf_counter() - began) / max(1, len(out))


def sent_count():
    return db.session.scalar(sa.select(sa.func.count(SentMessage.id)).where(SentMessage.status == SENT))


def run_workers(stack, port, target, no_fork):
    """Start the workers; return (sent, seconds from start, seconds from the first to the last mail sent)."""
    env = stack.env()
    env.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(port), MAIL_FROM="Thetsakan <no-reply@thetsakan.example>")
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "worker", *(["--no-fork"] if no_fork else [])]
    before = stack.seed(sent_count)
    workers = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(WORKERS)
    ]
    began = time.perf_counter()
    first = None
    done = before
    progress = (time.perf_counter(), done)
    try:
        while time.perf_counter() - began < TIMEOUT:
            done = stack.seed(sent_count)
            now = time.perf_counter()
            if first is None and done > before:
                first = (now, done)
            if done >= target:
                break
            if done > progress[1]:
                progress = (now, done)
            elif now - progress[0] > STALL:
                print(f"   no mail sent for {STALL} s: stopping at {done - before} of {target - before}")
                break
            time.sleep(0.5)
    finally:
        elapsed = time.perf_counter() - began
        stop_processes(workers)
    steady = (time.perf_counter() - first[0], done - first[1]) if first else (elapsed, 0)
    return done - before, elapsed, steady


def baseline(port, messages, one_connection):
    sender = "no-reply@thetsakan.example"
    began = time.perf_counter()
    if one_connection:
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for n in range(MAILS):
                recipient, payload = messages[n % len(messages)]
                smtp.sendmail(sender, [recipient], payload)
    else:
        for n in range(MAILS):
            recipient, payload = messages[n % len(messages)]
            with smtplib.SMTP("127.0.0.1", port) as smtp:
                smtp.sendmail(sender, [recipient], payload)
    return MAILS / (time.perf_counter() - began)


def run(stack):
    sink, port = start_sink()
    try:
        seeded = stack.seed(seed, MAILS)
        print(f"\n== mail: {MAILS} sign-ups in {seeded:.0f} s in-process ({MAILS / seeded:.0f}/s), relay paused")
        ids = stack.seed(waiting_ids)
        halves = (ids[: len(ids) // 2], ids[len(ids) // 2:])
        stack.seed(hold_back, halves[1], True)
        messages, build_s = stack.seed(sample_messages, SAMPLE)
        size_kb = sum(len(m) for _, m in messages) / len(messages) / 1024
        print(f"   one confirmation: {size_kb:.1f} KB, built in {build_s * 1000:.1f} ms in-process (QR, agenda, templates)")
        rows, target = [], 0
        for half, no_fork in zip(halves, (False, True)):
            handed, handing = stack.seed(hand_over, half)
            print(f"   relay handed {handed} messages to RQ in {handing:.1f} s ({handed / handing:.0f}/s)")
            target += handed
            sent, elapsed, (steady_s, steady_n) = run_workers(stack, port, target, no_fork)
            label = f"{WORKERS} workers{' --no-fork' if no_fork else ' (fork per job)'}, {sent} confirmations"
            rows.append((label, sent / elapsed, steady_n / steady_s if steady_s else 0.0))
        one = baseline(port, messages, one_connection=True)
        each = baseline(port, messages, one_connection=False)
        print(f"{'what':<52} {'msg/s from start':>16} {'msg/s first to last':>20}")
        for label, from_start, steady in rows:
            print(f"{label:<52} {from_start:>16.1f} {steady:>20.1f}")
        print(f"{'smtplib loop, one connection, same messages':<52} {one:>16.1f}")
        print(f"{'smtplib loop, a connection per message':<52} {each:>16.1f}")
        for label, _from_start, steady in rows:
            print(f"   {label}: {steady / one:.3f} of the one-connection loop, {steady / each:.3f} of a connection per message")
        return {"mails": MAILS, "workers": [{"label": l, "from_start": round(a, 1), "steady": round(b, 1)} for l, a, b in rows],
                "smtplib_one_connection_per_s": round(one, 1), "smtplib_connection_per_message_per_s": round(each, 1),
                "message_kb": round(size_kb, 1), "build_ms": round(build_s * 1000, 1)}
    finally:
        sink.terminate()
        sink.wait(timeout=10)


def in_process():
    """One worker in this process sending BENCH_MAILS confirmations (see the docstring)."""
    import cProfile
    import pstats

    from app.queues import GENERAL_QUEUES, make_worker
    from app.redis_conn import connection

    stack = Stack()
    stack.fresh()
    stack.seed(seed, MAILS)
    ids = stack.seed(waiting_ids)
    sink, port = start_sink()
    app = stack.app()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, MAIL_FROM="Thetsakan <no-reply@thetsakan.example>")
    statements = [0]

    def count(*_args):
        statements[0] += 1

    try:
        with app.app_context():
            sa.event.listen(db.engine, "before_cursor_execute", count)
            relay.hand_over(ids)
            db.session.remove()
            connection().config_resetstat()
        worker = make_worker(app, GENERAL_QUEUES)
        profile = cProfile.Profile() if os.environ.get("BENCH_PROFILE") == "1" else None
        wall, cpu = time.perf_counter(), time.process_time()
        if profile:
            profile.enable()
        worker.work(burst=True, logging_level="WARNING")
        if profile:
            profile.disable()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        with app.app_context():
            sent = sent_count()
            commands = sum(v["calls"] for v in connection().info("commandstats").values())
            db.session.remove()
    finally:
        sink.terminate()
        sink.wait(timeout=10)
    print(f"sent {sent}/{MAILS} in {wall:.1f} s, {cpu:.1f} s CPU: {1000 * cpu / max(sent, 1):.1f} ms CPU a mail, "
          f"{sent / wall:.1f} mails/s, {statements[0] / max(sent, 1):.1f} SQL statements and "
          f"{commands / max(sent, 1):.1f} Redis commands a mail; load average {os.getloadavg()[0]:.1f}")
    if profile:
        profile.dump_stats("/tmp/mail_profile.out")
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


def main():
    if sys.argv[1:] == ["in-process"]:
        in_process()
        return
    with Stack() as stack:
        run(stack)


if __name__ == "__main__":
    main()
