"""Cities and festivals: create, change, publish, and who may see a draft."""
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app.database import db
from app.errors import DomainError, Forbidden, Invalid, NotFound
from app.outbox import emit
from events import validation as check
from events.models import DEFAULT_SIGNUPS_PER_HOUR, MAX_SIGNUPS_PER_HOUR, City, Festival, ProgrammeSession
from events.vocabulary import FESTIVAL_STATUSES

MAX_FESTIVAL_DAYS = 366

CITY_FIELDS = ("slug", "name_th", "name_en", "province_th", "province_en", "member_since", "unit")
FESTIVAL_FIELDS = (
    "slug",
    "name_th",
    "name_en",
    "description_th",
    "description_en",
    "starts_on",
    "ends_on",
    "timezone",
    "venue_th",
    "venue_en",
    "address",
    "status",
    "stamp_goal",
    "allow_walk_ins",
    "allow_self_checkin",
    "signups_per_hour",
)


def _unknown(fields, allowed):
    for name in fields:
        if name not in allowed:
            raise Invalid(name, "Unknown field.", code="unknown_field")


def _pair(fields, prefix, max_length, required):
    """A Thai/English pair: at least one of the two when required."""
    th = check.text(f"{prefix}_th", fields.get(f"{prefix}_th"), max_length)
    en = check.text(f"{prefix}_en", fields.get(f"{prefix}_en"), max_length)
    if required and not th and not en:
        raise Invalid(f"{prefix}_th", "Give the name in Thai, English or both.", code="required")
    return th, en


# --- cities -----------------------------------------------------------------


def create_city(**fields):
    _unknown(fields, CITY_FIELDS)
    slug = check.slug("slug", fields.get("slug"), 60)
    name_th, name_en = _pair(fields, "name", 200, required=True)
    city = City(
        slug=slug,
        name_th=name_th,
        name_en=name_en,
        province_th=check.text("province_th", fields.get("province_th"), 200),
        province_en=check.text("province_en", fields.get("province_en"), 200),
        member_since=check.integer("member_since", fields.get("member_since"), minimum=1990, maximum=2200),
        unit=check.text("unit", fields.get("unit"), 60),
    )
    if city_by_slug(slug) is not None:
        raise DomainError("duplicate", f"A city with the slug {slug!r} exists already.", field="slug", status=409)
    db.session.add(city)
    db.session.flush()
    return city


def list_cities():
    return list(db.session.scalars(sa.select(City).order_by(City.name_en, City.id)))


def city_by_slug(slug):
    if not check.is_slug(slug):
        return None
    return db.session.scalar(sa.select(City).where(City.slug == slug))


# --- festivals --------------------------------------------------------------


def _clean_festival(values):
    """Check every field of a festival as it will be after the change."""
    clean = {}
    clean["slug"] = check.slug("slug", values.get("slug"), 80)
    clean["name_th"], clean["name_en"] = _pair(values, "name", 300, required=True)
    for field in ("description_th", "description_en"):
        clean[field] = check.text(field, values.get(field), 20_000)
    for field in ("venue_th", "venue_en"):
        clean[field] = check.text(field, values.get(field), 300)
    clean["address"] = check.text("address", values.get("address"), 500)
    clean["starts_on"] = check.a_date("starts_on", values.get("starts_on"))
    clean["ends_on"] = check.a_date("ends_on", values.get("ends_on"))
    if clean["ends_on"] < clean["starts_on"]:
        raise Invalid("ends_on", "The festival cannot end before it starts.", code="ends_before_start")
    if (clean["ends_on"] - clean["starts_on"]).days >= MAX_FESTIVAL_DAYS:
        raise Invalid("ends_on", f"A festival lasts at most {MAX_FESTIVAL_DAYS} days.", code="too_long")
    clean["timezone"] = check.timezone_name("timezone", values.get("timezone") or "Asia/Bangkok")
    clean["status"] = check.choice("status", values.get("status") or "draft", FESTIVAL_STATUSES)
    clean["stamp_goal"] = check.integer("stamp_goal", values.get("stamp_goal", 5), minimum=0, maximum=1000, nullable=False)
    clean["allow_walk_ins"] = check.boolean("allow_walk_ins", values.get("allow_walk_ins", True))
    clean["allow_self_checkin"] = check.boolean("allow_self_checkin", values.get("allow_self_checkin", False))
    clean["signups_per_hour"] = check.integer("signups_per_hour", values.get("signups_per_hour", DEFAULT_SIGNUPS_PER_HOUR),
                                              minimum=1, maximum=MAX_SIGNUPS_PER_HOUR, nullable=False)
    return clean


def _ensure_unique_slug(slug, festival_id=None):
    query = sa.select(Festival.id).where(Festival.slug == slug)
    if festival_id is not None:
        query = query.where(Festival.id != festival_id)
    if db.session.scalar(query) is not None:
        raise DomainError("duplicate", f"A festival with the slug {slug!r} exists already.", field="slug", status=409)


