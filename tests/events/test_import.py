"""Programme import: a dry run lists every bad row; a real run adds all rows or none; large files run as a job."""
import csv
import io
from datetime import date, datetime, time, timezone
from functools import partial

import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from app import relay
from app.database import db
from app.outbox import messages
from app.queues import make_worker
from events.models import ProgrammeImport, ProgrammeSession, Venue
from events.importing.programme import import_status, run_import
from events.importing.spreadsheets import COLUMN_NAMES, read_table
from tests import spreadsheets

HEADER = ["title_th", "title_en", "kind", "day", "start", "end", "venue", "venue_kind", "capacity", "themes",
          "age_groups", "hosts", "language"]

csv_bytes = partial(spreadsheets.csv_bytes, header=HEADER)


def upload(client, world, content, dry_run, filename="programme.csv", headers=None):
    return client.post(
        f"/api/v1/festivals/{world.slug}/import",
        data={"file": (io.BytesIO(content), filename), "dry_run": "true" if dry_run else "false"},
        headers=headers or world.bangkok_organiser,
        content_type="multipart/form-data",
    )


def session_count(app):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(ProgrammeSession))


GOOD = [
    ["เวิร์กช็อปเครื่องเขิน", "Lacquerware workshop", "workshop", "2027-08-22", "10:00", "11:30", "Workshop room 1", "", "30",
     "lifelong-culture", "adult, senior", "Khru Boonmee", "th"],
    ["เสวนาเมืองแห่งการเรียนรู้", "Learning city forum", "เสวนา", "22/08/2570", "9.30 น.", "11.00", "เวทีหลัก", "", "",
     "inclusive-education, workplace", "ผู้ใหญ่", "PMU A; UNESCO Bangkok", "th-en"],
    ["การแสดงโปงลาง", "Pong lang ensemble", "performance", "23 สิงหาคม 2570", "๑๗:๐๐", "18:00", "Main stage", "", "",
     "lifelong-culture", "child, teen, adult, senior", "", "th"],
]


def test_a_dry_run_checks_and_stores_nothing(app, client, world):
    answer = upload(client, world, csv_bytes(GOOD), dry_run=True)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["dry_run"] is True and body["ok"] is True
    assert body["total_rows"] == 3 and body["errors"] == [] and body["created_sessions"] == 0
    assert session_count(app) == 0


def test_a_real_run_adds_every_row_with_thai_dates_and_words(app, client, world):
    answer = upload(client, world, csv_bytes(GOOD), dry_run=False)
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["created_sessions"] == 3
    listed = client.get(f"/api/v1/festivals/{world.slug}/sessions", headers=world.admin).get_json()
    forum = next(s for s in listed if s["title_en"] == "Learning city forum")
    assert forum["kind"] == "forum" and forum["starts_at"] == "2027-08-22T09:30:00+07:00"
    assert forum["venue_id"] == world.stage_id and forum["capacity"] is None
    assert forum["hosts"] == ["PMU A", "UNESCO Bangkok"] and forum["age_groups"] == ["adult"]
    assert forum["language"] == "th-en"
    pong_lang = next(s for s in listed if s["title_en"] == "Pong lang ensemble")
    assert pong_lang["starts_at"] == "2027-08-23T17:00:00+07:00"
    workshop = next(s for s in listed if s["kind"] == "workshop")
    assert workshop["capacity"] == 30 and workshop["age_groups"] == ["adult", "senior"]


