"""Files users download live in the database: built on one machine, served by any node, purged on a schedule."""
import subprocess
import sys
from datetime import timedelta

import httpx

from app import files
from app.database import db, now_utc
from reports.models import Report
from tests.conftest import bearer
from tests.operations.conftest import ROOT, node_env
from workers.schedule import BY_NAME


def test_a_report_built_by_a_worker_elsewhere_downloads_whole_from_a_web_node(
    app, web_node, make_city, make_festival, make_user, tmp_path, database_url, redis_url
):
    city = make_city()
    make_festival(city)
    _, token = make_user("organiser", city_id=city)
    asked = httpx.post(f"{web_node.url}/api/v1/festivals/learning-city-days/reports", json={"formats": ["csv", "pdf"]},
                       headers=bearer(token), timeout=30)
    assert asked.status_code == 202, asked.text
    report_id = asked.json()["id"]
    # Not there yet: a 404 with its code, from the node.
    early = httpx.get(f"{web_node.url}/api/v1/reports/{report_id}/files/pdf", headers=bearer(token))
    assert early.status_code == 404

    worker_instance = tmp_path / "worker-instance"
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"], cwd=ROOT, timeout=300,
                   env=node_env(database_url, redis_url, worker_instance), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with app.app_context():
        report = db.session.get(Report, report_id)
        assert report.status == "finished"
        expected = {fmt: files.get(f"report:{report_id}:{fmt}").content for fmt in ("csv", "pdf")}
        db.session.remove()
    for fmt in ("csv", "pdf"):
        answer = httpx.get(f"{web_node.url}/api/v1/reports/{report_id}/files/{fmt}", headers=bearer(token))
        assert answer.status_code == 200
        assert answer.content == expected[fmt]
        assert "attachment" in answer.headers["Content-Disposition"]
    assert expected["pdf"].startswith(b"%PDF")
    # Nothing of it on either machine's disk.
    for instance in (worker_instance, web_node.instance):
        assert not list(instance.rglob("*.pdf")) and not list(instance.rglob("*-csv.zip"))


def test_the_purge_removes_files_past_their_time_and_keeps_the_rest(app):
    with app.app_context():
        files.put("test:old", "old.txt", "text/plain", b"old", keep=timedelta(days=1))
        files.put("test:young", "young.txt", "text/plain", b"young", keep=timedelta(days=30))
        files.put("test:kept", "kept.txt", "text/plain", b"kept")
        db.session.commit()
        assert files.purge_expired(now=now_utc() + timedelta(days=2)) == 1
        assert not files.exists("test:old")
        assert files.get("test:young").content == b"young" and files.exists("test:kept")
        db.session.remove()


def test_storing_a_key_again_replaces_the_file(app):
    with app.app_context():
        files.put("test:again", "a.txt", "text/plain", b"first")
        db.session.commit()
        files.put("test:again", "a.txt", "text/plain", b"second")
        db.session.commit()
        assert files.get("test:again").content == b"second"
        db.session.remove()


def test_a_purged_report_file_is_a_404_naming_it(app, client, make_city, make_festival, make_user):
    city = make_city()
    festival = make_festival(city)
    _, token = make_user("organiser", city_id=city)
    with app.app_context():
        report = Report(festival_id=festival, formats=["csv"], locale="th", status="finished", progress=100,
                        files={"csv": "x.zip"})
        db.session.add(report)
        db.session.flush()
        files.put(f"report:{report.id}:csv", "x.zip", "application/zip", b"PK", keep=timedelta(seconds=1))
        db.session.commit()
        report_id = report.id
        assert client.get(f"/api/v1/reports/{report_id}/files/csv", headers=bearer(token)).data == b"PK"
        files.purge_expired(now=now_utc() + timedelta(minutes=1))
        db.session.remove()
    answer = client.get(f"/api/v1/reports/{report_id}/files/csv", headers=bearer(token))
    assert answer.status_code == 404 and answer.get_json()["code"] == "not_found"


def test_the_purge_is_on_the_workers_schedule():
    entry = BY_NAME["files-purge"]
    assert entry.func == "app.files.purge_expired" and entry.every <= 24 * 3600
