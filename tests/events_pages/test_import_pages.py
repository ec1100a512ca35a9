"""The console's import page: dry run with every bad row listed, apply, and a large file followed to the end."""
import io
import re

import sqlalchemy as sa

from app.database import db
from events.importing import programme as programme_import
from events.models import ProgrammeImport, ProgrammeSession, Venue
from tests.conftest import csrf_from, login

HEADER = "title_th,title_en,kind,day,start,end,venue,venue_kind,capacity,themes,age_groups\n"
GOOD = (
    HEADER
    + "ทำร่มบ่อสร้าง,Bo Sang umbrellas,workshop,22/08/2642,13:00,14:00,ห้องเรียนรู้ 1,room,30,lifelong-culture,child\n"
    + "ดนตรีโปงลาง,Pong lang music,performance,2099-08-23,16:00,16:45,,,,lifelong-culture,\n"
)
BAD = (
    HEADER
    + "ทำร่มบ่อสร้าง,Bo Sang umbrellas,workshop,22/08/2642,13:00,14:00,,,30,,\n"
    + ",Nameless,juggling,2099-08-22,10:00,11:00,,,,,\n"  # row 3: unknown kind
    + "เสวนา,Forum,forum,2099-08-30,10:00,11:00,,,,,\n"  # row 4: outside the festival
    + "ผิดเวลา,Backwards,talk,2099-08-22,12:00,11:00,Nowhere hall,,,,\n"  # row 5: ends first, unknown venue
)


def upload(text, name="programme.csv"):
    return (io.BytesIO(text.encode("utf-8")), name)


def sessions(app, programme):
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count()).select_from(ProgrammeSession).where(ProgrammeSession.festival_id == programme.festival_id)
        )


def error_rows(html):
    body = html[html.index('class="cn-table cn-import-errors"'):]
    return [
        (int(row), field, message)
        for row, field, message in re.findall(r"<tr><td>(\d+)</td><td><code>([^<]*)</code></td><td>([^<]*)</td></tr>", body)
    ]


def meta_token(html):
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)


def test_the_import_page_offers_templates_and_explains_the_columns(organiser_client, programme):
    html = organiser_client.get(f"/organiser/festivals/{programme.slug}/import?lang=th").get_data(as_text=True)
    assert 'href="/api/v1/import-template.xlsx"' in html and 'href="/api/v1/import-template.csv"' in html
    assert "ดาวน์โหลดแม่แบบ" in html and "เวลาเริ่ม เช่น 09:30" in html
    assert meta_token(html) and csrf_from(html)
    assert "/static/events/import.js" in html


def test_a_dry_run_lists_every_bad_row_and_stores_nothing(app, organiser_client, programme):
    before = sessions(app, programme)
    url = f"/organiser/festivals/{programme.slug}/import"
    token = csrf_from(organiser_client.get(url).get_data(as_text=True))
    answer = organiser_client.post(url + "?lang=en", data={"csrf_token": token, "action": "check", "file": upload(BAD)},
                                   content_type="multipart/form-data")
    assert answer.status_code == 200
    rows = error_rows(answer.get_data(as_text=True))
    assert {(row, field) for row, field, _ in rows} >= {(3, "kind"), (4, "day"), (5, "end")}
    assert 2 not in {row for row, _, _ in rows}
    assert any(row == 3 and "juggling" in message for row, _, message in rows)
    assert sessions(app, programme) == before

    thai = organiser_client.post(url + "?lang=th", data={"csrf_token": token, "action": "check", "file": upload(BAD)},
                                 content_type="multipart/form-data").get_data(as_text=True)
    assert "พบปัญหา" in thai
    assert any(row == 5 and message == "กิจกรรมต้องสิ้นสุดหลังเวลาเริ่ม" for row, _, message in error_rows(thai))


def test_applying_a_file_with_a_bad_row_imports_nothing(app, organiser_client, programme):
    url = f"/organiser/festivals/{programme.slug}/import"
    token = csrf_from(organiser_client.get(url).get_data(as_text=True))
    answer = organiser_client.post(url + "?lang=en", data={"csrf_token": token, "action": "apply", "file": upload(BAD)},
                                   content_type="multipart/form-data")
    assert answer.status_code == 422
    assert "Nothing was imported: every row goes in, or none." in answer.get_data(as_text=True)
    assert sessions(app, programme) == 5


def test_json_dry_run_then_apply_with_the_session_cookie_and_csrf_header(app, organiser_client, programme):
    page = organiser_client.get(f"/organiser/festivals/{programme.slug}/import").get_data(as_text=True)
    headers = {"X-CSRFToken": meta_token(page), "Accept": "application/json"}
    url = f"/organiser/festivals/{programme.slug}/import.json?lang=en"

    checked = organiser_client.post(url, data={"dry_run": "true", "file": upload(GOOD)}, headers=headers,
                                    content_type="multipart/form-data")
    assert checked.status_code == 200
    body = checked.get_json()
    assert body["ok"] is True and body["dry_run"] is True and body["errors"] == []
    assert body["new_venues"] == ["ห้องเรียนรู้ 1"]
    assert "2 sessions would be added." in body["html"] and "data-apply" in body["html"]
    assert sessions(app, programme) == 5

    applied = organiser_client.post(url, data={"dry_run": "false", "file": upload(GOOD)}, headers=headers,
                                    content_type="multipart/form-data")
    assert applied.status_code == 201
    assert applied.get_json()["created_sessions"] == 2 and "2 sessions added." in applied.get_json()["html"]
    with app.app_context():
        titles = set(db.session.scalars(sa.select(ProgrammeSession.title_en).where(ProgrammeSession.festival_id == programme.festival_id)))
        assert {"Bo Sang umbrellas", "Pong lang music"} <= titles
        assert db.session.scalar(sa.select(Venue.kind).where(Venue.name_th == "ห้องเรียนรู้ 1")) == "room"

    bad = organiser_client.post(url, data={"dry_run": "true", "file": upload("nothing,useful\n1,2\n")},
                                headers=headers, content_type="multipart/form-data")
    assert bad.status_code == 422
    assert bad.get_json()["message"].startswith("Missing columns:") and "Missing columns:" in bad.get_json()["html"]