def test_a_dry_run_lists_every_bad_row_with_row_field_and_code(app, client, world, make_session):
    existing = make_session(world.festival_id, starts_at=datetime(2027, 8, 23, 3, 0, tzinfo=timezone.utc),
                            venue_id=world.room_id)
    rows = [
        GOOD[0],                                                                                       # row 2: fine
        ["", "", "workshop", "2027-08-22", "10:00", "11:00", "", "", "", "", "", "", ""],              # 3: no title
        ["ก", "A", "party", "2027-08-22", "10:00", "11:00", "", "", "", "", "", "", ""],               # 4: kind
        ["ข", "B", "talk", "2027-09-01", "10:00", "11:00", "", "", "", "", "", "", ""],                # 5: outside
        ["ค", "C", "talk", "2027-08-22", "12:00", "11:00", "", "", "", "", "", "", ""],                # 6: end first
        ["ง", "D", "talk", "2027-08-22", "noon", "13:00", "", "", "", "", "", "", ""],                 # 7: start
        ["จ", "E", "talk", "2027-08-22", "14:00", "15:00", "Rooftop", "", "", "", "", "", ""],         # 8: venue
        ["ฉ", "F", "talk", "2027-08-22", "14:00", "15:00", "", "", "-5", "", "", "", ""],              # 9: capacity
        ["ช", "G", "talk", "2027-08-22", "14:00", "15:00", "", "", "", "happiness", "toddler", "", "fr"],  # 10: three
        ["ซ", "H", "talk", "2027-08-22", "11:00", "12:00", "Workshop room 1", "", "", "", "", "", ""],  # 11: clash, row 2
        ["ฌ", "I", "talk", "2027-08-23", "10:30", "11:00", "Workshop room 1", "", "", "", "", "", ""],  # 12: clash, existing
        ["ญ", "J", "talk", "2027/08/22", "10:00", "11:00", "", "", "", "", "", "", ""],                # 13: day
    ]
    answer = upload(client, world, csv_bytes(rows), dry_run=True)
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["ok"] is False and body["total_rows"] == 12
    found = {(e["row"], e["field"], e["code"]) for e in body["errors"]}
    assert found == {
        (3, "title_th", "required"),
        (4, "kind", "invalid_choice"),
        (5, "day", "outside_festival"),
        (6, "end", "ends_before_start"),
        (7, "start", "invalid"),
        (8, "venue", "unknown_venue"),
        (9, "capacity", "out_of_range"),
        (10, "themes", "invalid_choice"),
        (10, "age_groups", "invalid_choice"),
        (10, "language", "invalid_choice"),
        (11, "start", "clash"),
        (12, "start", "clash"),
        (13, "day", "invalid"),
    }
    in_file = next(e for e in body["errors"] if e["row"] == 11)
    assert in_file["other_row"] == 2 and "row 2" in in_file["message"]
    with_programme = next(e for e in body["errors"] if e["row"] == 12)
    assert with_programme["session_id"] == existing
    assert all(e["message"] for e in body["errors"])
    assert session_count(app) == 1


def test_a_failing_real_run_writes_nothing_and_answers_the_same_errors(app, client, world):
    publish = client.patch(f"/api/v1/festivals/{world.slug}", json={"status": "published"}, headers=world.admin)
    assert publish.status_code == 200
    rows = [*GOOD, ["ใหม่", "New venue session", "talk", "2027-08-22", "15:00", "16:00", "Garden", "zone", "", "", "", "", ""],
            ["ผิด", "Broken", "talk", "2027-08-22", "25:00", "26:00", "", "", "", "", "", "", ""]]
    dry = upload(client, world, csv_bytes(rows), dry_run=True).get_json()
    before = len(messages_of(app))
    answer = upload(client, world, csv_bytes(rows), dry_run=False)
    assert answer.status_code == 422
    body = answer.get_json()
    assert body["code"] == "invalid_rows" and body["field"] == "file"
    assert body["errors"] == dry["errors"]
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(6, "start"), (6, "end")]
    assert session_count(app) == 0
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Venue)) == 2  # "Garden" was not made
    assert len(messages_of(app)) == before


def messages_of(app):
    with app.app_context():
        return messages()


def test_new_venues_are_made_when_venue_kind_says_so(app, client, world):
    rows = [["ลานกิจกรรม", "Activity lawn", "activity", "2027-08-22", "10:00", "12:00", "Lawn", "โซน", "", "", "", "", ""],
            ["ลานกิจกรรม 2", "Activity lawn 2", "activity", "2027-08-22", "12:00", "13:00", "lawn", "", "", "", "", "", ""]]
    dry = upload(client, world, csv_bytes(rows), dry_run=True).get_json()
    assert dry["ok"] is True and dry["new_venues"] == ["Lawn"]
    applied = upload(client, world, csv_bytes(rows), dry_run=False)
    assert applied.status_code == 201 and applied.get_json()["created_venues"] == 1
    venues = client.get(f"/api/v1/festivals/{world.slug}/venues", headers=world.admin).get_json()
    lawn = next(v for v in venues if v["name_en"] == "Lawn")
    assert lawn["kind"] == "zone"
    sessions = client.get(f"/api/v1/festivals/{world.slug}/sessions?venue={lawn['id']}", headers=world.admin).get_json()
    assert len(sessions) == 2


