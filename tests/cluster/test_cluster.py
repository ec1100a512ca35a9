"""A festival on a cluster: nginx in front of two gunicorn web nodes, two RQ workers, one PostgreSQL, one Redis.

Every node has its own INSTANCE_DIR (as separate machines would), so anything a request
needs that one node kept for itself shows up here as a failure on the other. Through the
proxy: sign-ups, bookings with a waitlist, scans at two gates, a report built on whichever
worker takes it and downloaded many times (both nodes serve it), each confirmation mailed
once to a real SMTP server on loopback. Then, in the middle of a rush, one web node gets
SIGTERM and one worker SIGTERM then SIGKILL (with its work-horse): every answer the
clients got is in the database, no mail goes twice, the proxy keeps answering.

Runs on the PostgreSQL + Redis stack only: the cluster's shared parts are PostgreSQL and a
Redis server every node reaches; SQLite is one file on one machine and the embedded Redis
one process's socket, which is exactly the topology this test must not have.
"""
import itertools
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from prometheus_client.multiprocess import MultiProcessCollector
from rq import Queue

from app.database import db
from app.queues import QUEUES
from app.redis_conn import connection
from checkin.models import Scan
from registrations.models import Booking, Pass
from reports.models import Report
from tests.conftest import IN_CI, bearer, free_port
from tests.operations.conftest import ROOT, WebNode, node_env, wait_for
from tests.workers.conftest import promote_scheduled
from tests.workers.test_resilience import kill_worker, recover_abandoned_jobs
from mail.models import SENDING, SENT, SentMessage

pytestmark = pytest.mark.cluster

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
LATER = datetime(2027, 8, 22, 3, 0, tzinfo=timezone.utc)
_visitors = itertools.count(1)


