"""Attendance at the gates: unique visitors, no-shows, arrivals by hour, and the peak number inside."""
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from checkin.models import GATE, IN, Checkpoint, Scan
from registrations.models import PASS_CANCELLED, PartyMember, Pass
from reports.dialect import local_day, local_hour
from reports.queries.entries import admitted_scans
from reports.tables import DATE, HOUR, TIME, Column, Table, rate


def gate_entries(scope):
    """Admitted entries at the gates: one row per accepted 'in' scan (re-entries included)."""
    return admitted_scans(
        Scan.id, Scan.pass_id, Scan.scanned_at, Scan.party_size, kind=GATE, festival_id=scope.festival_id
    )


def visitors(scope, signed_up):
    """Unique visitors (passes), the people they brought, and the no-shows among the sign-ups."""
    entries = gate_entries(scope).subquery()
    per_pass = (
        sa.select(entries.c.pass_id, sa.func.max(entries.c.party_size).label("people"))
        .group_by(entries.c.pass_id)
        .subquery()
    )
    passes, people = scope.rows(sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(per_pass.c.people), 0)))[0]
    came = admitted_scans(Scan.id, kind=GATE, with_pass=False).where(Scan.pass_id == Pass.id).exists()
    members = (
        sa.select(sa.func.count(PartyMember.id)).where(PartyMember.pass_id == Pass.id).scalar_subquery()
    )
    no_show_passes, no_show_people = scope.rows(
        sa.select(sa.func.count(Pass.id), sa.func.coalesce(sa.func.sum(1 + members), 0)).where(
            Pass.festival_id == scope.festival_id, Pass.status != PASS_CANCELLED, ~came
        )
    )[0]
    return {
        "visitors": passes,
        "visitor_people": int(people),
        "no_show_passes": no_show_passes,
        "no_show_people": int(no_show_people),
        "no_show_rate": rate(no_show_passes, signed_up),
    }


def _first_entries_by_day(scope):
    """Each pass's first admitted entry of each local day, with the largest party it came with."""
    entries = gate_entries(scope).subquery()
    dated = sa.select(
        entries.c.pass_id,
        entries.c.scanned_at,
        entries.c.party_size,
        local_day(entries.c.scanned_at, scope.zone_param()).label("day"),
    ).subquery()
    return (
        sa.select(
            dated.c.day,
            dated.c.pass_id,
            sa.func.min(dated.c.scanned_at).label("first_at"),
            sa.func.max(dated.c.party_size).label("people"),
            sa.func.count().label("entries"),
        )
        .group_by(dated.c.day, dated.c.pass_id)
        .subquery()
    )


def first_arrivals(scope):
    """{(day, hour): (passes, people, entries)}: each pass counted once a day, at the hour it first came in.

    One grouped query; the visitors of each day are the sum over its hours.
    """
    first = _first_entries_by_day(scope)
    hours = sa.select(
        first.c.day, local_hour(first.c.first_at, scope.zone_param()).label("hour"), first.c.people, first.c.entries
    ).subquery()
    return {
        (day.isoformat(), hour): (count, int(people), int(entries))
        for day, hour, count, people, entries in scope.rows(
            sa.select(hours.c.day, hours.c.hour, sa.func.count(), sa.func.sum(hours.c.people),
                      sa.func.sum(hours.c.entries))
            .group_by(hours.c.day, hours.c.hour)
            .order_by(hours.c.day, hours.c.hour)
        )
    }


def by_day(arrivals, peaks, festival_days):
    """Visitors on each of the festival's days (from first_arrivals()), 0 where nobody came, with the
    peak inside from peak_inside(). Other days are not listed: nothing counted happens on them."""
    days = {}
    for (day, _hour), (passes, people, entries) in arrivals.items():
        total = days.setdefault(day, [0, 0, 0])
        total[0] += passes
        total[1] += people
        total[2] += entries
    rows = []
    for day in festival_days:
        passes, people, entries = days.get(day, (0, 0, 0))
        peak = peaks.get(day, {})
        rows.append((day, passes, people, entries, peak.get("peak"), peak.get("at")))
    return Table(
        "attendance_by_day",
        _l("Visitors by day"),
        (
            Column("day", _l("Day"), DATE),
            Column("visitors", _l("Visitors (passes)")),
            Column("people", _l("People")),
            Column("entries", _l("Entries, re-entries included")),
            Column("peak_inside", _l("Peak inside (people)")),
            Column("peak_at", _l("Peak at"), TIME),
        ),
        rows,
    )


