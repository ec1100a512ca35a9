"""Sign-ups: passes and the people on them (holders and party members), by age group and by day."""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from events.vocabulary import AGE_GROUPS
from registrations.models import PASS_CANCELLED, PartyMember, Pass
from reports.dialect import local_day
from reports.tables import DATE, WORD, Column, Table, in_order


def _active(scope):
    return sa.and_(Pass.festival_id == scope.festival_id, Pass.status != PASS_CANCELLED)


def totals(scope):
    passes, cancelled = scope.rows(
        sa.select(
            sa.func.count(Pass.id).filter(Pass.status != PASS_CANCELLED),
            sa.func.count(Pass.id).filter(Pass.status == PASS_CANCELLED),
        ).where(Pass.festival_id == scope.festival_id)
    )[0]
    members = scope.scalar(
        sa.select(sa.func.count(PartyMember.id)).join(Pass, Pass.id == PartyMember.pass_id).where(_active(scope))
    )
    return {"passes": passes, "people": passes + members, "party_members": members, "cancelled_passes": cancelled}


def by_age_group(scope):
    holders = sa.select(Pass.age_group.label("age_group"), sa.literal(1).label("holder"), sa.literal(0).label("member")).where(
        _active(scope)
    )
    members = (
        sa.select(PartyMember.age_group.label("age_group"), sa.literal(0).label("holder"), sa.literal(1).label("member"))
        .join(Pass, Pass.id == PartyMember.pass_id)
        .where(_active(scope))
    )
    people = sa.union_all(holders, members).subquery()
    found = {
        row.age_group: (int(row.holders), int(row.members))
        for row in scope.rows(
            sa.select(
                people.c.age_group,
                sa.func.sum(people.c.holder).label("holders"),
                sa.func.sum(people.c.member).label("members"),
            ).group_by(people.c.age_group)
        )
    }
    rows = []
    for group in in_order(found, AGE_GROUPS):
        holders_n, members_n = found.get(group, (0, 0))
        rows.append((group, holders_n, members_n, holders_n + members_n))
    return Table(
        "signups_by_age_group",
        _l("Sign-ups by age group"),
        (
            Column("age_group", _l("Age group"), WORD, 24),
            Column("holders", _l("Pass holders")),
            Column("party_members", _l("Party members")),
            Column("people", _l("People")),
        ),
        rows,
    )


def by_day(scope):
    per_pass = (
        sa.select(
            local_day(Pass.created_at, scope.zone_param()).label("day"),
            (1 + sa.func.count(PartyMember.id)).label("people"),
        )
        .outerjoin(PartyMember, PartyMember.pass_id == Pass.id)
        .where(_active(scope))
        .group_by(Pass.id, Pass.created_at)
        .subquery()
    )
    rows, passes_so_far, people_so_far = [], 0, 0
    for day, passes, people in scope.rows(
        sa.select(per_pass.c.day, sa.func.count(), sa.func.sum(per_pass.c.people))
        .group_by(per_pass.c.day)
        .order_by(per_pass.c.day)
    ):
        passes_so_far += passes
        people_so_far += int(people)
        rows.append((day.isoformat(), passes, int(people), passes_so_far, people_so_far))
    return Table(
        "signups_by_day",
        _l("Sign-ups by day"),
        (
            Column("day", _l("Day"), DATE),
            Column("passes", _l("Passes")),
            Column("people", _l("People")),
            Column("passes_to_date", _l("Passes to date")),
            Column("people_to_date", _l("People to date")),
        ),
        rows,
    )

