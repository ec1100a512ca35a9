"""Everything a Thai reader is shown, in Thai: every HTML page of the URL map, every mail, the report's PDF and
XLSX and the A4 poster, rendered for a seeded festival (a full session, a waitlisted booking, booths, scans).

A page fails on an English catalogue message left untranslated, on a raw code (a vocabulary word, a status, a
queue's name), on an English sentence and on a Gregorian date or year.
"""
import html.parser
import re
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.pofile import read_po
from flask_babel import force_locale
from openpyxl import load_workbook

from app.database import db
from checkin.models import Checkpoint
from checkin.posters import poster_code
from events import vocabulary
from events.models import Booth, City, Festival, ProgrammeImport, ProgrammeSession, Venue
from registrations.models import Booking, Pass
from reports.build import build_report
from reports.models import Report
from reports.services import request_report
from reports.storage import read as read_report_file
from tests.conftest import login
from mail.services import content
from mail.services.sending import write_message

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app", "events", "registrations", "checkin", "reports", "feeds", "mail", "workers")
# Words and codes a page must never show raw: the vocabulary, statuses, scan results, queue names.
CODES = (
    set(vocabulary.SESSION_KINDS) | set(vocabulary.AGE_GROUPS) | set(vocabulary.THEMES) | set(vocabulary.VENUE_KINDS)
    | {"scheduled", "cancelled", "confirmed", "waitlisted", "walk-in", "walk_in", "already_admitted", "not_booked",
       "wrong_festival", "not_open", "outbox", "feeds", "th-en"}
)
# Latin words a Thai page may show: names of formats and things that have no Thai name.
ALLOWED_LATIN = {"QR", "PDF", "CSV", "XLSX", "JSON", "ZIP", "zip", "English", "Thetsakan", "ไทย", "UNESCO", "PDPA",
                 "SHA", "ics", "agenda", "webcal", "https", "http", "iCal", "Google", "Apple", "Outlook", "Android",
                 "iPhone", "Excel", "LibreOffice", "Calendar", "Maildir", "SMTP_HOST", "flask", "wsgi", "worker",
                 "app", "scan", "ID", "URL", "Wi", "Fi"}
ISO_DATE = re.compile(r"\b(19|20)\d\d-\d\d-\d\d\b")
CE_YEAR = re.compile(r"(?<![\d.:/-])20[0-4]\d(?![\d:.-])")
ENGLISH_RUN = re.compile(r"\b[A-Za-z][a-z']+(?:[ ,]+[A-Za-z][a-z']+){3,}")


def english_fragments():
    """Literal pieces (three words or more) of every catalogue message whose Thai differs from its English."""
    pieces = set()
    for package in PACKAGES:
        with open(ROOT / package / "translations" / "th" / "LC_MESSAGES" / "messages.po", "rb") as po:
            for message in read_po(po):
                ids = message.id if isinstance(message.id, tuple) else (message.id,)
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                if not message.id or ids[0] in strings:
                    continue
                for msgid in ids:
                    for piece in re.split(r"%\(\w+\)[sd]|%[sd]|\{[^}]*\}", msgid):
                        piece = piece.strip(" .,:;–—()“”\"'")
                        if len(piece.split()) >= 3:
                            pieces.add(piece)
    return pieces


class VisibleText(html.parser.HTMLParser):
    """What a person reads or hears: text outside scripts and styles, and alt/title/aria-label/placeholder."""

    HIDDEN = {"script", "style", "template", "noscript"}
    SPOKEN = ("alt", "title", "aria-label", "placeholder")

    def __init__(self):
        super().__init__()
        self.parts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.skip += 1
        attrs = dict(attrs)
        self.parts.extend(attrs[name] for name in self.SPOKEN if attrs.get(name))
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def visible(page_html):
    parser = VisibleText()
    parser.feed(page_html)
    return "\n".join(part.strip() for part in parser.parts if part.strip())


def around(text, match):
    return text[max(0, match.start() - 30):match.end() + 30].replace("\n", " / ")


def problems(text, fragments, known_english=()):
    """Each way `text` fails a Thai reader, as short strings."""
    text = re.sub(r"https?://\S+|webcal://\S+|[\w.+-]+@[\w-]+(\.[\w-]+)+|/[\w./-]+", " ", text)
    for name in known_english:  # organisers' own English names, shown as given
        text = text.replace(name, " ")
    found = [f"untranslated: {piece!r}" for piece in fragments if piece in text]
    for word in sorted(CODES):
        found += [f"raw code {word!r} in {around(text, m)!r}"
                  for m in re.finditer(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text)]
    found += [f"ISO date in {around(text, m)!r}" for m in ISO_DATE.finditer(text)]
    found += [f"Gregorian year in {around(text, m)!r}" for m in CE_YEAR.finditer(text)]
    for run in ENGLISH_RUN.finditer(text):
        words = [w for w in re.findall(r"[A-Za-z']+", run.group(0)) if w not in ALLOWED_LATIN]
        if len(words) >= 4:
            found.append(f"English: {run.group(0)!r}")
    return sorted(set(found))


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
