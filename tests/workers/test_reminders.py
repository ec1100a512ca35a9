"""Reminders: 18:00 in the festival's zone the day before, re-planned on a move, silent when cancelled."""
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from rq import Queue

from app.database import db
from app.queues import MAIL
from app.redis_conn import connection
from events import services as events
from events.models import ProgrammeSession
from registrations.models import Booking, Pass
from tests.workers.conftest import FUTURE
from workers.jobs import reminders

A_YEAR = 400 * 24 * 3600


def scheduled(app):
    """{job id: scheduled time} of the mail queue."""
    with app.app_context():
        registry = Queue(MAIL, connection=connection()).scheduled_job_registry
        return {job_id: registry.get_scheduled_time(job_id) for job_id in registry.get_job_ids()}


def reminder_jobs(app):
    return {job_id: at for job_id, at in scheduled(app).items() if job_id.startswith("reminder-")}


def test_a_confirmed_booking_is_reminded_at_six_the_evening_before_in_the_festival_zone(app, smtp, festival, workshop, sign_up, book, run_jobs):
    session_id = workshop(title_en="Batik")
    pass_id = sign_up(locale="en")
    booking_id = book(pass_id, session_id)
    run_jobs()
    # 10:00 on 22 August in Bangkok; the reminder: 18:00 on 21 August in Bangkok = 11:00 UTC.
    assert reminder_jobs(app) == {f"reminder-b{booking_id}-20270822T0300Z": datetime(2027, 8, 21, 11, 0, tzinfo=timezone.utc)}

    smtp.clear()
    run_jobs(fast_forward=A_YEAR)
    [reminder] = smtp.messages
    assert str(reminder["Subject"]) == "Tomorrow: Batik"
    with app.app_context():
        token = db.session.get(Pass, pass_id).manage_token
        db.session.remove()
    # A header longer than 78 characters is folded after its colon; the parser keeps that space.
    assert reminder["List-Unsubscribe"].strip() == f"<{app.config['PUBLIC_URL']}/passes/{token}>"
    run_jobs(fast_forward=A_YEAR)
    assert len(smtp.messages) == 1


def test_a_moved_session_gets_a_new_reminder_and_the_old_one_stands_down(app, smtp, festival, workshop, sign_up, book, run_jobs):
    session_id = workshop(title_en="Batik")
    booking_id = book(sign_up(locale="en"), session_id)
    run_jobs()
    with app.app_context():
        session = db.session.get(ProgrammeSession, session_id)
        events.update_session(session, starts_at=FUTURE + timedelta(days=1), ends_at=FUTURE + timedelta(days=1, hours=1))
        db.session.commit()
        db.session.remove()
    run_jobs()
    assert reminder_jobs(app) == {
        f"reminder-b{booking_id}-20270822T0300Z": datetime(2027, 8, 21, 11, 0, tzinfo=timezone.utc),
        f"reminder-b{booking_id}-20270823T0300Z": datetime(2027, 8, 22, 11, 0, tzinfo=timezone.utc),
    }
    smtp.clear()
    run_jobs(fast_forward=A_YEAR)
    assert [str(m["Subject"]) for m in smtp.messages] == ["Tomorrow: Batik"]
    assert "Monday 23 August 2027, 10:00–11:00" in smtp.messages[0].get_body(preferencelist=("plain",)).get_content()


def test_no_reminder_for_a_cancelled_session(app, smtp, festival, workshop, sign_up, book, run_jobs):
    session_id = workshop(title_en="Batik")
    book(sign_up(locale="en"), session_id)
    run_jobs()
    with app.app_context():
        events.cancel_session(db.session.get(ProgrammeSession, session_id))
        db.session.commit()
        db.session.remove()
    run_jobs()
    smtp.clear()
    run_jobs(fast_forward=A_YEAR)
    assert smtp.messages == []


def test_a_booking_made_after_the_reminder_hour_gets_none(app, festival, workshop, sign_up, book):
    session_id = workshop()
    booking_id = book(sign_up(), session_id)
    with app.app_context():
        booking = db.session.get(Booking, booking_id)
        booking.confirmed_at = datetime(2027, 8, 21, 12, 0, tzinfo=timezone.utc)  # 19:00 in Bangkok, the day before
        db.session.commit()
        assert reminders.plan(booking, now=datetime(2027, 8, 21, 12, 0, tzinfo=timezone.utc)) is None
        booking.confirmed_at = datetime(2027, 8, 21, 10, 0, tzinfo=timezone.utc)  # 17:00: in time
        assert reminders.plan(booking, now=datetime(2027, 8, 21, 10, 0, tzinfo=timezone.utc)) == datetime(
            2027, 8, 21, 18, 0, tzinfo=booking.session.festival.zone
        )
        db.session.remove()


def test_the_hourly_replan_restores_reminders_redis_lost(app, festival, workshop, sign_up, book, run_jobs):
    session_id = workshop()
    booking_id = book(sign_up(), session_id)
    run_jobs()
    with app.app_context():
        connection().flushdb()  # Redis restarted without its data
        # Two days before the session, the recurring job finds the booking again.
        db.session.execute(
            sa.update(ProgrammeSession)
            .where(ProgrammeSession.id == session_id)
            .values(starts_at=datetime.now(timezone.utc) + timedelta(hours=30), ends_at=datetime.now(timezone.utc) + timedelta(hours=31))
        )
        db.session.commit()
        assert reminders.replan_upcoming() == 1
        assert reminders.replan_upcoming() == 1  # planned again: the same job id, held once
        db.session.remove()
    assert len([j for j in reminder_jobs(app) if j.startswith(f"reminder-b{booking_id}-")]) == 1
