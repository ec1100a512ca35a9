"""Exhibitor booths: partners' stands with interactive activities, numbered on the festival map."""
import sqlalchemy as sa

from app.database import db
from app.errors import DomainError, Invalid, NotFound, N_
from app.outbox import emit
from events import validation as check
from events.festivals import reachable
from events.models import Booth, Venue
from events.vocabulary import AGE_GROUPS, THEMES

BOOTH_FIELDS = (
    "code",
    "name_th",
    "name_en",
    "exhibitor",
    "description_th",
    "description_en",
    "themes",
    "age_groups",
    "venue_id",
)


def _clean_booth(festival, values):
    clean = {}
    clean["code"] = check.text("code", values.get("code"), 20)
    clean["name_th"] = check.text("name_th", values.get("name_th"), 300)
    clean["name_en"] = check.text("name_en", values.get("name_en"), 300)
    if not clean["name_th"] and not clean["name_en"]:
        raise Invalid("name_th", N_("Give the name in Thai, English or both."), code="required")
    clean["exhibitor"] = check.text("exhibitor", values.get("exhibitor"), 300)
    clean["description_th"] = check.text("description_th", values.get("description_th"), 20_000)
    clean["description_en"] = check.text("description_en", values.get("description_en"), 20_000)
    clean["themes"] = check.choices("themes", values.get("themes"), THEMES)
    clean["age_groups"] = check.choices("age_groups", values.get("age_groups"), AGE_GROUPS)
    venue_id = values.get("venue_id")
    if venue_id is not None:
        venue = None
        if isinstance(venue_id, int) and not isinstance(venue_id, bool) and 0 < venue_id <= check.MAX_INT:
            venue = db.session.get(Venue, venue_id)
        if venue is None or venue.festival_id != festival.id:
            raise Invalid("venue_id", N_("Not a venue of this festival."), code="venue_not_in_festival")
    clean["venue_id"] = venue_id
    return clean


def _ensure_unique_code(festival, code, booth_id=None):
    if not code:
        return
    query = sa.select(Booth.id).where(Booth.festival_id == festival.id, Booth.code == code)
    if booth_id is not None:
        query = query.where(Booth.id != booth_id)
    other = db.session.scalar(query)
    if other is not None:
        raise DomainError("duplicate", N_("Booth %(code)s exists already."), params={"code": code}, field="code", status=409, booth_id=other)


def create_booth(festival, **fields):
    for name in fields:
        if name not in BOOTH_FIELDS:
            raise Invalid(name, N_("Unknown field."), code="unknown_field")
    clean = _clean_booth(festival, fields)
    _ensure_unique_code(festival, clean["code"])
    booth = Booth(festival_id=festival.id, **clean)
    db.session.add(booth)
    db.session.flush()
    if festival.is_published:
        emit("programme.changed", festival_id=festival.id)
    return booth


def update_booth(booth, **fields):
    for name in fields:
        if name not in BOOTH_FIELDS:
            raise Invalid(name, N_("Unknown field."), code="unknown_field")
    current = {name: getattr(booth, name) for name in BOOTH_FIELDS}
    clean = _clean_booth(booth.festival, {**current, **fields})
    changed = {name: value for name, value in clean.items() if current[name] != value}
    if not changed:
        return booth
    _ensure_unique_code(booth.festival, clean["code"], booth.id)
    for name, value in changed.items():
        setattr(booth, name, value)
    db.session.flush()
    if booth.festival.is_published:
        emit("programme.changed", festival_id=booth.festival_id)
    return booth


def booths(festival):
    return list(db.session.scalars(sa.select(Booth).where(Booth.festival_id == festival.id).order_by(Booth.code, Booth.id)))


def booth_by_id(booth_id, user=None, for_edit=False):
    booth = None
    if isinstance(booth_id, int) and not isinstance(booth_id, bool) and 0 < booth_id <= check.MAX_INT:
        booth = db.session.get(Booth, booth_id)
    if booth is None:
        raise NotFound("booth")
    reachable(booth.festival, user, for_edit, "booth")
    return booth