def test_thai_headers_cp874_and_semicolons_are_read(app, client, world):
    header = ["ชื่อกิจกรรม", "ประเภท", "วันที่", "เวลาเริ่ม", "เวลาจบ", "สถานที่", "ที่นั่ง"]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(header)
    writer.writerow(["ทอผ้าตีนจก", "เวิร์กช็อป", "22/08/2570", "13:00", "15:00", "ห้องเวิร์กช็อป 1", "20"])
    answer = upload(client, world, out.getvalue().encode("cp874"), dry_run=False)
    assert answer.status_code == 201, answer.get_json()
    listed = client.get(f"/api/v1/festivals/{world.slug}/sessions", headers=world.admin).get_json()
    assert [(s["title_th"], s["kind"], s["capacity"], s["venue_id"]) for s in listed] == [
        ("ทอผ้าตีนจก", "workshop", 20, world.room_id)
    ]


def test_an_xlsx_with_real_date_and_time_cells_imports(app, client, world):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["title_en", "kind", "day", "start", "end", "venue", "capacity"])
    sheet.append(["Long-drum show", "performance", date(2027, 8, 22), time(16, 0), time(16, 45), "Main stage", None])
    sheet.append(["Paper umbrellas", "workshop", datetime(2570 - 543, 8, 23), "10:00", "12:00", "Workshop room 1", 25.0])
    out = io.BytesIO()
    workbook.save(out)
    answer = upload(client, world, out.getvalue(), dry_run=False, filename="programme.xlsx")
    assert answer.status_code == 201, answer.get_json()
    listed = client.get(f"/api/v1/festivals/{world.slug}/sessions", headers=world.admin).get_json()
    assert [(s["title_en"], s["starts_at"], s["capacity"]) for s in listed] == [
        ("Long-drum show", "2027-08-22T16:00:00+07:00", None),
        ("Paper umbrellas", "2027-08-23T10:00:00+07:00", 25),
    ]


def test_files_that_are_no_programme_are_422_with_a_code(client, world):
    cases = [
        (b"", "empty_file"),
        (b"PK\x03\x04 definitely not a zip", "bad_file"),
        (b"\xd0\xcf\x11\xe0old excel", "bad_file"),
        ("title,when\nx,y\n".encode(), "missing_columns"),
        (b"\xff\xfe\x00\x00\x81\x8d", "bad_file"),
    ]
    for content, code in cases:
        answer = upload(client, world, content, dry_run=True)
        assert answer.status_code == 422, (content, answer.get_json())
        assert answer.get_json()["code"] == code and answer.get_json()["field"] == "file"
    missing = client.post(f"/api/v1/festivals/{world.slug}/import", data={"dry_run": "true"},
                          headers=world.bangkok_organiser, content_type="multipart/form-data")
    assert missing.status_code == 422 and missing.get_json()["field"] == "file"
    as_text = client.post(f"/api/v1/festivals/{world.slug}/import", data={"file": "not a file"},
                          headers=world.bangkok_organiser, content_type="multipart/form-data")
    assert as_text.status_code == 422 and as_text.get_json()["field"] == "file"


def test_only_the_city_organiser_imports(client, world):
    assert upload(client, world, csv_bytes(GOOD), dry_run=True, headers=world.chiang_mai_organiser).status_code == 403
    anonymous = client.post(f"/api/v1/festivals/{world.slug}/import", data={"file": (io.BytesIO(b"x"), "a.csv")},
                            content_type="multipart/form-data")
    assert anonymous.status_code == 401


