"""The benchmark stack: PostgreSQL + Redis + gunicorn (-w 2) serving wsgi:app, a floor endpoint and a load driver.

    with Stack() as stack:                       # fresh database `bench`, migrated, gunicorn started
        stack.seed(lambda: ...)                  # run code in an app context on the same database, committed
        floor = stack.measure("/bench/floor?id=1", "floor")
        target = stack.measure("/api/v1/...", "target")
        report([floor, target])                  # throughput, p50/p95/p99 and the ratio to the floor

The floor is one primary-key read through the same gunicorn, middleware, session
and pool, measured in the same run, so that figures from a loaded 2-core machine
can still be compared: quote the ratio, not the absolute number.

Settings (environment): BENCH_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/bench,
dropped and created afresh), BENCH_REDIS_URL (default redis://127.0.0.1:6379/15), BENCH_SECONDS
(per measurement, default 8), BENCH_CONNECTIONS (default 16).
The driver is wrk (Debian `wrk`) when installed, else a threaded Python driver.

Both gunicorn workers take an equal share of the driver's connections (`--worker-connections`,
Stack.worker_connections). A driver opens its keep-alive connections in one burst, and the
worker that wakes first accepts them until it may take no more: left at gunicorn's default
(1,000), one worker often held all 16 and the other none, so that a measurement ran on one core
(the floor measured 450 or 1,000 req/s by the luck of that race, seen on 2026-12-04) and a ratio
compared a one-core figure with a two-core one. In production the proxy opens a connection per
request (nginx's default), so both workers share the load as they do here.
"""
import http.client
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from app import create_app
from app.database import db
from app.redis_conn import connection
from bench.floor import register

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/15"
WORKERS = 2
THREADS = 4

WRK_SCRIPT = r"""
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    "BENCH_JSON {\"requests\": %d, \"duration_us\": %d, \"p50_us\": %d, \"p95_us\": %d, \"p99_us\": %d, " ..
    "\"errors\": %d, \"non_2xx\": %d, \"bytes\": %d}\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    errors, summary.errors.status, summary.bytes))
end
"""


@dataclass
class Result:
    label: str
    path: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    non_2xx: int
    kb_per_response: float
    driver: str


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def settings():
    return {
        "database_url": os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE),
        "redis_url": os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS),
        "seconds": float(os.environ.get("BENCH_SECONDS", "8")),
        "connections": int(os.environ.get("BENCH_CONNECTIONS", "16")),
    }


