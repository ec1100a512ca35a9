"""Booths: visits (admitted scans at a booth's checkpoints), unique visitors, and the people who came by age group."""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from checkin.models import BOOTH, Checkpoint, Scan
from events.models import Booth
from events.vocabulary import AGE_GROUPS
from registrations.models import PartyMember, Pass
from reports.queries.entries import admitted_scans
from reports.tables import INT, TEXT, Column, Table, WordTitle, in_order


def _visits(scope):
    return (
        admitted_scans(
            Checkpoint.booth_id.label("booth_id"), Scan.pass_id, Scan.party_size, kind=BOOTH,
            festival_id=scope.festival_id,
        )
        .where(Checkpoint.booth_id.is_not(None))
        .subquery()
    )


def booths(scope):
    """Every booth, busiest first: rank, visits, unique visitors, people."""
    visits = _visits(scope)
    statement = (
        sa.select(
            Booth.id,
            Booth.code,
            Booth.name_th,
            Booth.name_en,
            Booth.exhibitor,
            sa.func.count(visits.c.pass_id).label("visits"),
            sa.func.count(sa.distinct(visits.c.pass_id)).label("visitors"),
            sa.func.coalesce(sa.func.sum(visits.c.party_size), 0).label("people"),
        )
        .outerjoin(visits, visits.c.booth_id == Booth.id)
        .where(Booth.festival_id == scope.festival_id)
        .group_by(Booth.id, Booth.code, Booth.name_th, Booth.name_en, Booth.exhibitor)
        .order_by(sa.desc("visits"), sa.desc("visitors"), Booth.code, Booth.id)
    )
    rows = [
        (rank, row.code, row.name_th, row.name_en, row.exhibitor, row.visits, row.visitors, int(row.people))
        for rank, row in enumerate(scope.rows(statement), start=1)
    ]
    return Table(
        "booths",
        _l("Booths, busiest first"),
        (
            Column("rank", _l("Rank"), INT, 6),
            Column("code", _l("Booth"), TEXT, 8),
            Column("name_th", _l("Name (Thai)"), TEXT, 36),
            Column("name_en", _l("Name (English)"), TEXT, 32),
            Column("exhibitor", _l("Exhibitor"), TEXT, 24),
            Column("visits", _l("Visits")),
            Column("visitors", _l("Unique visitors")),
            Column("people", _l("People")),
        ),
        rows,
    )


def by_age_group(scope):
    """People at each booth by age group, in booth-number order, with a total row: every visit counts
    the holder and the party members who came with them (the first party_size - 1 of the party)."""
    visits = _visits(scope)
    holders = sa.select(visits.c.booth_id, Pass.age_group).join(Pass, Pass.id == visits.c.pass_id)
    members = sa.select(visits.c.booth_id, PartyMember.age_group).join(
        PartyMember,
        sa.and_(PartyMember.pass_id == visits.c.pass_id, PartyMember.position < visits.c.party_size - 1),
    )
    people = sa.union_all(holders, members).subquery()
    counts = {}
    groups = set()
    for booth_id, age_group, n in scope.rows(
        sa.select(people.c.booth_id, people.c.age_group, sa.func.count())
        .group_by(people.c.booth_id, people.c.age_group)
    ):
        counts[(booth_id, age_group)] = n
        groups.add(age_group)
    order = in_order(groups, AGE_GROUPS)
    booth_rows = scope.rows(
        sa.select(Booth.id, Booth.code, Booth.name_th, Booth.name_en)
        .where(Booth.festival_id == scope.festival_id)
        .order_by(Booth.code, Booth.id)
    )
    rows = []
    for booth in booth_rows:
        per_group = [counts.get((booth.id, group), 0) for group in order]
        rows.append((booth.code, booth.name_th, booth.name_en, *per_group, sum(per_group)))
    totals = [sum(row[3 + i] for row in rows) for i in range(len(order))]
    rows.append(("", "รวม", "Total", *totals, sum(totals)))
    return Table(
        "booth_visits_by_age_group",
        _l("People at booths by age group (holders and the party members who came)"),
        (
            Column("code", _l("Booth"), TEXT, 8),
            Column("name_th", _l("Name (Thai)"), TEXT, 36),
            Column("name_en", _l("Name (English)"), TEXT, 32),
            *(Column(group, WordTitle(group), INT, 14) for group in order),
            Column("people", _l("People")),
        ),
        rows,
    )


def unique_visitors(scope):
    visits = _visits(scope)
    visits_n, visitors = scope.rows(sa.select(sa.func.count(visits.c.pass_id), sa.func.count(sa.distinct(visits.c.pass_id))))[0]
    return {"booth_visits": visits_n, "booth_visitors": visitors}