def _need_cluster_parts(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("the cluster shares PostgreSQL and a Redis server; the SQLite stack has neither (module docstring)")
    if NGINX is None:
        message = "nginx is not installed (Debian package nginx-light or nginx); .ci/run installs it"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


NGINX_CONF = """
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
daemon off;
events {{ worker_connections 512; }}
http {{
    # No URIs in this log: pass pages carry their secret token in the path.
    log_format upstreams '$request_id $status $upstream_addr';
    access_log {d}/access.log upstreams;
    client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
    upstream thetsakan {{
        server 127.0.0.1:{a} max_fails=1 fail_timeout=60s;
        server 127.0.0.1:{b} max_fails=1 fail_timeout=60s;
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 10m;
        location / {{
            proxy_pass http://thetsakan;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Request-Id $request_id;
            # A node that refuses the connection (stopped) is skipped; a POST already sent is not repeated.
            proxy_next_upstream error timeout http_502 http_503;
        }}
    }}
}}
"""


class Nginx:
    def __init__(self, directory, upstreams):
        self.directory = Path(directory)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.directory.mkdir(parents=True, exist_ok=True)
        conf = self.directory / "nginx.conf"
        conf.write_text(NGINX_CONF.format(d=self.directory, a=upstreams[0], b=upstreams[1], port=self.port))
        self.process = subprocess.Popen([NGINX, "-p", str(self.directory), "-c", str(conf), "-e", str(self.directory / "error.log")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self.url + "/metrics", self.process)

    def upstream_of(self, request_ids):
        """request id (nginx's $request_id, which the app echoes) -> the upstream that answered it (the last tried).

        nginx writes the line as it finishes the request, which may be just after the client read the answer."""
        for _ in range(100):
            found = {}
            for line in (self.directory / "access.log").read_text().splitlines():
                request_id, _status, upstreams = line.split(" ", 2)
                found[request_id] = upstreams.split(", ")[-1].strip()
            if all(request_id in found for request_id in request_ids):
                return found
            time.sleep(0.1)
        raise AssertionError("nginx did not log these requests")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # nginx's graceful stop
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


class Worker:
    def __init__(self, env, log_path):
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=ROOT, env=env,
                                        stdout=self._log, stderr=self._log)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                kill_worker(self.process)
        self._log.close()


class Visitor:
    """One phone: its own loopback address, so the per-address sign-up limit counts each visitor."""

    def __init__(self, proxy_url):
        number = next(_visitors)
        self.address = f"127.0.{number // 250 + 1}.{number % 250 + 2}"
        self.email = f"cluster.visitor{number}@example.org"
        self.http = httpx.Client(base_url=proxy_url, timeout=60,
                                 transport=httpx.HTTPTransport(local_address=self.address))


def call(http, method, url, retried, **kwargs):
    """One request as an app would make it: a gateway error (a node going away) is tried once more."""
    answer = http.request(method, url, **kwargs)
    if answer.status_code in (502, 503, 504):
        retried.append((method, url, answer.status_code))
        answer = http.request(method, url, **kwargs)
    return answer


@pytest.fixture
def cluster(tmp_path, database_url, redis_url, smtp_server, app):
    _need_cluster_parts(database_url)
    smtp_server.clear()
    parts = []

    def env(name, **extra):
        return node_env(database_url, redis_url, tmp_path / name / "instance", THETSAKAN_ENV="production",
                        PUBLIC_URL="http://festival.example", TRUSTED_PROXIES=1,
                        SMTP_HOST=smtp_server.host, SMTP_PORT=smtp_server.port,
                        MAIL_FROM="Thetsakan <no-reply@thetsakan.example>", **extra)

    class Cluster:
        pass

    c = Cluster()
    try:
        c.web = [WebNode(env(f"web{n}"), workers=2, log_path=tmp_path / f"web{n}.log") for n in (1, 2)]
        for node in c.web:
            (tmp_path / node.log_path.stem).mkdir(exist_ok=True)
            node.instance = tmp_path / node.log_path.stem / "instance"
            parts.append(node.start())
        c.workers = [Worker(env(f"worker{n}"), tmp_path / f"worker{n}.log") for n in (1, 2)]
        parts.extend(c.workers)
        c.proxy = Nginx(tmp_path / "nginx", [node.port for node in c.web])
        parts.append(c.proxy)
        c.smtp = smtp_server
        yield c
    finally:
        for part in reversed(parts):
            part.stop()


def _drain(app, seconds=600, started=True):
    """Wait until the outbox is handed over and every queue is empty (retries fast-forwarded).

    started=False: jobs left in a started registry (a killed worker's) do not count. The limit is how
    long to wait before giving up (one forking worker on a busy shared machine: minutes), not a claim."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with app.app_context():
            promote_scheduled(app, 3600)
            conn = connection()
            busy = sum(Queue(name, connection=conn).count
                       + (Queue(name, connection=conn).started_job_registry.count if started else 0)
                       for name in QUEUES)
            waiting = db.session.scalar(sa.text("SELECT count(*) FROM outbox WHERE dispatched_at IS NULL"))
            claimed = db.session.scalar(sa.select(sa.func.count()).select_from(SentMessage)
                                        .where(SentMessage.status.not_in([SENT, SENDING])))
            db.session.remove()
        if not busy and not waiting and (not claimed or not started):
            return
        time.sleep(0.5)
    raise AssertionError(f"the cluster did not work its queues off: {busy} job(s), {waiting} message(s), "
                         f"{claimed} mail(s) claimed")


def _db(app, query):
    with app.app_context():
        result = query()
        db.session.remove()
        return result


def _sign_up_and_book(proxy_url, slug, session_id, answers, retried):
    visitor = Visitor(proxy_url)
    body = {"name": "สมศรี ใจดี", "email": visitor.email, "age_group": "adult", "consent": True, "locale": "th"}
    signed = call(visitor.http, "POST", f"/api/v1/festivals/{slug}/passes", retried, json=body)
    answers.append(("sign_up", signed.status_code, signed.json() if signed.status_code in (200, 201) else signed.text))
    if signed.status_code != 201:
        return None
    held = signed.json()
    booked = call(visitor.http, "POST", f"/api/v1/passes/{held['manage_token']}/bookings", retried,
                  json={"session_id": session_id})
    answers.append(("book", booked.status_code, booked.json() if booked.status_code == 201 else booked.text))
    return held


def _scan(proxy_url, gate, token, code, answers, retried):
    with httpx.Client(base_url=proxy_url, timeout=60) as http:
        answer = call(http, "POST", f"/api/v1/checkpoints/{gate}/scans", retried, json={"code": code},
                      headers=bearer(token))
    answers.append(("scan", answer.status_code, answer.json() if answer.status_code == 200 else answer.text))


def _counted_scans(instance_dirs):
    total = 0.0
    for directory in instance_dirs:
        files = [str(path) for path in (Path(directory) / "metrics").glob("*.db")]
        for metric in MultiProcessCollector.merge(files):
            if metric.name == "thetsakan_scans":
                total += sum(s.value for s in metric.samples if s.name == "thetsakan_scans_total")
    return total


def test_a_festival_on_two_nodes_and_two_workers_survives_losing_one_of_each(
    app, cluster, make_city, make_festival, make_session, make_user
):
    proxy = cluster.proxy.url
    city = make_city()
    festival = make_festival(city)
    slug = "learning-city-days"
    morning = make_session(festival, capacity=4)
    afternoon = make_session(festival, starts_at=LATER + timedelta(hours=4), capacity=10)
    _, organiser = make_user("organiser", city_id=city)
    _, admin = make_user("admin")
    staff = [make_user("staff", city_id=city)[1] for _ in range(2)]
    retried = []
    with httpx.Client(base_url=proxy, timeout=60) as http:
        gates = [http.post(f"/api/v1/festivals/{slug}/checkpoints", json={"name": f"ประตู {n}", "kind": "gate"},
                           headers=bearer(organiser)).json()["id"] for n in (1, 2)]

    # --- the morning: twelve visitors for a workshop of four, scanned at two gates -------------------
    answers = []
    with ThreadPoolExecutor(6) as pool:
        held = [h for h in pool.map(lambda _: _sign_up_and_book(proxy, slug, morning, answers, retried), range(12)) if h]
    assert len(held) == 12, answers
    statuses = Counter(body["status"] for kind, code, body in answers if kind == "book" and code == 201)
    assert statuses == {"confirmed": 4, "waitlisted": 8}
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda pair: _scan(proxy, gates[pair[0] % 2], staff[pair[0] % 2], pair[1]["code"], answers, retried),
                      enumerate(held * 2)))
    scans = [body for kind, code, body in answers if kind == "scan"]
    assert len(scans) == 24 and all(isinstance(body, dict) for body in scans), scans

    # --- a report, built on whichever worker takes it, downloaded through the proxy ----------------
    with httpx.Client(base_url=proxy, timeout=60) as http:
        report_id = http.post(f"/api/v1/festivals/{slug}/reports", json={}, headers=bearer(organiser)).json()["id"]
        for _ in range(600):
            state = http.get(f"/api/v1/reports/{report_id}", headers=bearer(organiser)).json()
            if state["status"] in ("finished", "failed"):
                break
            time.sleep(0.5)
        assert state["status"] == "finished", state
        bodies, request_ids = set(), []
        for _ in range(24):
            answer = http.get(f"/api/v1/reports/{report_id}/files/pdf", headers=bearer(organiser))
            assert answer.status_code == 200
            bodies.add(answer.content)
            request_ids.append(answer.headers["X-Request-Id"])
    assert len(bodies) == 1 and next(iter(bodies)).startswith(b"%PDF")
    served_by = cluster.proxy.upstream_of(request_ids)
    assert {served_by[request_id] for request_id in request_ids} == {f"127.0.0.1:{node.port}" for node in cluster.web}
    built_on = [n for n, worker in enumerate(cluster.workers) if b"build_report" in Path(worker._log.name).read_bytes()]
    assert len(built_on) == 1  # one worker built it; the other machine never saw the file

    _drain(app)
    keys = _db(app, lambda: dict(db.session.execute(sa.select(SentMessage.key, SentMessage.status)).all()))
    assert sum(1 for key in keys if key.startswith("pass.created:")) == 12
    assert set(keys.values()) == {SENT}
    message_ids = Counter(message["Message-ID"].strip() for message in cluster.smtp.messages)
    assert len(message_ids) == len(keys) and set(message_ids.values()) == {1}

    assert retried == []  # with every part up, nothing needed a second try

    # --- the rush: forty more visitors while a web node and a worker go away -----------------------
    rush, done, stopped = [], threading.Event(), {}

    def visitor(_):
        held_ = _sign_up_and_book(proxy, slug, afternoon, rush, retried)
        if held_:
            _scan(proxy, gates[0], staff[0], held_["code"], rush, retried)
        if len(rush) >= 30:
            done.set()
        return held_

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(visitor, n) for n in range(40)]
        done.wait(timeout=300)
        before_stop = len(rush)
        cluster.web[0].process.send_signal(signal.SIGTERM)
        cluster.workers[0].process.send_signal(signal.SIGTERM)
        time.sleep(0.2)  # SIGTERM lets the current job run on; this worker does not get to finish it
        kill_worker(cluster.workers[0].process)
        stopped["web"] = cluster.web[0].process.wait(timeout=60)
        rushed = [future.result() for future in futures]
    assert 0 < before_stop < len(rush)
    assert stopped["web"] == 0  # gunicorn's graceful stop: in-flight requests answered first
    failures = [(kind, code, body) for kind, code, body in rush if code not in (200, 201)]
    assert failures == [], failures
    after = [entry for entry in rush[before_stop:]]
    assert after, "nothing was answered after the stop"
    # After the stop, the proxy answers from the node still running.
    with httpx.Client(base_url=proxy, timeout=60) as http:
        answers_after = [http.get("/api/v1/festivals") for _ in range(4)]
    assert all(answer.status_code == 200 for answer in answers_after)
    ids_after = [answer.headers["X-Request-Id"] for answer in answers_after]
    served_after = cluster.proxy.upstream_of(ids_after)
    assert {served_after[request_id] for request_id in ids_after} == {f"127.0.0.1:{cluster.web[1].port}"}

    # --- nothing committed lost, nothing mailed twice ------------------------------------------------
    _drain(app, started=False)  # the survivor works off what it can
    recover_abandoned_jobs(app)  # RQ's recovery of the dead worker's job, its heartbeat's expiry not awaited
    _drain(app)
    all_answers = answers + rush
    pass_ids = {body["id"] for kind, code, body in all_answers if kind == "sign_up" and code == 201}
    booking_ids = {body["id"]: body["status"] for kind, code, body in all_answers if kind == "book" and code == 201}
    scan_ids = {body["scan_id"] for kind, code, body in all_answers if kind == "scan" and code == 200}
    assert len(pass_ids) == 12 + sum(1 for h in rushed if h)
    stored_passes = _db(app, lambda: set(db.session.scalars(sa.select(Pass.id))))
    stored_bookings = _db(app, lambda: dict(db.session.execute(sa.select(Booking.id, Booking.status)).all()))
    stored_scans = _db(app, lambda: set(db.session.scalars(sa.select(Scan.id))))
    assert pass_ids == stored_passes
    assert all(stored_bookings.get(booking_id) == status for booking_id, status in booking_ids.items())
    assert scan_ids == stored_scans
    rows = _db(app, lambda: dict(db.session.execute(sa.select(SentMessage.key, SentMessage.status)).all()))
    assert {key for key in rows if key.startswith("pass.created:")} == {f"pass.created:{pid}" for pid in pass_ids}
    uncertain = [key for key, status in rows.items() if status == SENDING]
    assert len(uncertain) <= 1  # killed on the wire: never sent again (workers/mail/ledger.py)
    assert all(status in (SENT, SENDING) for status in rows.values())
    message_ids = Counter(message["Message-ID"].strip() for message in cluster.smtp.messages)
    assert set(message_ids.values()) == {1}, "a mail went twice"
    sent_ids = _db(app, lambda: set(db.session.scalars(sa.select(SentMessage.message_id).where(SentMessage.status == SENT))))
    assert sent_ids <= set(message_ids)

    # --- what the operators see ------------------------------------------------------------------
    # Scans were counted by whichever node answered, in its own files: together they are every scan.
    assert _counted_scans([node.instance for node in cluster.web]) == len(scan_ids)
    with httpx.Client(base_url=proxy, timeout=60) as http:
        refused = http.get("/metrics")
        scraped = http.get("/metrics", headers=bearer(admin))
    assert refused.status_code == 401  # through the proxy is not loopback
    assert scraped.status_code == 200
    confirmed = sum(1 for status in stored_bookings.values() if status == "confirmed")
    assert f'thetsakan_bookings{{status="confirmed"}} {float(confirmed)}' in scraped.text
    assert "thetsakan_outbox_backlog 0.0" in scraped.text
    # A POST on its way into the node as it closed its socket gets a 502 that nginx does not repeat
    # elsewhere (docs/deploy.md); the client's one retry found the other node, and nothing doubled above.
    assert all(method == "POST" and code == 502 for method, _, code in retried), retried
    print(f"POSTs answered 502 by the stopping node and retried once by their clients: {len(retried)}")
    report = _db(app, lambda: db.session.get(Report, report_id).status)
    assert report == "finished"