def arrivals_by_hour(arrivals, festival_days):
    """First arrivals by local hour (from first_arrivals()).

    Every day lists the same hours, from the festival's earliest arrival hour to its
    latest, 0 where nobody came: a rectangle that charts and spreadsheets read as is.
    """
    found = {
        key: (passes, people) for key, (passes, people, _entries) in arrivals.items() if key[0] in festival_days
    }
    rows = []
    if found:
        days = sorted({day for day, _ in found})
        first_hour = min(hour for _, hour in found)
        last_hour = max(hour for _, hour in found)
        for day in days:
            for hour in range(first_hour, last_hour + 1):
                passes, people = found.get((day, hour), (0, 0))
                rows.append((day, hour, passes, people))
    return Table(
        "arrivals_by_hour",
        _l("Arrivals by hour"),
        (
            Column("day", _l("Day"), DATE),
            Column("hour", _l("Hour"), HOUR),
            Column("arrivals", _l("Arrivals (passes)")),
            Column("people", _l("People")),
        ),
        rows,
    )


def exit_gates(scope):
    return scope.scalar(
        sa.select(sa.func.count(Checkpoint.id)).where(
            Checkpoint.festival_id == scope.festival_id, Checkpoint.kind == GATE, Checkpoint.counts_exits.is_(True)
        )
    )


def peak_inside(scope):
    """{day: {peak, at, entries, exits}} over the gates that count exits (see docs/reports.md).

    Every accepted entry adds its party, every accepted exit takes it away, in
    scan-time order (exits first at the same instant, then by scan id); the count
    starts at zero at local midnight. The peak is the highest count of the day and
    `at` the first moment it was reached.
    """
    moves = (
        admitted_scans(
            local_day(Scan.scanned_at, scope.zone_param()).label("day"),
            Scan.id,
            Scan.scanned_at,
            sa.case((Scan.direction == IN, Scan.party_size), else_=-Scan.party_size).label("delta"),
            kind=GATE,
            festival_id=scope.festival_id,
            entries_only=False,  # exits take their party away
            with_pass=False,
        )
        .where(Checkpoint.counts_exits.is_(True))
        .subquery()
    )
    # A CTE: PostgreSQL computes the running count once for both uses below.
    running = sa.select(
        moves.c.day,
        moves.c.scanned_at,
        moves.c.delta,
        sa.func.sum(moves.c.delta)
        .over(partition_by=moves.c.day, order_by=(moves.c.scanned_at, moves.c.delta, moves.c.id), rows=(None, 0))
        .label("inside"),
    ).cte("running")
    daily = (
        sa.select(
            running.c.day,
            sa.func.max(running.c.inside).label("peak"),
            sa.func.coalesce(sa.func.sum(running.c.delta).filter(running.c.delta > 0), 0).label("entries"),
            sa.func.coalesce(-sa.func.sum(running.c.delta).filter(running.c.delta < 0), 0).label("exits"),
        )
        .group_by(running.c.day)
        .subquery()
    )
    peaks = {}
    for day, peak, entries, exits, at in scope.rows(
        sa.select(daily.c.day, daily.c.peak, daily.c.entries, daily.c.exits, sa.func.min(running.c.scanned_at))
        .join(running, sa.and_(running.c.day == daily.c.day, running.c.inside == daily.c.peak))
        .group_by(daily.c.day, daily.c.peak, daily.c.entries, daily.c.exits)
        .order_by(daily.c.day)
    ):
        at = at.astimezone(ZoneInfo(scope.zone)).strftime("%H:%M")
        peaks[day.isoformat()] = {"peak": int(peak), "at": at, "entries": int(entries), "exits": int(exits)}
    return peaks
