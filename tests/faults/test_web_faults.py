"""gunicorn stopped with SIGTERM in the middle of a burst, and a database pool with no connection free."""
import os
import signal
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import sqlalchemy as sa

from tests.faults.conftest import sign_up, wait_until

pytestmark = pytest.mark.faults


def test_sigterm_mid_burst_answers_every_request_gunicorn_accepted(app, processes, festival):
    web = processes.web()
    answered, dropped, refused = [], [], []
    stop_sent = threading.Event()

    def one(n):
        # A new connection per request, as the proxy's would be: a refused connection was never
        # accepted (the proxy tries the next node); one accepted and then closed unanswered is a 502.
        try:
            with httpx.Client(base_url=web.url, timeout=60) as client:
                answer = sign_up(client, n, "burst")
            answered.append(answer.status_code)
        except httpx.ConnectError:
            refused.append(n)
        except httpx.HTTPError as error:
            dropped.append((n, repr(error)))
        if len(answered) == 40 and not stop_sent.is_set():
            stop_sent.set()
            os.kill(web.pid, signal.SIGTERM)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(one, range(300)))
    web.wait(timeout=60)
    assert stop_sent.is_set() and refused, "the burst ended before gunicorn stopped"
    assert not dropped, f"{len(dropped)} accepted requests got no answer: {dropped[:5]}\n{processes.log(web)}"
    assert all(status == 201 for status in answered), sorted(set(answered))
    print(f"\nSIGTERM mid-burst: {len(answered)} answered (201), {len(refused)} refused before acceptance, 0 dropped")


class Lock:
    """Holds the festival's row (PostgreSQL) or the database's write lock (SQLite) from outside the app."""

    def __init__(self, url):
        self.url = url

    def __enter__(self):
        if self.url.startswith("sqlite"):
            self.raw = sqlite3.connect(sa.make_url(self.url).database, isolation_level=None)
            self.raw.execute("BEGIN IMMEDIATE")
        else:
            self.engine = sa.create_engine(self.url)
            self.conn = self.engine.connect()
            self.conn.execute(sa.text("SELECT id FROM festivals WHERE slug = 'faults-festival' FOR UPDATE"))
        return self

    def release(self):
        if self.url.startswith("sqlite"):
            self.raw.rollback() if self.raw.in_transaction else None
            self.raw.close()
        else:
            self.conn.rollback()
            self.conn.close()
            self.engine.dispose()

    def __exit__(self, *exc):
        return False


def test_an_exhausted_pool_answers_busy_within_its_timeout(app, processes, festival):
    """One connection per process, held by a sign-up that waits on a lock: the next request
    finds the pool empty and is told to come back, instead of being held for SQLAlchemy's 30 s."""
    web = processes.web(workers=1, threads=4, DB_POOL_SIZE="1", DB_MAX_OVERFLOW="0")
    with Lock(app.config["SQLALCHEMY_DATABASE_URI"]) as lock, \
            httpx.Client(base_url=web.url, timeout=60) as client, ThreadPoolExecutor(2) as pool:
        held = pool.submit(sign_up, client, 1, "held")  # waits on the lock, holding the only connection
        time.sleep(1)
        started = time.monotonic()
        busy = sign_up(client, 2, "busy")
        waited = time.monotonic() - started
        lock.release()
        assert held.result().status_code == 201
    assert busy.status_code == 503 and busy.json()["code"] == "busy", busy.text
    assert "Retry-After" in busy.headers
    print(f"\nexhausted pool: 503 busy after {waited:.1f} s")
