"""What a scanner phone needs to keep answering offline, in one JSON document with an ETag."""
import base64
import hashlib
import json

import sqlalchemy as sa

from app.database import db, now_utc
from checkin.models import SESSION, Admission
from checkin.checkpoints import list_checkpoints
from checkin.presenters import checkpoint_json, iso
from events.models import ProgrammeSession
from registrations import pass_codes
from registrations.models import CONFIRMED, PASS_ACTIVE, WAITLISTED, Booking, Pass, PartyMember


def scanner_bundle(festival):
    """Keys, revocations, bookings per session, the passes' display names and local state.

    Carries names of visitors so that a scanner shows who it admits while offline;
    it goes only to staff of the festival's city, over the authenticated API.
    """
    keys = pass_codes.public_keys(festival.id)
    passes = db.session.execute(
        sa.select(Pass.public_id, Pass.status, Pass.serial, Pass.name, Pass.age_group,
                  sa.func.count(PartyMember.id))
        .outerjoin(PartyMember, PartyMember.pass_id == Pass.id)
        .where(Pass.festival_id == festival.id)
        .group_by(Pass.id)
    ).all()
    bookings = db.session.execute(
        sa.select(Booking.session_id, Pass.public_id, Booking.status)
        .join(Pass, Pass.id == Booking.pass_id)
        .where(Pass.festival_id == festival.id, Booking.status.in_((CONFIRMED, WAITLISTED)))
        .order_by(Booking.session_id, Booking.id)
    ).all()
    checkpoints = list_checkpoints(festival)
    admitted = db.session.execute(
        sa.select(Admission.checkpoint_id, Pass.public_id, Admission.first_scanned_at, Admission.inside)
        .join(Pass, Pass.id == Admission.pass_id)
        .where(Admission.festival_id == festival.id, Admission.first_scanned_at.is_not(None))
    ).all()
    by_session = {}
    for session_id, public_id, status in bookings:
        by_session.setdefault(str(session_id), {})[public_id.hex()] = status
    by_checkpoint = {str(c.id): {} for c in checkpoints}
    for checkpoint_id, public_id, first, inside in admitted:
        by_checkpoint[str(checkpoint_id)][public_id.hex()] = {"first_scanned_at": iso(first, festival), "inside": inside}
    body = {
        "festival": {
            "id": festival.id,
            "slug": festival.slug,
            "name_th": festival.name_th,
            "name_en": festival.name_en,
            "timezone": festival.timezone,
            # Scans on other days (in its zone) are rehearsals: the phone answers them without remembering.
            "starts_on": festival.starts_on.isoformat(),
            "ends_on": festival.ends_on.isoformat(),
            "allow_walk_ins": festival.allow_walk_ins,
            "allow_self_checkin": festival.allow_self_checkin,
            "stamp_goal": festival.stamp_goal,
        },
        "keys": [{"base64": base64.b64encode(k).decode(), "hex": k.hex()} for k in keys],
        "revoked": {
            "cancelled": sorted(p.public_id.hex() for p in passes if p.status != PASS_ACTIVE),
            # A code whose serial is below this was replaced by a newer one.
            "min_serial": {p.public_id.hex(): p.serial for p in passes if p.status == PASS_ACTIVE and p.serial > 1},
        },
        "passes": {
            p.public_id.hex(): {"name": p.name, "age_group": p.age_group, "party_size": 1 + p[5]}
            for p in passes if p.status == PASS_ACTIVE
        },
        "bookings": by_session,
        "sessions": _sessions(checkpoints),
        "checkpoints": [checkpoint_json(c) for c in checkpoints],
        "admitted": by_checkpoint,
    }
    etag = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:32]
    body["generated_at"] = iso(now_utc(), festival)
    body["version"] = etag
    return body, etag


def _sessions(checkpoints):
    """Seats at each session door, for walk-ins offline."""
    ids = sorted({c.session_id for c in checkpoints if c.kind == SESSION})
    if not ids:
        return {}
    sessions = db.session.scalars(sa.select(ProgrammeSession).where(ProgrammeSession.id.in_(ids)))
    return {
        str(s.id): {
            "title_th": s.title_th,
            "title_en": s.title_en,
            "status": s.status,
            "capacity": s.capacity,
            "seats_confirmed": s.seats_confirmed,
            # Seats taken at the door, as registrations counts them (the same seats bookings draw on).
            "walk_ins": s.walk_in_seats,
            "starts_at": iso(s.starts_at, s.festival),
            "ends_at": iso(s.ends_at, s.festival),
        }
        for s in sessions
    }
