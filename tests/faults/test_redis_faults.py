"""Redis stopped, hung and restarted under a real gunicorn and a real worker.

Redis holds queues, counters and heartbeats, nothing that matters: while it is away every
request must still be answered (the outbox keeps what the relay could not hand over), and
once it is back the workers must register again, resume their scheduler and sweep, and
deliver every confirmation exactly once.
"""
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.faults.conftest import (
    book,
    health,
    mails_per_letter,
    outbox_waiting,
    scan,
    sign_up,
    wait_until,
)

pytestmark = pytest.mark.faults

VISITORS = 200


def visit(url, festival, n, prefix):
    """One visitor: signs up, books the workshop, is scanned at the gate. Returns the statuses
    (None where no answer came within the client's 30 s)."""
    statuses = []
    with httpx.Client(base_url=url, timeout=30) as client:
        try:
            signed = sign_up(client, n, prefix)
            statuses.append(signed.status_code)
            if signed.status_code != 201:
                return statuses
            if n % 2:  # every other visitor also books and is scanned at the gate
                body = signed.json()
                statuses.append(book(client, n, body["manage_token"], festival.session_id).status_code)
                statuses.append(scan(client, festival.staff_token, festival.gate_id, festival.code_of(body["id"])).status_code)
        except httpx.HTTPError:
            statuses.append(None)
    return statuses


def test_redis_stopped_during_sign_ups_bookings_and_scans(app, processes, redis_server, festival, smtp):
    web = processes.web()
    worker = processes.worker()
    processes.worker()  # two, as production runs several: they share the scheduling
    assert wait_until(lambda: health(web.url)[0] == 200, seconds=60), processes.log(worker)

    redis_server.stop()
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda n: visit(web.url, festival, n, "outage"), range(VISITORS)))
    statuses = [status for visitor in answers for status in visitor]
    failed = [status for status in statuses if status is None or status >= 500]
    assert not failed, f"{len(failed)} of {len(statuses)} failed: {sorted(set(map(str, failed)))}\n{processes.log(web)}"
    letters = VISITORS + VISITORS // 2  # a confirmation per sign-up, a notice per booking
    assert statuses.count(201) == letters  # every sign-up and every booking stored
    assert outbox_waiting(app) >= letters  # the relay could hand over nothing (scans count too)

    back = time.monotonic()
    redis_server.start()  # back, and empty: every job it held is gone
    # 300 mails, a fork each, on a machine shared with the rest of the suite: a generous bound.
    delivered = wait_until(lambda: len(mails_per_letter(smtp)) >= letters and outbox_waiting(app) == 0, seconds=300)
    recovery = time.monotonic() - back
    assert delivered, f"after {recovery:.0f} s: {len(mails_per_letter(smtp))} letters, {outbox_waiting(app)} waiting\n{processes.log(worker)}"
    time.sleep(2)  # a doubled mail would arrive right behind the first
    assert len(mails_per_letter(smtp)) == letters and set(mails_per_letter(smtp).values()) == {1}
    print(f"\nredis stopped: {len(statuses)} requests, 0 failed; all {letters} letters once, {recovery:.1f} s after Redis returned")


def test_a_hung_redis_answers_every_request_and_hangs_no_health_probe(app, processes, redis_server, festival, smtp):
    web = processes.web()
    worker = processes.worker()
    assert wait_until(lambda: health(web.url)[0] == 200, seconds=60), processes.log(worker)

    redis_server.hang()
    try:
        started = time.monotonic()
        with ThreadPoolExecutor(12) as pool:
            probes = [pool.submit(health, web.url, 30) for _ in range(8)]
            visits = [pool.submit(visit, web.url, festival, n, "hung") for n in range(24)]
            probes = [probe.result() for probe in probes]
            visits = [v.result() for v in visits]
        elapsed = time.monotonic() - started
    finally:
        redis_server.unhang()
    statuses = [status for visitor in visits for status in visitor]
    assert [status for status, _body, _seconds in probes] == [503] * 8, probes  # answered, and says why
    assert all(body["redis"]["ok"] is False for _status, body, _seconds in probes)
    assert None not in statuses and max(statuses) < 500, statuses
    slowest = max(seconds for _status, _body, seconds in probes)
    print(f"\nredis hung: 8 health probes answered 503 (slowest {slowest:.1f} s); {len(statuses)} requests answered in {elapsed:.1f} s")

    # Nothing was lost meanwhile: every sign-up and booking gets its letter once.
    assert wait_until(lambda: len(mails_per_letter(smtp)) >= 36 and outbox_waiting(app) == 0, seconds=90), processes.log(worker)
    time.sleep(2)
    assert set(mails_per_letter(smtp).values()) == {1} and len(mails_per_letter(smtp)) == 36  # 24 sign-ups, 12 bookings


def test_after_a_redis_restart_health_is_back_and_the_outbox_empty(app, processes, redis_server, festival, smtp):
    web = processes.web()
    worker = processes.worker()
    assert wait_until(lambda: health(web.url)[0] == 200, seconds=60), processes.log(worker)

    redis_server.restart()  # empty: the worker's registration, the scheduler's locks, the queues are gone
    back = time.monotonic()
    with httpx.Client(base_url=web.url, timeout=30) as client:
        signed = [sign_up(client, n, "restart").status_code for n in range(10)]
    assert signed == [201] * 10

    healthy = wait_until(lambda: health(web.url)[0] == 200, seconds=30)
    healthy_after = time.monotonic() - back
    status, body, _seconds = health(web.url)
    assert healthy, f"/healthz {status} {body}\n{processes.log(worker)}"
    assert body["workers"]["alive"] == 1
    assert wait_until(lambda: outbox_waiting(app) == 0 and len(mails_per_letter(smtp)) >= 10, seconds=30), processes.log(worker)
    emptied_after = time.monotonic() - back
    assert set(mails_per_letter(smtp).values()) == {1}
    print(f"\nredis restarted: /healthz 200 after {healthy_after:.1f} s, outbox empty and 10 letters after {emptied_after:.1f} s")
