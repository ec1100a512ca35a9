"""Reports compiled after each festival day, once per day, by the recurring job."""
from datetime import datetime, timezone

from app.database import db
from app.outbox import messages
from reports.models import Report
from reports.services import schedule_daily_reports


def utc(day, hh, mm=0):
    return datetime(2027, 8, day, hh, mm, tzinfo=timezone.utc)


def _daily(app, now):
    with app.app_context():
        created = [(r.festival.slug, r.scheduled_for.isoformat()) for r in schedule_daily_reports(now)]
        db.session.commit()
        return created


def test_a_report_follows_each_festival_day_once(app, seed, make_festival):
    make_festival(seed.city_id, slug="draft-festival", status="draft")  # 22-23 August 2027 too, unpublished
    # 23:59 on the first day in Chiang Mai: the day has not ended.
    assert _daily(app, utc(22, 16, 59)) == []
    # 00:05 on the 23rd in Chiang Mai (17:05 UTC on the 22nd): the first day has ended.
    assert _daily(app, utc(22, 17, 5)) == [(seed.slug, "2027-08-22")]
    assert _daily(app, utc(22, 17, 20)) == []  # the next run, or another worker: nothing new
    assert _daily(app, utc(23, 17, 5)) == [(seed.slug, "2027-08-23")]
    assert _daily(app, utc(25, 3, 0)) == []  # the festival is over and both days are done
    with app.app_context():
        reports = db.session.query(Report).order_by(Report.id).all()
        assert [(r.trigger, r.formats, r.status) for r in reports] == [("daily", ["csv", "xlsx", "pdf"], "queued")] * 2
        assert [m.payload["report_id"] for m in messages("report.requested")] == [r.id for r in reports]


def test_old_festivals_are_not_compiled_when_the_schedule_first_runs(app, seed):
    assert _daily(app, datetime(2027, 12, 1, tzinfo=timezone.utc)) == []
