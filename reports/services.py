"""Asking for reports, finding them, who may see them, and the daily schedule. Services flush, never commit."""
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.auth import ensure_city
from app.database import db, now_utc
from app.errors import Invalid, NotFound
from app.outbox import emit
from app.users import ADMIN
from events.models import City, Festival
from events.services import find_festival
from reports.models import DAILY, FORMATS, LOCALES, QUEUED, REQUESTED, Report
from reports.storage import stored_path

MAX_ID = 2**31 - 1
# Who may ask for and download a festival's reports (admins always may).
REPORT_ROLES = ("organiser", "city-team")
# Daily reports are made for festival days that ended within this many days: a
# new installation does not compile reports for every festival of years past.
DAILY_LOOKBACK = timedelta(days=3)


def festival_for_reports(slug, user):
    festival = find_festival(slug)
    ensure_city(festival.city_id, user)
    return festival


def _clean_formats(formats):
    if formats is None:
        return list(FORMATS)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise Invalid("formats", f"Formats are {', '.join(FORMATS)}; not {', '.join(map(str, unknown))}.",
                      code="invalid_choice")
    if not formats:
        raise Invalid("formats", "Ask for at least one format, or send {} for all.", code="required")
    return [f for f in FORMATS if f in formats]


def request_report(festival, user=None, *, formats=None, locale=None, trigger=REQUESTED, scheduled_for=None):
    """A queued report for the worker; emits report.requested in the same transaction."""
    locale = locale or "th"
    if locale not in LOCALES:
        raise Invalid("locale", "The language is th or en.", code="invalid_choice")
    report = Report(
        festival_id=festival.id,
        requested_by_id=user.id if user is not None else None,
        trigger=trigger,
        scheduled_for=scheduled_for,
        formats=_clean_formats(formats),
        locale=locale,
        status=QUEUED,
        progress=0,
        files={},
        created_at=now_utc(),
    )
    db.session.add(report)
    db.session.flush()
    emit("report.requested", report_id=report.id)
    return report


def report_for(report_id, user):
    report = db.session.get(Report, report_id) if 0 < report_id <= MAX_ID else None
    if report is None:
        raise NotFound("report", f"No report {report_id}.")
    ensure_city(report.festival.city_id, user)
    return report


def reports_of(festival, limit=50):
    return list(
        db.session.scalars(
            sa.select(Report)
            .where(Report.festival_id == festival.id)
            .order_by(Report.created_at.desc(), Report.id.desc())
            .limit(limit)
        )
    )


def latest_finished(festival):
    return db.session.scalar(
        sa.select(Report)
        .where(Report.festival_id == festival.id, Report.status == "finished")
        .order_by(Report.finished_at.desc(), Report.id.desc())
        .limit(1)
    )


def downloadable(report, fmt):
    """The path of the file if this report has it ready, else 404."""
    path = stored_path(report, fmt) if report.status == "finished" else None
    if path is None:
        raise NotFound("file", f"Report {report.id} has no {fmt} file ready.")
    return path


def festivals_for(user):
    """The festivals a user's reports page lists: their city's, or every city's for an admin."""
    query = sa.select(Festival).join(City, City.id == Festival.city_id)
    if user.role != ADMIN:
        query = query.where(Festival.city_id == user.city_id)
    return list(db.session.scalars(query.order_by(City.slug, Festival.starts_on.desc(), Festival.slug)))


def ended_day(festival, now):
    """The latest festival day that has ended by `now` in the festival's zone, or None."""
    today = now.astimezone(ZoneInfo(festival.timezone)).date()
    day = min(festival.ends_on, today - timedelta(days=1))
    return day if day >= festival.starts_on else None


def schedule_daily_reports(now=None):
    """A report for each published festival whose day just ended (once per festival day).

    Called by a recurring job (workers/jobs/reports.py). The unique key on
    (festival, day) makes a second run, or a second worker, a no-op.
    """
    now = now or now_utc()
    horizon = (now - DAILY_LOOKBACK - timedelta(days=1)).date()
    created = []
    candidates = list(db.session.scalars(
        sa.select(Festival)
        .where(Festival.status == "published", Festival.ends_on >= horizon, Festival.starts_on <= now.date() + timedelta(days=1))
        .order_by(Festival.id)
    ))
    for festival in candidates:
        day = ended_day(festival, now)
        if day is None or now - _day_end(festival, day) > DAILY_LOOKBACK:
            continue
        exists = db.session.scalar(
            sa.select(Report.id).where(Report.festival_id == festival.id, Report.scheduled_for == day)
        )
        if exists:
            continue
        try:
            with db.session.begin_nested():
                created.append(request_report(festival, trigger=DAILY, scheduled_for=day))
        except IntegrityError:
            continue  # another worker scheduled it a moment ago
    return created


def _day_end(festival, day):
    return datetime.combine(day + timedelta(days=1), time(0), ZoneInfo(festival.timezone))
