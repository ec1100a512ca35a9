"""The report's figures, checked in its CSV, XLSX and PDF against figures computed independently from the seed."""
import csv
import io
import zipfile

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from app.database import db
from events.models import Festival
from reports.build import build_report
from reports.models import Report
from reports.services import request_report
import tempfile
from pathlib import Path

from reports.storage import read
from tests.reports.expected import AGE_GROUPS, KINDS, THEMES, Expected, csv_share


def _build(app, seed, locale="th", formats=None):
    with app.app_context():
        report = request_report(db.session.get(Festival, seed.festival_id), formats=formats, locale=locale)
        db.session.commit()
        steps = []
        build_report(report.id, progress=steps.append)
        report = db.session.get(Report, report.id)
        # Stored in the database (any node serves them): copied out for the readers that want paths.
        folder = Path(tempfile.mkdtemp(prefix="report-files-"))
        files = {}
        for fmt, name in report.files.items():
            files[fmt] = folder / name
            files[fmt].write_bytes(read(report, fmt))
        return report.id, report.status, report.scans, files, steps


@pytest.fixture
def built(app, seed):
    report_id, status, scans, files, steps = _build(app, seed, locale="th")
    assert status == "finished"
    return {"id": report_id, "scans": scans, "files": files, "steps": steps}


def _tables(zip_path):
    with zipfile.ZipFile(zip_path) as archive:
        raw = {name: archive.read(name) for name in archive.namelist()}
    tables = {}
    for name, data in raw.items():
        assert data.startswith("\ufeff".encode()), f"{name} has no BOM for Excel"
        tables[name] = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    return raw, tables


def _ints(row):
    return [int(v) if v.lstrip("-").isdigit() else v for v in row]


def test_csv_tables_hold_the_figures_computed_from_the_seed(built, seed):
    expect = Expected(seed)
    _raw, t = _tables(built["files"]["csv"])

    summary = dict(t["summary.csv"][1:])
    signups = expect.signups()
    visitors = expect.visitors()
    returning = expect.returning()
    assert int(summary["passes"]) == signups["passes"] == 11
    assert int(summary["people"]) == signups["people"]
    assert int(summary["cancelled_passes"]) == signups["cancelled"]
    assert int(summary["visitors"]) == visitors["visitors"]
    assert int(summary["visitor_people"]) == visitors["visitor_people"]
    assert int(summary["no_show_passes"]) == visitors["no_show_passes"]
    assert summary["no_show_rate"] == csv_share(visitors["no_show_rate"])
    assert int(summary["scans"]) == len(seed.scans) == built["scans"]
    assert int(summary["refused_scans"]) == sum(1 for s in seed.scans if s["result"] != "admitted")
    assert int(summary["booth_visits"]) == len(expect.booth_visits())
    assert int(summary["booth_visitors"]) == len({s["pass"] for s in expect.booth_visits()})
    assert int(summary["attendees"]) == returning["attendees"]
    assert int(summary["returning_visitors"]) == returning["returning_visitors"] == 2
    assert summary["returning_share"] == csv_share(returning["returning_share"])
    assert int(summary["returning_signups"]) == returning["returning_signups"]
    best_day = max(expect.peaks().items(), key=lambda item: item[1][0])
    assert (int(summary["peak_inside"]), summary["peak_day"], summary["peak_at"]) == (best_day[1][0], best_day[0], best_day[1][1])

    assert t["signups_by_age_group.csv"][0] == ["age_group", "holders", "party_members", "people"]
    assert [tuple(_ints(r)) for r in t["signups_by_age_group.csv"][1:]] == expect.by_age_group()
    assert [tuple(_ints(r)) for r in t["signups_by_day.csv"][1:]] == expect.by_signup_day()
    assert [tuple(_ints(r)) for r in t["arrivals_by_hour.csv"][1:]] == expect.arrivals_by_hour()
    assert [tuple(_ints(r)) for r in t["attendance_by_day.csv"][1:]] == [
        tuple("" if v is None else v for v in row) for row in expect.by_visit_day()
    ]


