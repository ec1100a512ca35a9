"""Short notices: booking confirmed, waitlisted (with position), promoted, cancelled; sessions moved or cancelled."""
from datetime import timedelta

import sqlalchemy as sa

from app.database import db
from events import services as events
from events.models import ProgrammeSession
from registrations import services as registrations
from registrations.models import Booking
from tests.workers.conftest import FUTURE
from workers.jobs import mail as jobs


def subjects(smtp):
    return sorted(str(m["Subject"]) for m in smtp.messages)


def to(message):
    return message["To"].addresses[0].addr_spec


def text_of(message):
    return message.get_body(preferencelist=("plain",)).get_content()


def email_of(app, pass_id):
    with app.app_context():
        email = db.session.execute(sa.text("SELECT email FROM passes WHERE id = :id"), {"id": pass_id}).scalar()
        db.session.remove()
        return email


def test_confirmed_waitlisted_and_promoted_each_get_one_notice(app, smtp, festival, workshop, sign_up, book, run_jobs):
    session_id = workshop(capacity=1, title_en="Batik for beginners")
    first = sign_up(locale="en", name="Ann")
    second = sign_up(locale="en", name="Ben")
    third = sign_up(locale="en", name="Cat")
    booking = book(first, session_id)
    book(second, session_id)
    book(third, session_id)
    run_jobs()
    notices = [m for m in smtp.messages if "Your pass" not in str(m["Subject"])]
    assert sorted((str(m["To"].addresses[0].display_name), str(m["Subject"])) for m in notices) == [
        ("Ann", "Booked: Batik for beginners"),
        ("Ben", "On the waitlist: Batik for beginners"),
        ("Cat", "On the waitlist: Batik for beginners"),
    ]
    positions = {m["To"].addresses[0].display_name: text_of(m) for m in notices}
    assert "You are number 1 on the waitlist." in positions["Ben"]
    assert "You are number 2 on the waitlist." in positions["Cat"]

    smtp.clear()
    with app.app_context():
        registrations.cancel_booking(first, booking)
        db.session.commit()
        db.session.remove()
    run_jobs()
    assert sorted((m["To"].addresses[0].display_name, str(m["Subject"])) for m in smtp.messages) == [
        ("Ann", "Booking cancelled: Batik for beginners"),
        ("Ben", "A seat is yours: Batik for beginners"),
    ]
    assert "as you asked" in text_of(next(m for m in smtp.messages if "cancelled" in str(m["Subject"])))


def test_a_job_run_twice_sends_once(app, smtp, festival, workshop, sign_up, book, run_jobs):
    session_id = workshop()
    pass_id = sign_up(locale="en")
    booking_id = book(pass_id, session_id)
    run_jobs()
    assert len(smtp.messages) == 2
    with app.app_context():
        message_id = db.session.execute(sa.text("SELECT max(id) FROM outbox WHERE topic = 'booking.confirmed'")).scalar()
        assert jobs.send_booking_confirmed(booking_id, message_id) is False
        assert jobs.send_pass_confirmation(pass_id) is False
        db.session.remove()
    assert len(smtp.messages) == 2


def test_a_second_sign_up_mails_the_link_once_in_ten_minutes(app, smtp, festival, sign_up, run_jobs):
    sign_up(email="noi@example.org", locale="en")
    sign_up(email="noi@example.org", locale="en")
    run_jobs()
    sign_up(email="noi@example.org", locale="en")
    run_jobs()
    assert subjects(smtp) == ["Your pass for Learning City Days", "Your pass link for Learning City Days"]
    link = next(m for m in smtp.messages if "link" in str(m["Subject"]))
    with app.app_context():
        token = db.session.execute(sa.text("SELECT manage_token FROM passes")).scalar()
        db.session.remove()
    assert f"/passes/{token}" in text_of(link)


def test_a_moved_session_tells_every_live_booking(app, smtp, festival, workshop, sign_up, book, run_jobs):
    session_id = workshop(capacity=1, title_en="Batik", title_th="บาติก")
    thai = sign_up(locale="th", name="ก")
    english = sign_up(locale="en", name="B")
    cancelled = sign_up(locale="en", name="C")
    book(thai, session_id)
    book(english, session_id)  # waitlisted: told too
    with app.app_context():
        other = workshop(capacity=5, starts_at=FUTURE + timedelta(hours=3))
        gone = registrations.book(cancelled, other)
        db.session.commit()
        registrations.cancel_booking(cancelled, gone.id)
        db.session.commit()
        db.session.remove()
    run_jobs()
    smtp.clear()
    with app.app_context():
        session = db.session.get(ProgrammeSession, session_id)
        events.update_session(session, starts_at=FUTURE + timedelta(hours=2), ends_at=FUTURE + timedelta(hours=3), venue_id=festival.stage)
        db.session.commit()
        db.session.remove()
    run_jobs()
    assert sorted(to(m) for m in smtp.messages) == sorted([email_of(app, thai), email_of(app, english)])
    by_subject = {str(m["Subject"]): text_of(m) for m in smtp.messages}
    assert set(by_subject) == {"มีการเปลี่ยนแปลง: บาติก", "Changed: Batik"}
    english_text = by_subject["Changed: Batik"]
    assert "Before: Sunday 22 August 2027, 10:00–11:00, Weaving room" in english_text
    assert "Sunday 22 August 2027, 12:00–13:00" in english_text and "Main stage" in english_text
    assert "22 สิงหาคม 2570" in by_subject["มีการเปลี่ยนแปลง: บาติก"]


def test_a_cancelled_session_cancels_its_bookings_and_tells_each_holder_once(app, smtp, festival, workshop, sign_up, book, run_jobs):
    session_id = workshop(capacity=1, title_en="Batik")
    first = sign_up(locale="en")
    second = sign_up(locale="en")
    book(first, session_id)
    book(second, session_id)
    run_jobs()
    smtp.clear()
    with app.app_context():
        events.cancel_session(db.session.get(ProgrammeSession, session_id))
        db.session.commit()
        db.session.remove()
    run_jobs()
    assert subjects(smtp) == ["Cancelled: Batik", "Cancelled: Batik"]
    with app.app_context():
        statuses = db.session.execute(sa.select(Booking.status, Booking.cancelled_by).where(Booking.session_id == session_id)).all()
        assert statuses == [("cancelled", "session"), ("cancelled", "session")]
        db.session.remove()


def test_a_cancelled_pass_gets_one_notice_not_one_per_booking(app, smtp, festival, workshop, sign_up, book, run_jobs):
    pass_id = sign_up(locale="en")
    book(pass_id, workshop())
    book(pass_id, workshop(starts_at=FUTURE + timedelta(hours=4)))
    run_jobs()
    smtp.clear()
    with app.app_context():
        registrations.cancel_pass(pass_id)
        db.session.commit()
        db.session.remove()
    run_jobs()
    assert subjects(smtp) == ["Your pass is cancelled: Learning City Days"]