def test_the_json_endpoint_needs_the_csrf_header(app, organiser_client, programme):
    answer = organiser_client.post(f"/organiser/festivals/{programme.slug}/import.json",
                                   data={"dry_run": "false", "file": upload(GOOD)}, content_type="multipart/form-data")
    assert answer.status_code == 400
    assert sessions(app, programme) == 5


def large_file(rows):
    lines = [HEADER]
    for n in range(rows):
        hour, minute = divmod(n, 6)
        lines.append(f"แถว {n},Row {n},activity,2099-08-22,{hour % 24:02d}:{minute * 10:02d},{hour % 24:02d}:{minute * 10 + 9:02d},,,,,\n")
    return "".join(lines)


def test_a_large_file_is_queued_and_its_progress_followed_to_the_end(app, organiser_client, programme):
    page = organiser_client.get(f"/organiser/festivals/{programme.slug}/import").get_data(as_text=True)
    headers = {"X-CSRFToken": meta_token(page), "Accept": "application/json"}
    queued = organiser_client.post(f"/organiser/festivals/{programme.slug}/import.json?lang=en",
                                   data={"dry_run": "false", "file": upload(large_file(144))}, headers=headers,
                                   content_type="multipart/form-data")
    assert queued.status_code == 201  # 144 rows are applied at once
    assert sessions(app, programme) == 5 + 144

    big = large_file(144) + "".join(
        f"วันสอง {n},Day two {n},talk,2099-08-23,{n // 6:02d}:{(n % 6) * 10:02d},{n // 6:02d}:{(n % 6) * 10 + 5:02d},,,,,\n"
        for n in range(100)
    )
    queued = organiser_client.post(f"/organiser/festivals/{programme.slug}/import.json?lang=en",
                                   data={"dry_run": "true", "file": upload(big)}, headers=headers,
                                   content_type="multipart/form-data")
    assert queued.status_code == 202
    job = queued.get_json()
    assert job["status"] == "queued" and job["poll_url"] == f"/organiser/imports/{job['id']}.json"
    status_page = organiser_client.get(f"/organiser/imports/{job['id']}?lang=en").get_data(as_text=True)
    assert 'role="progressbar"' in status_page and f'data-poll="{job["poll_url"]}"' in status_page

    with app.app_context():
        programme_import.run_import(job["id"])  # what the worker does on import.requested
    done = organiser_client.get(job["poll_url"] + "?lang=en").get_json()
    assert (done["status"], done["progress"], done["ok"]) == ("finished", 100, True)
    assert "The file is ready to import" in done["html"]
    assert sessions(app, programme) == 5 + 144  # a dry run

    # the checked copy is applied from the job, without uploading again
    status_page = organiser_client.get(f"/organiser/imports/{job['id']}?lang=en").get_data(as_text=True)
    assert f'action="/organiser/imports/{job["id"]}/apply"' in status_page
    applied = organiser_client.post(f"/organiser/imports/{job['id']}/apply", data={"csrf_token": csrf_from(status_page)})
    assert applied.status_code == 303
    second = int(re.search(r"/organiser/imports/(\d+)$", applied.headers["Location"]).group(1))
    with app.app_context():
        programme_import.run_import(second)
    final = organiser_client.get(f"/organiser/imports/{second}.json?lang=en").get_json()
    assert final["status"] == "finished" and final["created_sessions"] == 244
    assert "244 sessions added." in final["html"]
    assert sessions(app, programme) == 5 + 144 + 244


def test_another_citys_organiser_cannot_import_or_watch(app, client, programme, make_city, make_user):
    other = make_city("yala", "ยะลา", "Yala")
    make_user("organiser", other, password="pw-yala-1", email="yala@example.org")
    login(client, "yala@example.org", "pw-yala-1")
    page = client.get("/organiser/").get_data(as_text=True)
    assert client.get(f"/organiser/festivals/{programme.slug}/import").status_code == 403
    answer = client.post(f"/organiser/festivals/{programme.slug}/import.json",
                         data={"dry_run": "false", "file": upload(GOOD)}, content_type="multipart/form-data",
                         headers={"X-CSRFToken": csrf_from(page), "Accept": "application/json"})
    assert answer.status_code == 403 and answer.get_json()["code"] == "forbidden"
    assert sessions(app, programme) == 5
    with app.app_context():
        job = ProgrammeImport(festival_id=programme.festival_id, filename="x.csv", content=b"x", total_rows=300, errors=[])
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    assert client.get(f"/organiser/imports/{job_id}").status_code == 403
    assert client.get(f"/organiser/imports/{job_id}.json").status_code == 403
    assert client.post(f"/organiser/imports/{job_id}/apply", data={"csrf_token": csrf_from(page)}).status_code == 403
