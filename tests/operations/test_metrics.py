"""GET /metrics: who may read it, and figures that add up over several processes and work-horses."""
import glob
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from prometheus_client.parser import text_string_to_metric_families

from app import metrics, relay
from app.database import db
from app.enqueue import enqueue_once
from app.queues import FEEDS, make_worker
from registrations.models import CONFIRMED, WAITLISTED
from tests.conftest import bearer
from tests.operations.conftest import ROOT


def samples(text):
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found, name, **labels):
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


# --- who may read it ---------------------------------------------------------------------------


def test_loopback_reads_the_metrics(client):
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.mimetype == "text/plain"
    assert "thetsakan_outbox_backlog" in answer.get_data(as_text=True)


def test_a_remote_caller_without_a_token_is_refused(client):
    answer = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert answer.status_code == 401
    assert answer.get_json()["code"] == "unauthorized"
    assert "thetsakan_" not in answer.get_data(as_text=True)


def test_a_request_forwarded_by_a_proxy_on_loopback_is_not_loopback(client):
    # nginx on the same machine connects from 127.0.0.1 for every visitor on the internet.
    answer = client.get("/metrics", headers={"X-Forwarded-For": "198.51.100.4"})
    assert answer.status_code == 401


def test_an_organiser_token_is_refused_even_from_loopback(client, make_city, make_user):
    city = make_city()
    _, token = make_user("organiser", city_id=city)
    answer = client.get("/metrics", headers=bearer(token))
    assert answer.status_code == 403
    assert answer.get_json()["code"] == "forbidden_role"