def create_festival(city_id, **fields):
    """A new festival of a city; a draft unless `status="published"` is given."""
    _unknown(fields, FESTIVAL_FIELDS)
    city = db.session.get(City, city_id) if isinstance(city_id, int) and 0 < city_id <= check.MAX_INT else None
    if city is None:
        raise Invalid("city", "No such city.", code="not_found")
    values = dict(fields)
    if not values.get("slug"):
        starts_on = values.get("starts_on")
        year = f"-{starts_on.year}" if hasattr(starts_on, "year") else ""
        base = check.slugify(values.get("name_en") or "") or city.slug + "-festival"
        values["slug"] = base + ("" if base.endswith(year.lstrip("-")) else year)
    clean = _clean_festival(values)
    _ensure_unique_slug(clean["slug"])
    festival = Festival(city_id=city.id, **clean)
    db.session.add(festival)
    db.session.flush()
    if festival.is_published:
        emit("programme.changed", festival_id=festival.id)
    return festival


def update_festival(festival, **fields):
    """Change some fields. Publishing (and any visible change once published) emits programme.changed."""
    _unknown(fields, FESTIVAL_FIELDS)
    current = {name: getattr(festival, name) for name in FESTIVAL_FIELDS}
    clean = _clean_festival({**current, **fields})
    changed = {name: value for name, value in clean.items() if current[name] != value}
    if not changed:
        return festival
    if "slug" in changed:
        if festival.is_published:
            raise Invalid("slug", "A published festival keeps its address; unpublish it first.", code="slug_locked")
        _ensure_unique_slug(changed["slug"], festival.id)
    if {"starts_on", "ends_on", "timezone"} & set(changed):
        _ensure_sessions_fit(festival, clean)
    was_published = festival.is_published
    for name, value in changed.items():
        setattr(festival, name, value)
    db.session.flush()
    if was_published or festival.is_published:
        emit("programme.changed", festival_id=festival.id)
    return festival


def _ensure_sessions_fit(festival, clean):
    start = check.midnight(clean["starts_on"], clean["timezone"])
    end = check.midnight(clean["ends_on"] + timedelta(days=1), clean["timezone"])
    outside = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(ProgrammeSession)
        .where(
            ProgrammeSession.festival_id == festival.id,
            ProgrammeSession.status != "cancelled",
            sa.or_(ProgrammeSession.starts_at < start, ProgrammeSession.ends_at > end),
        )
    )
    if outside:
        raise Invalid(
            "starts_on",
            f"{outside} session(s) would fall outside the festival's new days: move or cancel them first.",
            code="outside_festival",
            sessions_outside=outside,
        )


def may_see(festival, user):
    return festival.is_published or (user is not None and user.may_act_in(festival.city_id))


def reachable(festival, user, for_edit, what="festival"):
    """NotFound when the user may not see it; for an edit, Forbidden unless the user acts in its city."""
    if festival is None:
        raise NotFound(what)
    if for_edit:
        if user is None or not user.may_act_in(festival.city_id):
            raise Forbidden()
    elif not may_see(festival, user):
        raise NotFound(what)
    return festival


def festival_with_slug(slug):
    """The festival with this slug, drafts included, or None (a malformed slug names none).
    Who may see it is decided by the callers below, or by the caller's own rule."""
    if not check.is_slug(slug):
        return None
    return db.session.scalar(sa.select(Festival).options(joinedload(Festival.city)).where(Festival.slug == slug))


def festival_by_slug(slug, user=None, for_edit=False):
    """The festival; NotFound also for a draft the user may not act on; for_edit: Forbidden outside the user's city."""
    return reachable(festival_with_slug(slug), user, for_edit)


def find_festival(slug):
    """The festival with this slug, drafts included, for callers that judge access themselves; NotFound otherwise."""
    festival = festival_with_slug(slug)
    if festival is None:
        raise NotFound("festival", f"No festival {slug!r}.")
    return festival


def festival_by_id(festival_id, user=None, for_edit=False):
    festival = None
    if isinstance(festival_id, int) and 0 < festival_id <= check.MAX_INT:
        festival = db.session.get(Festival, festival_id)
    return reachable(festival, user, for_edit)


def visible_festivals(city_slug=None, user=None):
    """Published festivals, plus the drafts of the user's city (all drafts for an admin); newest first."""
    query = sa.select(Festival).join(Festival.city).options(joinedload(Festival.city))
    if city_slug is not None:
        if not check.is_slug(city_slug):
            return []
        query = query.where(City.slug == city_slug)
    if user is None:
        query = query.where(Festival.status == "published")
    elif not user.is_admin:
        query = query.where(sa.or_(Festival.status == "published", Festival.city_id == user.city_id))
    query = query.order_by(Festival.starts_on.desc(), Festival.id.desc())
    return list(db.session.scalars(query))
