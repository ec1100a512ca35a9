"""Sessions: capacity, seats booked and waitlisted, who came through the door, walk-ins, fill and no-shows."""
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from checkin.models import SESSION, Checkpoint, Scan
from events.models import ProgrammeSession
from events.vocabulary import SESSION_KINDS, THEMES
from registrations.models import CONFIRMED, WAITLISTED, Booking
from reports.dialect import json_elements
from reports.queries.entries import admitted_scans
from reports.tables import INT, PCT, STAMP, TEXT, WORD, Column, Table, in_order, rate

CANCELLED = "cancelled"


def _door_admissions(scope):
    """One row per session and pass admitted at one of its doors: the largest party, and whether as a walk-in."""
    return (
        admitted_scans(
            Checkpoint.session_id.label("session_id"),
            Scan.pass_id.label("pass_id"),
            sa.func.max(Scan.party_size).label("people"),
            sa.func.max(sa.case((Scan.walk_in.is_(True), 1), else_=0)).label("walk_in"),
            kind=SESSION,
            festival_id=scope.festival_id,
        )
        .group_by(Checkpoint.session_id, Scan.pass_id)
        .cte("door")
    )


def session_stats(scope):
    """A CTE with one row per session of the festival and its figures (all integers, no rates)."""
    door = _door_admissions(scope)
    attended = (
        sa.select(
            door.c.session_id,
            sa.func.count().label("attended_passes"),
            sa.func.sum(door.c.people).label("attended_people"),
            sa.func.sum(door.c.walk_in).label("walk_in_passes"),
            sa.func.sum(sa.case((door.c.walk_in == 1, door.c.people), else_=0)).label("walk_in_people"),
        )
        .group_by(door.c.session_id)
        .subquery()
    )
    confirmed = Booking.status == CONFIRMED
    booked = (
        sa.select(
            Booking.session_id,
            sa.func.sum(Booking.seats).filter(confirmed).label("booked"),
            sa.func.count(Booking.id).filter(confirmed).label("bookings"),
            sa.func.sum(Booking.seats).filter(Booking.status == WAITLISTED).label("waitlisted"),
            sa.func.sum(Booking.seats).filter(confirmed, door.c.pass_id.is_(None)).label("no_show_seats"),
        )
        .join(ProgrammeSession, ProgrammeSession.id == Booking.session_id)
        .outerjoin(door, sa.and_(door.c.session_id == Booking.session_id, door.c.pass_id == Booking.pass_id))
        .where(ProgrammeSession.festival_id == scope.festival_id)
        .group_by(Booking.session_id)
        .subquery()
    )
    zero = sa.literal(0)
    return (
        sa.select(
            ProgrammeSession.id,
            ProgrammeSession.starts_at,
            ProgrammeSession.title_th,
            ProgrammeSession.title_en,
            ProgrammeSession.kind,
            ProgrammeSession.themes,
            ProgrammeSession.status,
            ProgrammeSession.capacity,
            sa.func.coalesce(booked.c.booked, zero).label("booked"),
            sa.func.coalesce(booked.c.waitlisted, zero).label("waitlisted"),
            sa.func.coalesce(booked.c.no_show_seats, zero).label("no_show_seats"),
            sa.func.coalesce(attended.c.attended_passes, zero).label("attended_passes"),
            sa.func.coalesce(attended.c.attended_people, zero).label("attended_people"),
            sa.func.coalesce(attended.c.walk_in_people, zero).label("walk_in_people"),
        )
        .outerjoin(booked, booked.c.session_id == ProgrammeSession.id)
        .outerjoin(attended, attended.c.session_id == ProgrammeSession.id)
        .where(ProgrammeSession.festival_id == scope.festival_id)
        .cte("session_stats")
    )


# Seats and people, in the same words in the list of sessions and in its totals.
SEAT_COLUMNS = (
    Column("booked", _l("Seats booked")),
    Column("waitlisted", _l("Waitlisted at start")),
    Column("attended", _l("Attended (people)")),
    Column("walk_ins", _l("Walk-ins (people)")),
    Column("fill_rate", _l("Fill rate"), PCT),
    Column("no_show_rate", _l("No-show rate"), PCT),
)
SESSION_COLUMNS = (
    Column("session_id", _l("No."), INT, 6),
    Column("starts_at", _l("Starts"), STAMP, 17),
    Column("title_th", _l("Title (Thai)"), TEXT, 40),
    Column("title_en", _l("Title (English)"), TEXT, 36),
    Column("kind", _l("Kind"), WORD, 14),
    Column("themes", _l("Themes"), TEXT, 30),
    Column("status", _l("Status"), TEXT, 11),
    Column("capacity", _l("Capacity")),
    *SEAT_COLUMNS,
)