def recreate_database(url):
    """Drop and create the bench database (never anything else: the name must start with 'bench')."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise SystemExit("The bench runs on PostgreSQL: set BENCH_DATABASE_URL=postgresql+psycopg://...")
    name = parsed.database
    if not name or not name.startswith("bench"):
        raise SystemExit(f"Refusing to drop {name!r}: the bench database's name must start with 'bench'.")
    admin = parsed.set(database="postgres", drivername="postgresql")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


class Stack:
    """A migrated bench database, a flushed Redis db and gunicorn serving bench.wsgi:app (wsgi:app plus the floor endpoint)."""

    def __init__(self, database_url=None, redis_url=None):
        config = settings()
        self.database_url = database_url or config["database_url"]
        self.redis_url = redis_url or config["redis_url"]
        self.seconds = config["seconds"]
        self.connections = config["connections"]
        # Each worker accepts at most its share of the driver's connections; None: gunicorn's default,
        # for a driver with many connections that spread by themselves (bench.peak_day).
        self.worker_connections = self.share_of(self.connections)
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.instance_dir = Path(tempfile.mkdtemp(prefix="thetsakan-bench-"))
        self.process = None
        self._app = None
        # Set by a module that needs gunicorn started with more settings (bench.peak_day:
        # TRUSTED_PROXIES); applied by the next start().
        self.extra_env = {}

    @staticmethod
    def share_of(connections):
        """--worker-connections for `connections` keep-alive connections: an equal share per worker."""
        return math.ceil(connections / WORKERS)

    def env(self):
        env = dict(os.environ)
        env.update(
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            SECRET_KEY="bench-only-secret-key",
            INSTANCE_DIR=str(self.instance_dir),
            BENCH_FLOOR="1",
            PUBLIC_URL=self.base_url,
        )
        env.update(self.extra_env)
        return env

    # --- lifecycle --------------------------------------------------------

    def __enter__(self):
        self.fresh()
        self.start()
        return self

    def fresh(self):
        """A new migrated database and a flushed Redis db (gunicorn stopped first if it runs)."""
        self.stop()
        recreate_database(self.database_url)
        flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
        subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=self.env(), check=True, capture_output=True)
        with self.app().app_context():
            db.session.remove()
            db.engine.dispose()  # connections to the dropped database are gone
            connection().flushdb()

    def restart(self):
        """gunicorn again, with the current extra_env."""
        self.stop()
        self.start()

    def __exit__(self, *exc):
        self.stop()
        shutil.rmtree(self.instance_dir, ignore_errors=True)

    def app(self):
        """An in-process app on the bench database, for seeding (the server runs in gunicorn)."""
        if self._app is None:
            self._app = create_app(
                {
                    "SQLALCHEMY_DATABASE_URI": self.database_url,
                    "REDIS_URL": self.redis_url,
                    "SECRET_KEY": "bench-only-secret-key",
                    "INSTANCE_DIR": str(self.instance_dir),
                }
            )
        return self._app

    def seed(self, fn, *args, **kwargs):
        """Run fn in an app context and commit; returns what fn returns."""
        with self.app().app_context():
            result = fn(*args, **kwargs)
            db.session.commit()
            db.session.remove()
            return result

    def start(self):
        command = [
            sys.executable, "-m", "gunicorn", "bench.wsgi:app",
            "-w", str(WORKERS), "-k", "gthread", "--threads", str(THREADS),
            *(("--worker-connections", str(self.worker_connections)) if self.worker_connections else ()),
            "-b", f"127.0.0.1:{self.port}", "--log-level", "warning", "--access-logfile", "-" if os.environ.get("BENCH_ACCESS_LOG") else "/dev/null",
        ]
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env())
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited during start-up")
            try:
                with urllib.request.urlopen(self.base_url + "/bench/floor?id=1", timeout=2) as answer:
                    answer.read()
                    return
            except urllib.error.HTTPError:
                return  # it answers (404: no city yet)
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer within 30 s")

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    # --- measuring --------------------------------------------------------

    def get(self, path):
        with urllib.request.urlopen(self.base_url + path, timeout=30) as answer:
            return answer.status, answer.read()

    def floor(self, seconds=None):
        """The floor measured now: one primary-key read of a city (one is made if there is none)."""
        city_id = self.seed(_any_city_id)
        return self.measure(f"/bench/floor?id={city_id}", "floor", seconds=seconds)

    def measure(self, path, label, seconds=None, connections=None):
        seconds = seconds or self.seconds
        connections = connections or self.connections
        status, _ = self.get(path)  # warm up, and fail loudly on a wrong path
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")
        if shutil.which("wrk"):
            return run_wrk(self.base_url, path, label, seconds, connections)
        return run_threads(self.base_url, path, label, seconds, connections)


def in_process_app(database_url, redis_url, prefix):
    """The app in this process (Flask's test client), migrated, with the floor: for CPU per request."""
    instance = tempfile.mkdtemp(prefix=prefix)
    env = dict(os.environ, DATABASE_URL=database_url, REDIS_URL=redis_url, SECRET_KEY="bench-only-secret-key",
               INSTANCE_DIR=instance)
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    return register(create_app({"SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": redis_url,
                                "SECRET_KEY": "bench-only-secret-key", "INSTANCE_DIR": instance,
                                "BENCH_FLOOR": True}))


def _any_city_id():
    cities = db.metadata.tables["cities"]
    city_id = db.session.scalar(sa.select(cities.c.id).order_by(cities.c.id).limit(1))
    if city_id is None:
        city_id = db.session.execute(
            cities.insert().values(slug="bench-city", name_th="เมืองทดสอบ", name_en="Bench city", province_th="",
                                   province_en="", unit="", created_at=datetime.now(timezone.utc))
        ).inserted_primary_key[0]
    return city_id


def run_wrk(base_url, path, label, seconds, connections, headers=()):
    """wrk on one path; headers: ("Name: value", ...) sent with every request."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        out = subprocess.run(
            ["wrk", "-t", "2", "-c", str(connections), "-d", f"{int(seconds)}s", "--timeout", "10s",
             *[arg for header in headers for arg in ("-H", header)], "-s", script.name, base_url + path],
            capture_output=True, text=True, check=True, timeout=seconds + 30,
        ).stdout
    finally:
        os.unlink(script.name)
    return wrk_result(out, label, path)


def wrk_result(stdout, label, path):
    """The Result of a wrk run whose Lua script (WRK_SCRIPT) printed its BENCH_JSON line."""
    line = next(line for line in stdout.splitlines() if line.startswith("BENCH_JSON "))
    data = json.loads(line[len("BENCH_JSON "):])
    duration = data["duration_us"] / 1e6
    return Result(
        label=label, path=path, requests=data["requests"], seconds=round(duration, 2),
        rps=round(data["requests"] / duration, 1), p50_ms=round(data["p50_us"] / 1000, 2),
        p95_ms=round(data["p95_us"] / 1000, 2), p99_ms=round(data["p99_us"] / 1000, 2),
        errors=data["errors"], non_2xx=data["non_2xx"],
        kb_per_response=round(data["bytes"] / max(1, data["requests"]) / 1024, 1), driver="wrk",
    )


def run_threads(base_url, path, label, seconds, connections):
    """A plain threaded driver (keep-alive per thread) for machines without wrk."""
    latencies, errors, non_2xx, sizes = [], [0], [0], []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", int(base_url.rsplit(":", 1)[1]), timeout=10)
        mine = []
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                conn.request("GET", path)
                answer = conn.getresponse()
                body = answer.read()
            except OSError:
                with lock:
                    errors[0] += 1
                conn.close()
                continue
            mine.append(time.perf_counter() - started)
            with lock:
                sizes.append(len(body))
                if not 200 <= answer.status < 300:
                    non_2xx[0] += 1
        with lock:
            latencies.extend(mine)
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    duration = time.monotonic() - began
    return threads_result(label, path, latencies, duration, errors[0], non_2xx[0],
                          kb_per_response=round(statistics.fmean(sizes) / 1024, 1) if sizes else 0.0)


def threads_result(label, path, latencies, duration, errors, non_2xx, kb_per_response=0.0):
    """The Result of a Python-threads run: `latencies` in seconds, one per answered request."""
    latencies = sorted(latencies)

    def pct(p):
        return round(latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))] * 1000, 2) if latencies else 0.0

    return Result(
        label=label, path=path, requests=len(latencies), seconds=round(duration, 2),
        rps=round(len(latencies) / duration, 1), p50_ms=pct(50), p95_ms=pct(95), p99_ms=pct(99),
        errors=errors, non_2xx=non_2xx, kb_per_response=kb_per_response, driver="python-threads",
    )


def report(results, floor=None, title=None):
    """Print a table; each row's throughput as a share of the floor's (same run)."""
    floor = floor or next((r for r in results if r.label == "floor"), None)
    if title:
        print(f"\n== {title}")
    print(f"{'what':<34} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'KB':>7} {'errors':>7} {'vs floor':>9}")
    rows = []
    for result in results:
        ratio = result.rps / floor.rps if floor and floor.rps else None
        print(
            f"{result.label:<34} {result.rps:>8.1f} {result.p50_ms:>8.2f} {result.p95_ms:>8.2f} {result.p99_ms:>8.2f} "
            f"{result.kb_per_response:>7.1f} {result.errors + result.non_2xx:>7d} {('%.3f' % ratio) if ratio else '-':>9}"
        )
        rows.append({**asdict(result), "ratio_to_floor": round(ratio, 4) if ratio else None})
    return rows


def stop_processes(processes, grace=30):
    """SIGTERM to each (a worker finishes its job), then wait; one that outlasts the grace is killed."""
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_times():
    """The machine's CPU time so far, from /proc/stat: (idle incl. iowait, total), in clock ticks."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal (guest time is already in user and nice)
    return fields[3] + fields[4], sum(fields[:8])


def idle_share(before, after):
    """The share of the machine's CPU time left idle between two cpu_times() readings."""
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total else 0.0


def process_cpu(pid):
    """CPU seconds (user + system) of a process and of its children it has reaped, from /proc; None once gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # after the command's ")": state is field 3 of proc(5), so utime (14) .. cstime (17) are 11..14 here
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def stack_cpu(stack):
    """{pid: CPU seconds} of the processes that answer the bench's requests: gunicorn's master and
    workers, and every PostgreSQL process (backends, WAL writer, checkpointer: what the load makes
    the database do). Two readings around a run give its CPU per request, which, unlike its
    throughput, does not depend on what the scheduler did with the machine's two cores meanwhile."""
    pids = [stack.process.pid, *child_pids(stack.process.pid)]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as comm:
                    if comm.read().strip() == "postgres":
                        pids.append(int(entry))
            except OSError:
                continue
    readings = {pid: process_cpu(pid) for pid in pids}
    return {pid: value for pid, value in readings.items() if value is not None}


def cpu_ms_per_request(before, after, requests):
    """Milliseconds of CPU per request between two stack_cpu() readings (a process first seen
    in the second began during the run: all its CPU counts)."""
    spent = sum(value - before.get(pid, 0.0) for pid, value in after.items())
    return round(spent * 1000 / requests, 2) if requests else None


def child_pids(pid):
    """The live children of a process (gunicorn's workers, an RQ worker's work-horse)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            return [int(child) for child in children.read().split()]
    except OSError:
        return []


@contextmanager
def stack():
    with Stack() as running:
        yield running
