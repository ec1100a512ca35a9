"""The reports pages: a city team's festivals, asking for a report (CSRF), progress as JSON, downloads, the network."""
import re

from app.database import db
from app.outbox import messages
from reports.build import build_report
from reports.models import Report
from tests.conftest import csrf_from, login


def _signed_in(app, email, password):
    client = app.test_client()
    assert login(client, email, password).status_code == 302
    return client


def test_anonymous_visitors_are_sent_to_sign_in(client, seed):
    for url in ("/reports/", f"/reports/festivals/{seed.slug}", "/network", "/reports/1/status.json"):
        answer = client.get(url)
        assert answer.status_code == 302 and "/login?next=" in answer.headers["Location"], url


def test_a_city_team_sees_its_own_festivals_in_thai_and_english(app, seed, people):
    client = _signed_in(app, "team@cm.example", "pw-cityteam-1")
    thai = client.get("/reports/?lang=th").get_data(as_text=True)
    assert "รายงานผู้เข้าร่วมงาน" in thai
    assert "มหกรรมเมืองแห่งการเรียนรู้เชียงใหม่" in thai and "เทศกาลเรียนรู้เชียงใหม่ 2569" in thai
    assert "วันเมืองแห่งการเรียนรู้ 2566" not in thai  # Bangkok's festival is not theirs
    english = client.get(f"/reports/festivals/{seed.slug}?lang=en").get_data(as_text=True)
    assert "Compile a report" in english and "Chiang Mai Learning City Festival" in english
    assert "22–23 August 2027" in english
    page = client.get(f"/reports/festivals/{seed.slug}?lang=th").get_data(as_text=True)
    assert "22–23 สิงหาคม 2570" in page and "จัดทำรายงาน" in page
    # No inline script under the CSP: every script has a src.
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", page))
    assert "/static/reports/progress.js" in page


def test_another_city_and_scanning_staff_are_refused(app, seed, people):
    other = _signed_in(app, "team@phuket.example", "pw-other-2")
    assert other.get(f"/reports/festivals/{seed.slug}").status_code == 403
    assert other.get("/network").status_code == 403
    staff = _signed_in(app, "staff@cm.example", "pw-staff-1")
    assert staff.get(f"/reports/festivals/{seed.slug}").status_code == 403
    assert staff.get("/reports/").status_code == 403


def test_the_form_needs_its_csrf_token_and_a_format(app, seed, people):
    client = _signed_in(app, "org@cm.example", "pw-organiser-1")
    url = f"/reports/festivals/{seed.slug}"
    assert client.post(url, data={"formats": ["pdf"]}).status_code == 400
    token = csrf_from(client.get(url).get_data(as_text=True))
    nothing = client.post(url + "?lang=en", data={"csrf_token": token, "locale": "en"})
    assert nothing.status_code == 422 and "Choose at least one format." in nothing.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Report).count() == 0
    asked = client.post(url + "?lang=en", data={"csrf_token": token, "formats": ["pdf", "xlsx"], "locale": "en"})
    assert asked.status_code == 302 and "#report-" in asked.headers["Location"]
    with app.app_context():
        report = db.session.query(Report).one()
        assert report.formats == ["xlsx", "pdf"] and report.locale == "en" and report.status == "queued"
        assert [m.payload for m in messages("report.requested")] == [{"report_id": report.id}]
        report_id = report.id
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert f'data-report-status="/reports/{report_id}/status.json"' in page and "Waiting for a worker" in page


def test_progress_json_then_files_for_the_same_city_only(app, seed, people):
    client = _signed_in(app, "team@cm.example", "pw-cityteam-1")
    url = f"/reports/festivals/{seed.slug}"
    token = csrf_from(client.get(url).get_data(as_text=True))
    client.post(url, data={"csrf_token": token, "formats": ["csv", "xlsx", "pdf"], "locale": "th"})
    with app.app_context():
        report_id = db.session.query(Report.id).scalar()
    before = client.get(f"/reports/{report_id}/status.json?lang=en").get_json()
    assert before["status"] == "queued" and before["done"] is False and before["files"] == []
    with app.app_context():
        build_report(report_id)
    after = client.get(f"/reports/{report_id}/status.json?lang=en").get_json()
    assert after["status"] == "finished" and after["progress"] == 100 and after["done"] is True
    assert [f["format"] for f in after["files"]] == ["csv", "xlsx", "pdf"]
    assert "39 scans" in after["compiled_text"]
    xlsx = client.get(after["files"][1]["url"])
    assert xlsx.status_code == 200 and xlsx.data.startswith(b"PK")
    other = _signed_in(app, "org@phuket.example", "pw-other-1")
    assert other.get(f"/reports/{report_id}/status.json").status_code == 403
    assert other.get(after["files"][2]["url"]).status_code == 403
    page = client.get(url + "?lang=th").get_data(as_text=True)
    assert "รายงานสำหรับพิมพ์ (PDF)" in page and "ตัวเลขล่าสุด" in page


def test_the_network_page_shows_every_city_side_by_side(app, seed, people):
    client = _signed_in(app, "admin@example.org", "pw-admin-1")
    page = client.get("/network?lang=en").get_data(as_text=True)
    assert "The network at a glance" in page
    for name in ("Chiang Mai Learning City Festival", "Learning City Days 2023", "Phuket", "Bangkok"):
        assert name in page
    assert "<svg" in page and "cdn" not in page.lower()
    assert re.search(r'<span style="width: \d+\.\d+%; background: #[0-9a-f]{6}"></span>', page)
    thai = client.get("/network?lang=th").get_data(as_text=True)
    assert "ภาพรวมเครือข่าย" in thai and "2570" in thai
