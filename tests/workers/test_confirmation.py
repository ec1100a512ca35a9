"""A sign-up produces one confirmation: in the visitor's language, with a QR that decodes to the pass code."""
import io
import re

import sqlalchemy as sa
import vobject
from PIL import Image
from pyzbar.pyzbar import decode

from app.database import db
from registrations import pass_codes
from registrations.models import Pass
from mail.models import SENT, SentMessage


def pass_code(app, pass_id):
    with app.app_context():
        code = pass_codes.issue(db.session.get(Pass, pass_id))
        db.session.remove()
        return code


def inline_image(message):
    html = message.get_body(preferencelist=("html",))
    cid = re.search(r'src="cid:([^"]+)"', html.get_content()).group(1)
    for part in message.walk():
        if part.get("Content-ID", "").strip("<>") == cid:
            return part
    raise AssertionError(f"no part with Content-ID {cid}")


def test_sign_up_sends_one_thai_confirmation_with_a_readable_qr_and_an_agenda(app, smtp, festival, workshop, sign_up, book, run_jobs):
    session_id = workshop(capacity=5, title_th="เวิร์กช็อปทอผ้า", title_en="Weaving workshop")
    pass_id = sign_up(name="สมศรี ใจดี", party=[{"name": "น้องฟ้า", "age_group": "child"}])
    book(pass_id, session_id)
    run_jobs()

    confirmations = [m for m in smtp.messages if "บัตรเข้างาน" in str(m["Subject"])]
    assert len(confirmations) == 1
    message = confirmations[0]
    assert str(message["Subject"]) == "บัตรเข้างาน วันเมืองแห่งการเรียนรู้ ของคุณ"
    assert message["From"] == "Thetsakan <no-reply@thetsakan.example>"
    assert message["Message-ID"].endswith("@thetsakan.example>")
    assert message["Date"] is not None and message["Auto-Submitted"] == "auto-generated"
    with app.app_context():
        visitor = db.session.get(Pass, pass_id)
        assert message["To"].addresses[0].addr_spec == visitor.email
        manage_url = f"{app.config['PUBLIC_URL']}/passes/{visitor.manage_token}"
        feed_url = f"{app.config['PUBLIC_URL']}/passes/{visitor.feed_token}/agenda.ics"
        db.session.remove()

    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    for body in (text, html):
        assert manage_url in body and feed_url in body
        assert "22 สิงหาคม 2570" in body  # Buddhist Era
        assert "น้องฟ้า" in body and "เวิร์กช็อปทอผ้า" in body and "10:00–11:00" in body

    image = inline_image(message)
    assert image.get_content_type() == "image/png"
    decoded = decode(Image.open(io.BytesIO(image.get_payload(decode=True))))
    assert [symbol.data.decode() for symbol in decoded] == [pass_code(app, pass_id)]

    attachments = {part.get_filename(): part for part in message.iter_attachments()}
    ics = attachments["agenda.ics"]
    assert ics.get_content_type() == "text/calendar"
    calendar = vobject.readOne(ics.get_content())
    summaries = sorted(event.summary.value for event in calendar.vevent_list)
    assert summaries == ["วันเมืองแห่งการเรียนรู้", "เวิร์กช็อปทอผ้า"]

    with app.app_context():
        rows = db.session.execute(sa.select(SentMessage.key, SentMessage.status)).all()
        assert (f"pass.created:{pass_id}", SENT) in rows
        db.session.remove()


def test_an_english_visitor_gets_english(app, smtp, festival, sign_up, run_jobs):
    sign_up(locale="en", name="Jane Doe")
    run_jobs()
    assert [str(m["Subject"]) for m in smtp.messages] == ["Your pass for Learning City Days"]
    text = smtp.messages[0].get_body(preferencelist=("plain",)).get_content()
    assert "22–23 August 2027" in text and "Hello Jane Doe," in text
