"""Returning visitors: people of this festival who attended an earlier festival of the network.

A person is an email compared case-insensitively. Attended means the pass has at
least one admitted scan at any checkpoint of that festival. Earlier means a
festival (of any city) that started before this one. Anonymised passes have no
email left to compare, so they never match, on either side.
"""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from checkin.models import Scan
from events.models import City, Festival
from registrations.models import PASS_CANCELLED, Pass
from reports.queries.entries import admitted_scans
from reports.tables import DATE, INT, TEXT, Column, Table, rate


def _attended(pass_):
    """Any admitted scan of the pass, at any checkpoint, in or out."""
    return admitted_scans(Scan.id, entries_only=False, with_pass=False).where(Scan.pass_id == pass_.id).exists()


def _comparable(pass_):
    return sa.and_(pass_.anonymised_at.is_(None), pass_.email != "")


def _earlier(scope):
    before = aliased(Pass)
    return (
        sa.select(sa.func.lower(before.email).label("email"), before.festival_id)
        .join(Festival, Festival.id == before.festival_id)
        .where(
            Festival.starts_on < scope.starts_on,
            Festival.id != scope.festival_id,
            _comparable(before),
            _attended(before),
        )
        .distinct()
        .cte("earlier")
    )


def _current(scope, attended_only):
    now = aliased(Pass)
    conditions = [now.festival_id == scope.festival_id, _comparable(now)]
    conditions.append(_attended(now) if attended_only else now.status != PASS_CANCELLED)
    return sa.select(now.id.label("pass_id"), sa.func.lower(now.email).label("email")).where(*conditions).cte(
        "visitors" if attended_only else "signups"
    )


def attendees(scope):
    """Passes of this festival with an admitted scan anywhere (the base of the returning share)."""
    return scope.scalar(
        sa.select(sa.func.count(Pass.id)).where(Pass.festival_id == scope.festival_id, _attended(Pass))
    )


def returning(scope, attendee_count):
    earlier = _earlier(scope)
    visitors = _current(scope, attended_only=True)
    signups = _current(scope, attended_only=False)
    returning_signups = scope.scalar(
        sa.select(sa.func.count(sa.distinct(signups.c.pass_id))).join(earlier, earlier.c.email == signups.c.email)
    )
    per_visitor = (
        sa.select(visitors.c.pass_id, sa.func.count(sa.distinct(earlier.c.festival_id)).label("n"))
        .join(earlier, earlier.c.email == visitors.c.email)
        .group_by(visitors.c.pass_id)
        .subquery()
    )
    bucket = sa.case((per_visitor.c.n >= 3, 3), else_=per_visitor.c.n)
    buckets = dict(
        scope.rows(sa.select(bucket.label("bucket"), sa.func.count()).group_by(bucket).order_by(bucket))
    )
    returning_visitors = sum(buckets.values())  # every returning visitor is in one bucket
    by_festival = scope.rows(
        sa.select(
            Festival.slug,
            Festival.name_th,
            Festival.name_en,
            City.name_th.label("city_th"),
            City.name_en.label("city_en"),
            Festival.starts_on,
            sa.func.count(sa.distinct(visitors.c.pass_id)).label("visitors"),
        )
        .select_from(visitors)
        .join(earlier, earlier.c.email == visitors.c.email)
        .join(Festival, Festival.id == earlier.c.festival_id)
        .join(City, City.id == Festival.city_id)
        .group_by(Festival.id, Festival.slug, Festival.name_th, Festival.name_en, City.name_th, City.name_en, Festival.starts_on)
        .order_by(Festival.starts_on, Festival.slug)
    )
    summary = {
        "attendees": attendee_count,
        "returning_visitors": returning_visitors,
        "returning_share": rate(returning_visitors, attendee_count),
        "returning_signups": returning_signups,
        "returning_with_1": buckets.get(1, 0),
        "returning_with_2": buckets.get(2, 0),
        "returning_with_3_or_more": buckets.get(3, 0),
    }
    table = Table(
        "returning_visitors",
        _l("Returning visitors, by earlier festival attended"),
        (
            Column("festival", _l("Festival"), TEXT, 26),
            Column("name_th", _l("Name (Thai)"), TEXT, 36),
            Column("name_en", _l("Name (English)"), TEXT, 32),
            Column("city_th", _l("City (Thai)"), TEXT, 16),
            Column("city_en", _l("City (English)"), TEXT, 16),
            Column("starts_on", _l("Starts on"), DATE),
            Column("visitors", _l("Visitors of this festival who came"), INT, 14),
        ),
        [(*row[:5], row.starts_on.isoformat(), row.visitors) for row in by_festival],
    )
    return summary, table
