"""Everything a Thai reader is shown, in Thai: every HTML page of the URL map, every mail, the report's PDF and
XLSX and the A4 poster, rendered for a seeded festival (a full session, a waitlisted booking, booths, scans).

A page fails on an English catalogue message left untranslated, on a raw code (a vocabulary word, a status, a
queue's name), on an English sentence and on a Gregorian date or year.
"""
import subprocess

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.database import db
from checkin.models import Checkpoint
from checkin.posters import poster_code
from events.models import Booth, City, Festival, ProgrammeImport, ProgrammeSession, Venue
from registrations.models import Booking, Pass
from reports.build import build_report
from reports.models import Report
from reports.services import request_report
from reports.storage import read as read_report_file
from tests.conftest import login
from mail.services import content
from mail.services.sending import write_message

from tests.language import english_fragments, problems, visible


@pytest.fixture
def world(app, seed, people):
    """The ids the URL map's parameters need, with a venue, an import with errors and a Thai report built."""
    with app.app_context():
        festival_id = seed.festival_id
        venue = Venue(festival_id=festival_id, name_th="เวทีกลาง", name_en="", kind="stage", sort_order=1)
        db.session.add(venue)
        full = next(s for s in seed.sessions if s["key"] == "s1")
        session = db.session.get(ProgrammeSession, full["id"])
        session.age_groups, session.hosts = ["child", "adult"], ["ครูใหญ่"]
        # Its 9 confirmed seats fill it: the "full" state, with two passes waiting (the seed wrote bookings only).
        session.capacity, session.seats_confirmed, session.waitlist_length = 9, 9, 2
        holder = db.session.get(Pass, seed.ids["p2"])  # waitlisted in s1, confirmed in s2
        holder.locale = "th"
        booth_checkpoint = next(c for c in seed.checkpoints.values() if c["kind"] == "booth")
        checkpoint = db.session.get(Checkpoint, booth_checkpoint["id"])
        imported = ProgrammeImport(festival_id=festival_id, content=b"x", filename="p.csv", status="failed",
                                   errors=[{"row": 2, "field": "day", "code": "invalid", "message": "Cannot read “x” as day.",
                                            "message_id": "Cannot read “%(value)s” as %(column)s.",
                                            "params": {"value": "x", "column": {"th": "วันที่", "en": "day"}}}],
                                   message="1 row(s) have errors; nothing was imported.")
        db.session.add(imported)
        db.session.flush()
        admin_id = people.admin[0] if isinstance(people.admin, tuple) else people.admin
        report = request_report(seed_festival(festival_id), None, formats=["pdf", "xlsx"], locale="th")
        db.session.commit()
        report_id = report.id
        build_report(report_id)
        booking = db.session.scalar(sa.select(Booking).where(Booking.pass_id == holder.id, Booking.status == "waitlisted"))
        values = {
            "slug": seed.slug, "session_id": full["id"], "venue_id": venue.id,
            "booth_id": db.session.scalar(sa.select(Booth.id).where(Booth.festival_id == festival_id)),
            "checkpoint_id": checkpoint.id, "import_id": imported.id, "report_id": report_id, "booking_id": booking.id,
            "manage_token": holder.manage_token, "feed_token": holder.feed_token, "poster_code": poster_code(checkpoint),
            "fmt": "pdf", "city": "chiang-mai", "city_slug": "chiang-mai",
        }
        db.session.commit()
        db.session.remove()
    return values | {"admin_id": admin_id}


def seed_festival(festival_id):
    return db.session.get(Festival, festival_id)


def html_pages(app, values):
    """(url, endpoint) of every GET page whose parameters the seed can fill (API, static and feeds aside)."""
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(("/api/", "/static")) or rule.endpoint.endswith("static"):
            continue
        if any(argument not in values for argument in rule.arguments):
            continue
        with app.test_request_context():
            url = app.url_for(rule.endpoint, **{name: values[name] for name in rule.arguments})
        yield url, rule.endpoint


KNOWN_ENGLISH = ()