def test_an_admins_token_reads_them_from_anywhere(client, make_user):
    _, token = make_user("admin")
    answer = client.get("/metrics", headers={**bearer(token), "X-Forwarded-For": "198.51.100.4"},
                        environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert answer.status_code == 200
    assert "thetsakan_queue_jobs" in answer.get_data(as_text=True)


def test_a_bad_token_is_refused_from_loopback_too(client):
    assert client.get("/metrics", headers=bearer("not-a-token")).status_code == 401


# --- figures read from the database and Redis ----------------------------------------------------


def test_bookings_by_status_and_the_outbox_backlog(app, client, make_city, make_festival, make_session):
    from registrations import services as registrations
    from app import relay

    city = make_city()
    festival = make_festival(city)
    session = make_session(festival, capacity=1)
    with app.app_context():
        relay.pause()  # the messages stay in the outbox: a backlog to see
        passes = [registrations.sign_up("learning-city-days", name="ก", email=f"m{n}@example.org", age_group="adult",
                                        consent=True, locale="th").pass_ for n in range(3)]
        db.session.commit()
        for pass_ in passes:
            registrations.book(pass_.id, session)
            db.session.commit()
        relay.resume()
        db.session.remove()
    found = samples(client.get("/metrics").get_data(as_text=True))
    assert value(found, "thetsakan_bookings", status=CONFIRMED) == 1
    assert value(found, "thetsakan_bookings", status=WAITLISTED) == 2
    assert value(found, "thetsakan_outbox_backlog") == 6  # three passes, three bookings
    assert value(found, "thetsakan_outbox_oldest_age_seconds") > 0
    assert value(found, "thetsakan_metrics_source_up", source="app.relay.outbox_metrics") == 1


def test_a_source_that_fails_is_reported_and_the_rest_still_answer(app, client, monkeypatch):
    import app.queues as queues

    def broken(*_args, **_kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(queues.Queue, "count", property(broken))
    answer = client.get("/metrics")
    assert answer.status_code == 200
    found = samples(answer.get_data(as_text=True))
    assert value(found, "thetsakan_metrics_source_up", source="app.queues.queue_metrics") == 0
    assert value(found, "thetsakan_metrics_source_up", source="registrations.metrics.booking_metrics") == 1


# --- counted in several processes ---------------------------------------------------------------


def _festivals(url, count):
    with httpx.Client(base_url=url, timeout=30) as http:
        return [http.get("/api/v1/festivals").status_code for _ in range(count)]


def test_request_counts_add_up_over_gunicorns_processes(web_node):
    directory = web_node.instance / "metrics"
    sent = 0
    # Concurrent clients until at least two gunicorn processes have answered some of them.
    for _ in range(20):
        with ThreadPoolExecutor(8) as pool:
            codes = [code for batch in pool.map(_festivals, [web_node.url] * 8, [5] * 8) for code in batch]
        assert set(codes) == {200}
        sent += len(codes)
        if len(glob.glob(str(directory / "histogram_web-*.db"))) >= 2:
            break
    writers = glob.glob(str(directory / "histogram_web-*.db"))
    assert len(writers) >= 2, "one process answered everything"
    # Each scrape lands on any of the processes and must give the same sum.
    seen = set()
    for _ in range(6):
        found = samples(httpx.get(web_node.url + "/metrics").text)
        seen.add(value(found, "thetsakan_http_request_duration_seconds_count",
                       endpoint="events_api.list_festivals", method="GET", status="200"))
    assert seen == {sent}


def test_a_restarted_node_starts_its_counts_afresh(tmp_path, database_url, redis_url, app):
    from tests.operations.conftest import WebNode, node_env

    env = node_env(database_url, redis_url, tmp_path / "instance")
    node = WebNode(env, workers=2).start()
    try:
        _festivals(node.url, 3)
    finally:
        node.stop()
    node = WebNode(env, workers=2).start()
    try:
        _festivals(node.url, 2)
        found = samples(httpx.get(node.url + "/metrics").text)
    finally:
        node.stop()
    assert value(found, "thetsakan_http_request_duration_seconds_count",
                 endpoint="events_api.list_festivals", method="GET", status="200") == 2


def test_jobs_counted_in_work_horses_add_up_in_one_file_per_worker(app, smtp, festival, sign_up):
    """Feed rebuilds still get a forked work-horse each (mail runs in the worker itself): their
    counts add up in one file named after the worker, not one file per horse."""
    directory = metrics.directory()

    def finished(queue, job):
        with app.app_context():
            found = samples(metrics.exposition().decode())
        return value(found, "thetsakan_job_duration_seconds_count", queue=queue, job=job, outcome="finished")

    rebuilds = ("feeds", "workers.jobs.feeds.rebuild_agenda")
    # Other processes of the suite (workers it started) may share the directory: only the
    # files this burst adds are this worker's.
    files_before = set(glob.glob(os.path.join(directory, "*.db")))
    rebuilt_before = finished(*rebuilds)
    pass_ids = [sign_up(email=f"horse{n}@example.org") for n in range(4)]
    with app.app_context():
        for pass_id in pass_ids:
            enqueue_once(FEEDS, rebuilds[1], {"pass_id": pass_id}, job_id=f"test-rebuild-{pass_id}")
        relay.settle(app=app)  # what was committed is in RQ before the worker looks
        make_worker(app).work(burst=True)  # the forking worker: each rebuild in a work-horse
    assert finished(*rebuilds) == rebuilt_before + 4
    assert len(smtp.messages) == 4  # the mail ran too, in the worker itself (no horse, so no file of its own)
    # Four work-horses, one file: named after the worker (this process), not after each horse.
    assert glob.glob(os.path.join(directory, f"histogram_horse-{os.getpid()}.db"))
    added = set(glob.glob(os.path.join(directory, "*.db"))) - files_before
    assert not any(re.search(r"_horse-\d+\.db$", name) and f"horse-{os.getpid()}" not in name for name in added)


def _confirmations_counted(port, worker):
    """The worker's count of sent confirmations, read from its metrics port once it is above 0 (None
    while the port answers with something else)."""
    from tests.operations.conftest import wait_for

    done = None
    try:
        wait_for(f"http://127.0.0.1:{port}/metrics", worker)
    except RuntimeError:
        return None  # it ended before answering
    deadline = time.monotonic() + 300  # give up after (a busy machine), not a claim about speed
    while time.monotonic() < deadline and worker.poll() is None:
        try:
            found = samples(httpx.get(f"http://127.0.0.1:{port}/metrics").text)
        except ValueError:
            found = {}  # not Prometheus text: another server holds the port, and the worker will end
        done = value(found, "thetsakan_job_duration_seconds_count", queue="mail",
                     job="workers.jobs.mail.send_pass_confirmation", outcome="finished")
        if done:
            break
        time.sleep(0.2)
    return done


def test_a_worker_process_serves_its_machines_job_metrics(tmp_path, database_url, redis_url, app, smtp, sign_up):
    from tests.conftest import free_port
    from tests.operations.conftest import node_env

    sign_up(email="served@example.org")
    env = node_env(database_url, redis_url, tmp_path / "instance", SMTP_HOST=smtp.host, SMTP_PORT=smtp.port)
    done = None
    # The port is free when chosen, but another process of the machine (the other stack's suite runs
    # beside this one in CI) may take it before the worker binds it: then whatever answers there is
    # not the worker's, and the worker ends without working (it binds before it takes a job). Another port.
    for _attempt in range(3):
        port = free_port()
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--metrics-port", str(port)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            done = _confirmations_counted(port, worker)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
        if worker.returncode != 1 or done:  # 1: it could not bind its port (click's exit on an error)
            break
    assert done == 1
    assert len(smtp.messages) == 1