def big_file(rows=260, bad_row_index=None):
    out = []
    for n in range(rows):
        day = "2027-08-22" if n < rows // 2 else "2027-08-23"
        minute = (n % (rows // 2)) * 5
        start = f"{8 + minute // 60:02d}:{minute % 60:02d}"
        end_minute = minute + 5
        end = f"{8 + end_minute // 60:02d}:{end_minute % 60:02d}"
        out.append([f"กิจกรรม {n}", f"Session {n}", "activity", day, start, end, "Main stage", "", "", "", "", "", "th"])
    if bad_row_index is not None:
        out[bad_row_index][2] = "rave"
    return csv_bytes(out)


def test_a_large_file_runs_as_a_job_with_progress(app, client, world):
    answer = upload(client, world, big_file(), dry_run=False)
    assert answer.status_code == 202, answer.get_json()
    job = answer.get_json()
    assert job["status"] == "queued" and job["total_rows"] == 260 and job["progress"] == 0
    assert job["status_url"] == f"/api/v1/imports/{job['id']}"
    with app.app_context():
        assert [m.payload for m in messages("import.requested")] == [{"import_id": job["id"]}]
    assert session_count(app) == 0
    assert client.get(job["status_url"], headers=world.chiang_mai_organiser).status_code == 403
    assert client.get(job["status_url"]).status_code == 401

    seen = []
    with app.app_context():
        run_import(job["id"], observer=seen.append)
    assert seen == sorted(seen) and seen[0] == 0 and seen[-1] == 100 and len(set(seen)) > 5
    done = client.get(job["status_url"], headers=world.bangkok_organiser).get_json()
    assert (done["status"], done["progress"], done["ok"], done["created_sessions"]) == ("finished", 100, True, 260)
    assert session_count(app) == 260
    # Running the job again does nothing.
    with app.app_context():
        run_import(job["id"])
    assert session_count(app) == 260


def test_a_large_file_is_imported_by_a_worker_through_the_dispatch(app, client, world):
    """import.requested goes the way of every other message: the relay, the dispatch, a worker's job."""
    job = upload(client, world, big_file(), dry_run=False).get_json()
    with app.app_context():
        relay.settle(app=app)  # what was committed is in RQ before the worker looks
        make_worker(app).work(burst=True)  # the dispatch, then the import job it enqueued
        db.session.remove()
    done = client.get(job["status_url"], headers=world.bangkok_organiser).get_json()
    assert (done["status"], done["progress"], done["created_sessions"]) == ("finished", 100, 260)
    assert session_count(app) == 260


def test_a_large_file_with_one_bad_row_fails_whole(app, client, world):
    job = upload(client, world, big_file(bad_row_index=250), dry_run=False).get_json()
    with app.app_context():
        run_import(job["id"])
    done = client.get(job["status_url"], headers=world.admin).get_json()
    assert done["status"] == "failed" and done["ok"] is False
    assert [(e["row"], e["field"], e["code"]) for e in done["errors"]] == [(252, "kind", "invalid_choice")]
    assert session_count(app) == 0


def test_a_large_dry_run_job_stores_no_session(app, client, world):
    job = upload(client, world, big_file(), dry_run=True).get_json()
    assert job["dry_run"] is True
    with app.app_context():
        run_import(job["id"])
        stored = db.session.get(ProgrammeImport, job["id"])
        assert import_status(stored)["status"] == "finished" and stored.errors == []
    assert session_count(app) == 0


def test_the_templates_download_and_read_back_as_an_empty_programme(client, world):
    xlsx = client.get("/api/v1/import-template.xlsx")
    assert xlsx.status_code == 200 and xlsx.mimetype.endswith("spreadsheetml.sheet")
    workbook = load_workbook(io.BytesIO(xlsx.data))
    assert [c.value for c in workbook.worksheets[0][1]] == list(COLUMN_NAMES)
    assert "ชื่อกิจกรรม" in workbook.worksheets[0]["A1"].comment.text
    assert read_table("t.xlsx", xlsx.data) == ([], [])

    csv_file = client.get("/api/v1/import-template.csv")
    assert csv_file.status_code == 200 and csv_file.mimetype == "text/csv"
    text = csv_file.data.decode("utf-8-sig")
    assert text.splitlines()[0].split(",") == list(COLUMN_NAMES)
    assert "วันที่" in text and "Buddhist Era" in text
    assert read_table("t.csv", csv_file.data) == ([], [])
    # The template's own notes pass a dry run: nothing to import, nothing wrong.
    answer = upload(client, world, csv_file.data, dry_run=True)
    assert answer.get_json()["ok"] is True and answer.get_json()["total_rows"] == 0


def test_an_import_says_whether_the_adult_takes_a_seat_in_a_childrens_workshop(app, client, world):
    header = [*HEADER, "ผู้ใหญ่นับที่นั่ง"]
    rows = [
        ["ระบายสีร่ม", "Umbrella painting", "workshop", "2027-08-22", "10:00", "11:00", "", "", "20",
         "lifelong-culture", "เด็ก", "", "th", "ใช่"],
        ["นิทานก่อนนอน", "Bedtime stories", "activity", "2027-08-22", "13:00", "14:00", "", "", "20",
         "family-community", "child", "", "th", ""],
    ]
    answer = upload(client, world, spreadsheets.csv_bytes(rows, header=header), dry_run=False)
    assert answer.status_code == 201, answer.get_json()
    listed = {s["title_en"]: s for s in client.get(f"/api/v1/festivals/{world.slug}/sessions",
                                                   headers=world.admin).get_json()}
    assert listed["Umbrella painting"]["adult_takes_seat"] is True
    assert listed["Bedtime stories"]["adult_takes_seat"] is False

    rows[0][-1] = "บางที"
    refused = upload(client, world, spreadsheets.csv_bytes(rows, header=header), dry_run=True).get_json()
    assert [(e["row"], e["field"], e["code"]) for e in refused["errors"]] == [(2, "adult_takes_seat", "invalid_choice")]
