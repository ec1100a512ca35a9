"""Operations fixtures: a real gunicorn web node (several processes) on the suite's database and Redis."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port
from tests.workers.conftest import festival, relay_ready, sign_up, smtp  # noqa: F401 - the same festival and SMTP

ROOT = Path(__file__).resolve().parents[2]
SECRET = "test-secret-key-not-for-production"  # the suite's: tokens it issues work here too


def node_env(database_url, redis_url, instance_dir, **extra):
    env = {key: value for key, value in os.environ.items() if key not in ("PROMETHEUS_MULTIPROC_DIR",)}
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SECRET_KEY=SECRET,
        INSTANCE_DIR=str(instance_dir),
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    env.update({key: str(value) for key, value in extra.items()})
    return env


def wait_for(url, process, seconds=240):
    """Until the process answers: a gunicorn node imports the whole app (PDF and chart libraries
    included) in each process, which takes a minute or more on a busy two-core machine."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the process ended with {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


class WebNode:
    """gunicorn -c python:app.gunicorn_conf wsgi:app, as docs/deploy.md runs it."""

    def __init__(self, env, workers=3, log_path=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env = env
        self.workers = workers
        self.process = None

    def start(self):
        self._log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:app.gunicorn_conf", "--workers", str(self.workers),
             "--bind", f"127.0.0.1:{self.port}", "--graceful-timeout", "20", "wsgi:app"],
            cwd=ROOT, env=self.env, stdout=self._log, stderr=self._log,
        )
        wait_for(self.url + "/metrics", self.process)
        return self

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.log_path:
            self._log.close()


def json_lines(path):
    """The JSON log lines of a log file (other lines, such as gunicorn's own, are skipped)."""
    lines = []
    for raw in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
        raw = raw.strip()
        if raw.startswith("{"):
            lines.append(json.loads(raw))
    return lines


@pytest.fixture(scope="module")
def web_node(tmp_path_factory, database_url, redis_url, app):
    directory = tmp_path_factory.mktemp("web-node")
    node = WebNode(node_env(database_url, redis_url, directory / "instance"), log_path=directory / "web.log").start()
    node.instance = directory / "instance"
    yield node
    node.stop()