def test_csv_sessions_booths_scans_and_returning_visitors(built, seed):
    expect = Expected(seed)
    _raw, t = _tables(built["files"]["csv"])

    header, *rows = t["sessions.csv"]
    sessions = {s["id"]: s["key"] for s in seed.sessions}
    computed = expect.sessions()
    assert len(rows) == len(seed.sessions)
    for row in rows:
        got = dict(zip(header, row))
        want = computed[sessions[int(got["session_id"])]]
        assert got["capacity"] == ("" if want["capacity"] is None else str(want["capacity"]))
        for field in ("booked", "waitlisted", "attended", "walk_ins"):
            assert int(got[field]) == want[field], field
        assert got["fill_rate"] == csv_share(want["fill_rate"])
        assert got["no_show_rate"] == csv_share(want["no_show_rate"])
    # Session s1 by hand, as a reader of the seed would: 9 seats booked, 6 came (1 walk-in), 4 seats empty.
    s1 = dict(zip(header, rows[0]))
    assert (s1["title_en"], s1["booked"], s1["attended"], s1["walk_ins"], s1["fill_rate"], s1["no_show_rate"]) == (
        "Family weaving", "9", "6", "1", "0.6000", "0.4444")
    assert s1["starts_at"] == "2027-08-22 10:00"  # the festival's zone

    def totals(name):
        return [tuple(_ints(r[:7])) + (r[7], r[8]) for r in t[name][1:]]

    assert totals("sessions_by_kind.csv") == [
        tuple(r[:7]) + (csv_share(r[7]), csv_share(r[8])) for r in expect.session_totals("kind", KINDS)
    ]
    assert totals("sessions_by_theme.csv") == [
        tuple(r[:7]) + (csv_share(r[7]), csv_share(r[8])) for r in expect.session_totals("theme", THEMES)
    ]

    booths = [tuple(_ints([r[0], r[1], r[5], r[6], r[7]])) for r in t["booths.csv"][1:]]
    assert booths == expect.booths()
    ages_header, *age_rows = t["booth_visits_by_age_group.csv"]
    assert ages_header == ["code", "name_th", "name_en", *AGE_GROUPS, "people"]
    by_code = expect.booth_ages()
    for row in age_rows[:-1]:
        assert [int(v) for v in row[3:7]] == by_code[row[0]]
    assert row_total(age_rows[-1]) == sum(s["party_size"] for s in expect.booth_visits())

    assert [tuple(_ints(r)) for r in t["refused_scans.csv"][1:]] == expect.refused()

    returning = {r[0]: int(r[-1]) for r in t["returning_visitors.csv"][1:]}
    assert returning == expect.returning()["per_festival"] == {"learning-city-days-2023": 2, "chiang-mai-2026": 1}


def row_total(row):
    return int(row[-1])


def test_anonymised_passes_still_count_but_never_match(built, seed):
    _raw, t = _tables(built["files"]["csv"])
    anonymised = next(p for p in seed.passes if p["anonymised"])
    ages = {r[0]: int(r[3]) for r in t["signups_by_age_group.csv"][1:]}
    # p9 (adult with a child) is in the age groups and among the gate visitors...
    assert ages["adult"] == sum(1 for p in seed.passes if p["status"] == "active" and p["age_group"] == "adult") + 1
    summary = dict(t["summary.csv"][1:])
    gate_passes = {s["pass"] for s in Expected(seed).gate_entries()}
    assert anonymised["key"] in gate_passes and int(summary["visitors"]) == len(gate_passes)
    # ...but the anonymised pass of 2023 (also no email) is not taken for the same person.
    assert int(summary["returning_visitors"]) == 2


def test_the_xlsx_has_a_sheet_per_table_with_formats_frozen_headers_and_charts(built, seed):
    expect = Expected(seed)
    book = load_workbook(built["files"]["xlsx"])
    assert book.sheetnames[0] == "สรุป"  # Thai report: Thai sheet names and headers
    assert len(book.sheetnames) == 12
    sessions = book[book.sheetnames[5]]
    assert sessions.freeze_panes == "A2"
    headers = [c.value for c in sessions[1]]
    assert "อัตราการเข้าร่วมเทียบความจุ" in headers
    fill = headers.index("อัตราการเข้าร่วมเทียบความจุ") + 1
    assert sessions.cell(row=2, column=fill).value == pytest.approx(0.6)
    assert sessions.cell(row=2, column=fill).number_format == "0.0%"
    assert sessions.cell(row=2, column=9).number_format == "#,##0"
    assert sessions.column_dimensions["C"].width >= 30
    assert len(sessions._charts) == 1

    ages = book[book.sheetnames[1]]
    assert [[c.value for c in row] for row in ages.iter_rows(min_row=2, max_col=4)] == [
        ["เด็ก (ต่ำกว่า 13 ปี)", 0, 6, 6], ["วัยรุ่น (13–17 ปี)", 2, 1, 3], ["ผู้ใหญ่ (18–59 ปี)", 7, 1, 8],
        ["ผู้สูงวัย (60 ปีขึ้นไป)", 2, 1, 3]]
    assert [tuple(r[1:]) for r in expect.by_age_group()] == [
        tuple(c.value for c in row[1:4]) for row in ages.iter_rows(min_row=2, max_col=4)]
    arrivals = book[book.sheetnames[4]]
    assert len(arrivals._charts) == 1
    assert [c.value for c in arrivals[2]][1:4] == list(expect.arrivals_by_hour()[0][1:4])

    summary = book["สรุป"]
    assert "39" in summary["A3"].value  # "compiled ... from 39 scans" (rehearsals are not counted)
    assert summary.freeze_panes == "A6"


