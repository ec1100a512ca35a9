"""Booking confirmed, promoted and changed: each mail carries the pass's QR code and the visitor's agenda as it
stands after the change; every agenda.ics (these and the sign-up's) ends each line with CRLF (RFC 5545)."""
import io
import re
from datetime import timedelta

import vobject
from PIL import Image
from pyzbar.pyzbar import decode

from app.database import db
from events import services as events
from events.models import ProgrammeSession
from registrations import services as registrations
from tests.workers.conftest import FUTURE
from tests.workers.test_confirmation import inline_image, pass_code


def by_name(smtp):
    return {(m["To"].addresses[0].display_name, str(m["Subject"])): m for m in smtp.messages}


def agenda(message):
    """The agenda.ics part's exact bytes and the summaries of its events."""
    [part] = [p for p in message.iter_attachments() if p.get_filename() == "agenda.ics"]
    assert part.get_content_type() == "text/calendar"
    data = part.get_payload(decode=True)
    return data, sorted(event.summary.value for event in vobject.readOne(data.decode()).vevent_list)


def assert_crlf(data):
    assert data.endswith(b"\r\n")
    assert re.search(rb"(?<!\r)\n", data) is None, "a line of the .ics ends with a bare LF"


def assert_pass_qr(app, message, pass_id):
    image = inline_image(message)
    decoded = decode(Image.open(io.BytesIO(image.get_payload(decode=True))))
    assert [symbol.data.decode() for symbol in decoded] == [pass_code(app, pass_id)]


def test_confirmed_promoted_and_changed_mails_carry_the_qr_and_the_updated_agenda(
    app, smtp, festival, workshop, sign_up, book, run_jobs
):
    session_id = workshop(capacity=1, title_en="Batik", title_th="บาติก")
    other_id = workshop(capacity=5, title_en="Drums", title_th="กลองสะบัดชัย", starts_at=FUTURE + timedelta(hours=3))
    ann = sign_up(locale="en", name="Ann")
    ben = sign_up(locale="en", name="Ben")
    chai = sign_up(locale="th", name="ชัย")  # Thai text: the part is base64, where line endings are kept as written
    book(chai, other_id)
    book(ann, other_id)
    first = book(ann, session_id)
    book(ben, session_id)  # waitlisted
    run_jobs()
    mails = by_name(smtp)
    booked = mails[("Ann", "Booked: Batik")]
    assert_pass_qr(app, booked, ann)
    data, summaries = agenda(booked)
    assert_crlf(data)
    assert summaries == ["Batik", "Drums", "Learning City Days"]  # every booking so far, and the festival
    waitlisted = mails[("Ben", "On the waitlist: Batik")]
    assert not list(waitlisted.iter_attachments())  # no seat yet: nothing to show at a door

    signed_up = mails[("Ann", "Your pass for Learning City Days")]
    assert_crlf(agenda(signed_up)[0])
    thai = [m for (name, _), m in mails.items() if name == "ชัย"]
    assert len(thai) == 2  # the pass and the booking
    for message in thai:
        assert_pass_qr(app, message, chai)
        data, summaries = agenda(message)
        assert_crlf(data)
        assert "กลองสะบัดชัย" in summaries

    smtp.clear()
    with app.app_context():
        registrations.cancel_booking(ann, first)
        db.session.commit()
        db.session.remove()
    run_jobs()
    promoted = by_name(smtp)[("Ben", "A seat is yours: Batik")]
    assert_pass_qr(app, promoted, ben)
    data, summaries = agenda(promoted)
    assert_crlf(data)
    assert summaries == ["Batik", "Learning City Days"]

    smtp.clear()
    with app.app_context():
        session = db.session.get(ProgrammeSession, session_id)
        events.update_session(session, starts_at=FUTURE + timedelta(hours=5), ends_at=FUTURE + timedelta(hours=6))
        db.session.commit()
        db.session.remove()
    run_jobs()
    changed = by_name(smtp)[("Ben", "Changed: Batik")]
    assert_pass_qr(app, changed, ben)
    data, _ = agenda(changed)
    assert_crlf(data)
    [event] = [e for e in vobject.readOne(data.decode()).vevent_list if e.summary.value == "Batik"]
    assert event.dtstart.value == FUTURE + timedelta(hours=5)  # the agenda after the change
