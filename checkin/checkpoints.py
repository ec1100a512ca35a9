"""Checkpoints: gates, session doors and booths of a festival, and who may act on them."""
import secrets

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app.auth import ensure_city
from app.database import db
from app.errors import Invalid, NotFound
from app.users import ADMIN, ORGANISER, STAFF
from checkin.models import BOOTH, CHECKPOINT_KINDS, GATE, SESSION, Checkpoint
from events.models import Booth, Festival, ProgrammeSession

SCANNING_ROLES = (STAFF, ORGANISER)  # admin always passes


def get_checkpoint(checkpoint_id):
    checkpoint = db.session.get(Checkpoint, checkpoint_id, options=[joinedload(Checkpoint.festival)])
    if checkpoint is None:
        raise NotFound("checkpoint")
    return checkpoint


def checkpoint_for(user, checkpoint_id):
    """The checkpoint, if `user` acts for its city (403 for another city's)."""
    checkpoint = get_checkpoint(checkpoint_id)
    ensure_city(checkpoint.festival.city_id, user)
    return checkpoint


def may_scan(user, festival):
    return user is not None and user.role in (ADMIN, *SCANNING_ROLES) and user.may_act_in(festival.city_id)


def festivals_to_scan(user):
    query = sa.select(Festival).order_by(Festival.starts_on.desc(), Festival.id)
    if not user.is_admin:
        query = query.where(Festival.city_id == user.city_id)
    return list(db.session.scalars(query))


def list_checkpoints(festival):
    return list(
        db.session.scalars(sa.select(Checkpoint).where(Checkpoint.festival_id == festival.id).order_by(Checkpoint.id))
    )


def _ensure_target(festival, model, target_id, needed, field, what, checkpoint):
    """A session door names a session of its festival, a booth checkpoint a booth; no other kind names either."""
    if not needed:
        if target_id is not None:
            raise Invalid(field, f"Only {checkpoint} names a {what}.")
        return
    if target_id is None:
        raise Invalid(field, f"{checkpoint.capitalize()} names its {what}.", code="required")
    target = db.session.get(model, target_id)
    if target is None or target.festival_id != festival.id:
        raise Invalid(field, f"No such {what} in this festival.", code="not_found")


def _name(name):
    name = (name or "").strip()
    if not name:
        raise Invalid("name", "A checkpoint needs a name.", code="required")
    return name


def _ensure_hours_and_exits(kind, opens_at, closes_at, counts_exits):
    if counts_exits and kind != GATE:
        raise Invalid("counts_exits", "Only a gate counts exits.")
    if opens_at is not None and closes_at is not None and closes_at <= opens_at:
        raise Invalid("closes_at", "A checkpoint closes after it opens.", code="before_opening")


def create_checkpoint(festival, *, name, kind, session_id=None, booth_id=None, opens_at=None, closes_at=None,
                      counts_exits=False):
    name = _name(name)
    if kind not in CHECKPOINT_KINDS:
        raise Invalid("kind", f"Kind must be one of: {', '.join(CHECKPOINT_KINDS)}.", code="invalid_choice")
    _ensure_target(festival, ProgrammeSession, session_id, kind == SESSION, "session_id", "session", "a session door")
    _ensure_target(festival, Booth, booth_id, kind == BOOTH, "booth_id", "booth", "a booth checkpoint")
    _ensure_hours_and_exits(kind, opens_at, closes_at, counts_exits)
    checkpoint = Checkpoint(
        festival_id=festival.id,
        name=name,
        kind=kind,
        session_id=session_id,
        booth_id=booth_id,
        opens_at=opens_at,
        closes_at=closes_at,
        counts_exits=bool(counts_exits),
        poster_version=1,
        poster_secret=secrets.token_urlsafe(24),
    )
    db.session.add(checkpoint)
    db.session.flush()
    return checkpoint


EDITABLE = ("name", "opens_at", "closes_at", "counts_exits")


def update_checkpoint(checkpoint, **changes):
    """Rename a checkpoint, change its hours or whether a gate counts exits.

    Its kind and what it names (session, booth) stay: scans already recorded there mean
    admissions to that session or booth, and its printed posters point at it. Scanner
    phones get the new hours with their next bundle; a scan the server checks sees them
    at once.
    """
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise Invalid(sorted(unknown)[0], "A checkpoint's kind and what it names cannot change: add a new one.")
    merged = {field: changes.get(field, getattr(checkpoint, field)) for field in EDITABLE}
    merged["name"] = _name(merged["name"])
    _ensure_hours_and_exits(checkpoint.kind, merged["opens_at"], merged["closes_at"], merged["counts_exits"])
    for field, value in merged.items():
        setattr(checkpoint, field, bool(value) if field == "counts_exits" else value)
    db.session.flush()
    return checkpoint


def rotate_poster(checkpoint):
    """Retire every printed or photographed copy of this checkpoint's poster."""
    checkpoint.poster_version += 1
    checkpoint.poster_secret = secrets.token_urlsafe(24)
    db.session.flush()
    return checkpoint