def sessions(scope, stats):
    zone = ZoneInfo(scope.zone)
    rows = []
    for row in scope.rows(sa.select(stats).order_by(stats.c.starts_at, stats.c.id)):
        rows.append(
            (
                row.id,
                row.starts_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                row.title_th,
                row.title_en,
                row.kind,
                ";".join(row.themes or []),
                row.status,
                row.capacity,
                int(row.booked),
                int(row.waitlisted),
                int(row.attended_people),
                int(row.walk_in_people),
                None if row.status == CANCELLED else rate(int(row.attended_people), row.capacity),
                None if row.status == CANCELLED else rate(int(row.no_show_seats), int(row.booked)),
            )
        )
    return Table("sessions", _l("Sessions"), SESSION_COLUMNS, rows)


def _totals(found, vocabulary):
    rows = []
    for word in in_order(found, vocabulary):
        n, capacity, attended_capped, booked, waitlisted, attended, walk_ins, no_show = found.get(word, (0,) * 8)
        rows.append(
            (word, n, capacity, booked, waitlisted, attended, walk_ins, rate(attended_capped, capacity), rate(no_show, booked))
        )
    return rows


def _aggregates(stats):
    return (
        sa.func.count(),
        sa.func.coalesce(sa.func.sum(stats.c.capacity), 0),
        sa.func.coalesce(sa.func.sum(stats.c.attended_people).filter(stats.c.capacity.is_not(None)), 0),
        sa.func.coalesce(sa.func.sum(stats.c.booked), 0),
        sa.func.coalesce(sa.func.sum(stats.c.waitlisted), 0),
        sa.func.coalesce(sa.func.sum(stats.c.attended_people), 0),
        sa.func.coalesce(sa.func.sum(stats.c.walk_in_people), 0),
        sa.func.coalesce(sa.func.sum(stats.c.no_show_seats), 0),
    )


def _total_columns(first):
    return (
        first,
        Column("sessions", _l("Sessions held")),
        Column("capacity", _l("Capacity (booked sessions)")),
        *SEAT_COLUMNS,
    )


def totals(scope, stats):
    """Totals by kind, by theme (a session with two themes counts under both) and for all sessions held.

    One statement: the three groupings are a UNION ALL over the same session_stats
    CTE, which the database computes once.
    """
    held = stats.c.status != CANCELLED
    theme = json_elements(scope.conn, stats.c.themes)
    statement = sa.union_all(
        sa.select(sa.literal("kind").label("grouping"), stats.c.kind.label("word"), *_aggregates(stats))
        .where(held)
        .group_by(stats.c.kind),
        sa.select(sa.literal("theme"), theme.c.value, *_aggregates(stats))
        .select_from(stats)
        .join(theme, sa.true())
        .where(held)
        .group_by(theme.c.value),
        sa.select(sa.literal("all"), sa.literal(None, sa.String()), *_aggregates(stats)).where(held),
    )
    found = {"kind": {}, "theme": {}, "all": {}}
    for grouping, word, *values in scope.rows(statement):
        found[grouping][word] = tuple(int(v) for v in values)
    by_kind = Table(
        "sessions_by_kind",
        _l("Sessions by kind"),
        _total_columns(Column("kind", _l("Kind"), WORD, 16)),
        _totals(found["kind"], SESSION_KINDS),
    )
    by_theme = Table(
        "sessions_by_theme",
        _l("Sessions by theme (UNESCO's features of a learning city)"),
        _total_columns(Column("theme", _l("Theme"), WORD, 34)),
        _totals(found["theme"], THEMES),
    )
    n, capacity, attended_capped, booked, _waitlisted, attended, walk_ins, no_show = found["all"].get(None, (0,) * 8)
    summary = {
        "sessions_held": n,
        "session_seats_booked": booked,
        "session_attended_people": attended,
        "session_walk_in_people": walk_ins,
        "session_fill_rate": rate(attended_capped, capacity),
        "session_no_show_rate": rate(no_show, booked),
    }
    return by_kind, by_theme, summary