def test_the_pdf_is_thai_with_buddhist_era_dates_and_every_part(built, seed):
    slug = seed.slug
    reader = PdfReader(built["files"]["pdf"])
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert reader.pages[0].mediabox.width == pytest.approx(595.3, abs=1)  # A4
    assert "รายงานผลการเข้าร่วมงาน" in text
    assert "มหกรรมเมืองแห่งการเรียนรู้เชียงใหม่" in text
    assert "22–23 สิงหาคม 2570" in text  # the festival's dates in the Buddhist Era
    assert "2027" not in text.replace(slug, "")  # no Common Era year outside the festival's slug
    for heading in ("การลงทะเบียน", "การเข้างาน", "กิจกรรม", "บูธ", "การสแกน", "ผู้เข้าร่วมที่เคยมางานก่อน"):
        assert heading in text, heading
    assert "ทอผ้ากับครอบครัว" in "".join(text.split())  # a session title, in Thai (lines break between words)
    assert "39" in text and "ครั้ง" in text  # rehearsals are not counted


def test_an_english_pdf_and_xlsx_on_request(app, seed):
    _id, status, _scans, files, _steps = _build(app, seed, locale="en", formats=["pdf", "xlsx"])
    assert status == "finished" and set(files) == {"pdf", "xlsx"}
    text = "\n".join(page.extract_text() for page in PdfReader(files["pdf"]).pages)
    assert "Chiang Mai Learning City Festival" in text and "22–23 August 2027" in text
    assert "Returning visitors" in text and "Family weaving" in text
    book = load_workbook(files["xlsx"])
    assert book.sheetnames[0] == "Summary"
    assert [c.value for c in book["Sessions"][1]][:4] == ["No.", "Starts", "Title (Thai)", "Title (English)"]


def test_two_builds_give_the_same_csv_bytes_apart_from_about(app, seed, built):
    again = _build(app, seed, locale="en")  # another language changes nothing in the CSV
    first, _ = _tables(built["files"]["csv"])
    second, _ = _tables(again[3]["csv"])
    assert set(first) == set(second)
    for name in first:
        if name != "about.csv":
            assert first[name] == second[name], name
    about = dict(list(csv.reader(io.StringIO(first["about.csv"].decode("utf-8-sig"))))[1:])
    assert about["scans"] == "39" and about["festival"] == seed.slug
    assert about["compiled_at"].endswith("+07:00")


def test_progress_climbs_to_100_and_a_second_build_does_nothing(app, built):
    steps = built["steps"]
    assert steps == sorted(steps) and steps[-1] == 100 and len(steps) >= 8
    with app.app_context():
        before = {fmt: path.stat().st_mtime_ns for fmt, path in built["files"].items()}
        build_report(built["id"])
        assert {fmt: path.stat().st_mtime_ns for fmt, path in built["files"].items()} == before
        assert db.session.get(Report, built["id"]).progress == 100


def test_a_festival_with_nothing_yet_gives_an_empty_but_whole_report(app, make_city, make_festival):
    city = make_city("yala", "ยะลา", "Yala")
    festival_id = make_festival(city, slug="yala-2027")
    with app.app_context():
        report = request_report(db.session.get(Festival, festival_id))
        db.session.commit()
        build_report(report.id)
        report = db.session.get(Report, report.id)
        assert report.status == "finished" and report.scans == 0
        assert report.summary["visitors"] == 0 and report.summary["no_show_rate"] is None
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(read(report, "pdf"))).pages)
        assert "ยังไม่มีข้อมูล" in text
