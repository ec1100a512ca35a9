"""The network at a glance: every city's festivals side by side (sign-ups, attendance, sessions, age mix).

One grouped query per figure over all festivals, read in one snapshot; the
per-city and network totals add up the festival rows.
"""
import sqlalchemy as sa

from app.database import db, now_utc
from checkin.models import GATE, Scan
from events.models import City, Festival, ProgrammeSession
from events.vocabulary import AGE_GROUPS
from registrations.models import PASS_CANCELLED, PartyMember, Pass
from reports import dialect
from reports.queries.entries import admitted_scans

FIGURES = ("passes", "people", "visitors", "visitor_people", "sessions_held")


def _per_festival(conn, statement):
    return {row[0]: row[1:] for row in conn.execute(statement)}


def _signups(conn):
    active = Pass.status != PASS_CANCELLED
    passes = _per_festival(conn, sa.select(Pass.festival_id, sa.func.count(Pass.id)).where(active).group_by(Pass.festival_id))
    holders = sa.select(Pass.festival_id, Pass.age_group).where(active)
    members = sa.select(Pass.festival_id, PartyMember.age_group).join(Pass, Pass.id == PartyMember.pass_id).where(active)
    people = sa.union_all(holders, members).subquery()
    ages = {}
    for festival_id, age_group, n in conn.execute(
        sa.select(people.c.festival_id, people.c.age_group, sa.func.count())
        .group_by(people.c.festival_id, people.c.age_group)
        .order_by(people.c.festival_id, people.c.age_group)
    ):
        ages.setdefault(festival_id, {})[age_group] = n
    return passes, ages


def _visitors(conn):
    per_pass = (
        admitted_scans(Scan.festival_id, Scan.pass_id, sa.func.max(Scan.party_size).label("people"), kind=GATE)
        .group_by(Scan.festival_id, Scan.pass_id)
        .subquery()
    )
    return _per_festival(
        conn,
        sa.select(per_pass.c.festival_id, sa.func.count(), sa.func.sum(per_pass.c.people)).group_by(per_pass.c.festival_id),
    )


def _sessions(conn):
    return _per_festival(
        conn,
        sa.select(ProgrammeSession.festival_id, sa.func.count(ProgrammeSession.id))
        .where(ProgrammeSession.status != "cancelled")
        .group_by(ProgrammeSession.festival_id),
    )


def _add(total, row):
    for key in FIGURES:
        total[key] += row[key]
    for group, n in row["age_groups"].items():
        total["age_groups"][group] = total["age_groups"].get(group, 0) + n


def _empty():
    return {**{key: 0 for key in FIGURES}, "festivals": 0, "age_groups": {group: 0 for group in AGE_GROUPS}}


def network_summary():
    with db.engine.connect() as conn:
        dialect.snapshot(conn)
        with conn.begin():
            dialect.prepare(conn)
            cities = conn.execute(sa.select(City.id, City.slug, City.name_th, City.name_en).order_by(City.slug)).all()
            festivals = conn.execute(
                sa.select(Festival.id, Festival.city_id, Festival.slug, Festival.name_th, Festival.name_en,
                          Festival.starts_on, Festival.ends_on, Festival.status)
                .order_by(Festival.starts_on, Festival.slug)
            ).all()
            passes, ages = _signups(conn)
            visitors = _visitors(conn)
            sessions = _sessions(conn)
    slugs = {city.id: city.slug for city in cities}
    rows = []
    for festival in festivals:
        age_groups = {group: ages.get(festival.id, {}).get(group, 0) for group in AGE_GROUPS}
        age_groups.update({g: n for g, n in ages.get(festival.id, {}).items() if g not in age_groups})
        visitor_row = visitors.get(festival.id, (0, 0))
        rows.append({
            "id": festival.id,
            "slug": festival.slug,
            "city": slugs[festival.city_id],
            "name_th": festival.name_th,
            "name_en": festival.name_en,
            "starts_on": festival.starts_on,
            "ends_on": festival.ends_on,
            "status": festival.status,
            "passes": passes.get(festival.id, (0,))[0],
            "people": sum(age_groups.values()),
            "visitors": visitor_row[0],
            "visitor_people": int(visitor_row[1] or 0),
            "sessions_held": sessions.get(festival.id, (0,))[0],
            "age_groups": age_groups,
        })
    city_rows, network = [], _empty()
    for city in cities:
        total = {"slug": city.slug, "name_th": city.name_th, "name_en": city.name_en, **_empty()}
        for row in rows:
            if row["city"] == city.slug:
                _add(total, row)
                total["festivals"] += 1
        _add(network, total)
        network["festivals"] += total["festivals"]
        city_rows.append(total)
    return {"generated_at": now_utc(), "festivals": rows, "cities": city_rows, "network": network}