def test_every_page_reads_in_thai(app, client, world, people):
    fragments = english_fragments()
    login(client, "admin@example.org", "pw-admin-1")
    client.set_cookie("lang", "th")
    failures, seen = {}, 0
    for url, endpoint in html_pages(app, world):
        answer = client.get(url)
        if answer.status_code >= 300 or not answer.content_type.startswith("text/html"):
            continue
        seen += 1
        found = problems(visible(answer.get_data(as_text=True)), fragments, KNOWN_ENGLISH)
        if found:
            failures[f"{endpoint} {url}"] = found
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    found = problems(visible(missing.get_data(as_text=True)), fragments)
    if found:
        failures["404"] = found
    assert seen >= 25, f"only {seen} pages rendered: is the seed filling the URL map's parameters?"
    assert failures == {}, "\n".join(f"{where}: {found}" for where, found in failures.items())


def test_every_mail_reads_in_thai(app, world):
    fragments = english_fragments()
    with app.app_context():
        holder = db.session.scalar(sa.select(Pass).where(Pass.manage_token == world["manage_token"]))
        booking = db.session.get(Booking, world["booking_id"])
        confirmed = db.session.scalar(sa.select(Booking).where(Booking.pass_id == holder.id, Booking.status == "confirmed"))
        moved = {"starts_at": [confirmed.session.starts_at.isoformat(), None]}
        letters = {
            "confirmation": (holder, lambda locale: content.confirmation(holder, locale)),
            "manage_link": (holder, lambda locale: content.manage_link(holder, locale)),
            "pass_cancelled": (holder, lambda locale: content.pass_cancelled(holder, locale)),
            "booking_confirmed": (holder, lambda locale: content.booking_confirmed(confirmed, locale)),
            "booking_waitlisted": (holder, lambda locale: content.booking_waitlisted(booking, locale, 2)),
            "booking_promoted": (holder, lambda locale: content.booking_promoted(confirmed, locale)),
            "booking_cancelled": (holder, lambda locale: content.booking_cancelled(booking, locale)),
            "session_moved": (holder, lambda locale: content.session_moved(confirmed, locale, moved, None)),
            "session_cancelled": (holder, lambda locale: content.session_cancelled(confirmed, locale)),
            "reminder": (holder, lambda locale: content.reminder(confirmed, locale)),
        }
        failures = {}
        for name, (pass_, write) in letters.items():
            message = write_message(pass_, write, "<test@thetsakan.example>")
            text = message.get_body(preferencelist=("plain",)).get_content()
            page = visible(message.get_body(preferencelist=("html",)).get_content())
            found = problems(f"{message['Subject']}\n{text}\n{page}", fragments)
            if found:
                failures[name] = found
        db.session.remove()
    assert failures == {}, "\n".join(f"{where}: {found}" for where, found in failures.items())


def pdf_text(path):
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_the_report_pdf_xlsx_and_the_poster_read_in_thai(app, client, world, tmp_path):
    fragments = english_fragments()
    with app.app_context():
        report = db.session.get(Report, world["report_id"])
        # Report files live in the database (app/files.py): read them out as a download would.
        pdf, xlsx = tmp_path / "report.pdf", tmp_path / "report.xlsx"
        pdf.write_bytes(read_report_file(report, "pdf"))
        xlsx.write_bytes(read_report_file(report, "xlsx"))
        # The PDF names the festival in both languages and the XLSX has English-name columns: organisers' names.
        names = [name for model, column in ((Festival, Festival.name_en), (ProgrammeSession, ProgrammeSession.title_en),
                                            (Booth, Booth.name_en), (City, City.name_en))
                 for name in db.session.scalars(sa.select(column)) if name]
        db.session.remove()
    names.sort(key=len, reverse=True)
    failures = {}
    found = problems(pdf_text(pdf), fragments, names)
    if found:
        failures["report.pdf"] = found
    cells = []
    for sheet in load_workbook(xlsx, read_only=True).worksheets:
        cells.append(sheet.title)
        for row in sheet.iter_rows(values_only=True):
            cells.extend(str(value) for value in row if isinstance(value, str))
    found = problems("\n".join(cells), fragments, names)
    if found:
        failures["report.xlsx"] = found
    login(client, "admin@example.org", "pw-admin-1")
    poster = client.get(f"/organiser/checkpoints/{world['checkpoint_id']}/poster.pdf?lang=th")
    assert poster.status_code == 200
    (tmp_path / "poster.pdf").write_bytes(poster.data)
    # The poster is bilingual on purpose: its English lines are checked for raw codes and dates only.
    text = pdf_text(tmp_path / "poster.pdf")
    found = [p for p in problems(text, set()) if not p.startswith("English")]
    if found:
        failures["poster.pdf"] = found
    assert failures == {}, "\n".join(f"{where}: {found}" for where, found in failures.items())
