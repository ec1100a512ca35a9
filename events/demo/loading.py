"""Loading the demo network through the same services organisers use (so the demo obeys every rule).

Idempotent: cities and festivals are matched by slug and left alone when present;
users are made only when there are none at all.
"""
from datetime import datetime

import sqlalchemy as sa

from app.database import db
from app.users import User, create_user, issue_token
from events import services
from events.demo import network as demo_data
from events.models import City, Festival


def _wall_clock(festival, day, clock):
    hour, minute = (int(part) for part in clock.split(":"))
    local_day = festival.starts_on.toordinal() + day
    return datetime.fromordinal(local_day).replace(hour=hour, minute=minute, tzinfo=festival.zone)


def _load_festival(spec, city_ids):
    fields = dict(spec["festival"])
    festival = services.create_festival(city_ids[spec["city"]], **fields)
    venues = {}
    for order, (key, name_th, name_en, kind, capacity) in enumerate(spec["venues"]):
        venues[key] = services.create_venue(
            festival, name_th=name_th, name_en=name_en, kind=kind, capacity=capacity, sort_order=order
        )
    for (day, start, end), venue, kind, title_th, title_en, capacity, themes, ages, hosts, language in spec["sessions"]:
        services.create_session(
            festival,
            title_th=title_th,
            title_en=title_en,
            kind=kind,
            venue_id=venues[venue].id,
            starts_at=_wall_clock(festival, day, start),
            ends_at=_wall_clock(festival, day, end),
            capacity=capacity,
            themes=themes,
            age_groups=ages,
            hosts=hosts,
            language=language,
        )
    zone = next((v for v in venues.values() if v.kind == "zone"), None)
    for code, name_th, name_en, exhibitor, themes, ages in spec["booths"]:
        services.create_booth(
            festival,
            code=code,
            name_th=name_th,
            name_en=name_en,
            exhibitor=exhibitor,
            themes=themes,
            age_groups=ages,
            venue_id=zone.id if zone is not None else None,
        )
    # Published last, so that the programme is announced once, complete.
    services.update_festival(festival, status="published")
    return festival


def load_demo():
    """Load what is missing. Returns {"cities": [...], "festivals": [...], "users": [(email, role, password, token)]}."""
    made = {"cities": [], "festivals": [], "users": []}
    city_ids = {}
    for slug, name_th, name_en, province_th, province_en, member_since, unit in demo_data.CITIES:
        city = services.city_by_slug(slug)
        if city is None:
            city = services.create_city(
                slug=slug,
                name_th=name_th,
                name_en=name_en,
                province_th=province_th,
                province_en=province_en,
                member_since=member_since,
                unit=unit,
            )
            made["cities"].append(slug)
        city_ids[slug] = city.id
    for spec in demo_data.FESTIVALS:
        slug = spec["festival"]["slug"]
        if db.session.scalar(sa.select(Festival.id).where(Festival.slug == slug)) is None:
            _load_festival(spec, city_ids)
            made["festivals"].append(slug)
    if db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0:
        for email, role, city_slug, password in demo_data.DEMO_USERS:
            user = create_user(email, role, city_id=city_ids.get(city_slug), name=email.split("@")[0], password=password)
            made["users"].append((email, role, password, issue_token(user, label="demo")))
    return made


def network_exists():
    return db.session.scalar(sa.select(sa.func.count()).select_from(City)) > 0
