"""`make run`'s own processes on a quiet afternoon: one sign-up after a minute of silence.

`flask --app wsgi up` is what `make run` starts (web, one worker with its scheduler, an
embedded Redis). Nothing else happens for a minute, then one visitor signs up: the
confirmation must reach the SMTP server within seconds, carried by the after-commit relay
or, failing that, the 5-second sweep, not by whatever wakes the worker next.
"""
import sys
import time

import httpx
import pytest

from tests.conftest import free_port
from tests.faults.conftest import mails_per_letter, sign_up, wait_until

pytestmark = pytest.mark.faults

QUIET_SECONDS = 60


def test_a_lone_sign_up_after_a_quiet_minute_is_mailed_within_seconds(app, processes, festival, smtp, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    up = processes.spawn(
        "up", [sys.executable, "-m", "flask", "--app", "wsgi", "up", "--port", str(port)],
        THETSAKAN_ENV="development", ALLOW_SQLITE_IN_PRODUCTION="", TRUSTED_PROXIES="1",
        REDIS_URL="",  # as on a fresh clone: `flask up` starts the embedded Redis
        INSTANCE_DIR=str(tmp_path / "instance"), PORT=str(port), PUBLIC_URL=url,
    )

    def healthy():
        try:
            return httpx.get(url + "/healthz", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    assert wait_until(healthy, seconds=90, step=0.5), processes.log(up)
    time.sleep(QUIET_SECONDS)
    assert len(mails_per_letter(smtp)) == 0

    with httpx.Client(base_url=url, timeout=30) as client:
        started = time.monotonic()
        assert sign_up(client, 1, "quiet").status_code == 201
    arrived = wait_until(lambda: len(mails_per_letter(smtp)) == 1, seconds=5, step=0.05)
    took = time.monotonic() - started
    assert arrived, f"no confirmation within 5 s of a lone sign-up\n{processes.log(up)}"
    print(f"\nquiet `flask up`: a lone sign-up after {QUIET_SECONDS} s of silence was at the SMTP server {took:.2f} s later")
