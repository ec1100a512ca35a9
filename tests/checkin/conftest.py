"""Check-in fixtures: a festival with a gate, a session door and a booth, staff who scan, and passes
made directly with the models (with real signed codes from registrations/pass_codes)."""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest

from app.database import db, now_utc
from checkin.checkpoints import create_checkpoint
from events.models import Booth, Festival, ProgrammeSession
from registrations import pass_codes
from registrations.models import Booking, Pass, PartyMember
from tests.conftest import bearer

SESSION_START = datetime(2027, 8, 22, 3, 0, tzinfo=timezone.utc)  # 10:00 in Bangkok


@dataclass
class MadePass:
    id: int
    code: str
    manage_token: str
    public_id_hex: str


@pytest.fixture
def make_pass(app):
    """make_pass(festival_id, name="Somchai", party=(("Nok", "child"),), status="active", serial=1) -> MadePass."""
    counter = iter(range(1, 100_000))

    def make(festival_id, name="Somchai Jaidee", party=(), age_group="adult", status="active", serial=1, email=None):
        with app.app_context():
            manage, feed = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
            pass_ = Pass(
                festival_id=festival_id,
                public_id=pass_codes.new_public_id(),
                serial=serial,
                manage_token=manage,
                manage_token_hash=hashlib.sha256(manage.encode()).hexdigest(),
                feed_token=feed,
                feed_token_hash=hashlib.sha256(feed.encode()).hexdigest(),
                name=name,
                email=email or f"visitor{next(counter)}@example.org",
                age_group=age_group,
                status=status,
                consent_version="2026-01",
                consent_locale="th",
                consent_text_sha256="0" * 64,
                consent_at=now_utc(),
            )
            pass_.party = [PartyMember(position=i, name=n, age_group=g) for i, (n, g) in enumerate(party)]
            db.session.add(pass_)
            db.session.flush()
            code = pass_codes.issue(pass_)
            db.session.commit()
            return MadePass(pass_.id, code, manage, pass_.public_id.hex())

    return make


@pytest.fixture
def make_booking(app):
    """make_booking(pass_id, session_id, status="confirmed", seats=None): counts confirmed seats on the session."""

    def make(pass_id, session_id, status="confirmed", seats=None):
        with app.app_context():
            pass_ = db.session.get(Pass, pass_id)
            session = db.session.get(ProgrammeSession, session_id)
            seats = seats or pass_.party_size
            booking = Booking(pass_id=pass_id, session_id=session_id, seats=seats, status=status,
                              confirmed_at=now_utc() if status == "confirmed" else None)
            db.session.add(booking)
            if status == "confirmed":
                session.seats_confirmed += seats
            elif status == "waitlisted":
                session.waitlist_length += 1
            db.session.commit()
            return booking.id

    return make


@pytest.fixture
def make_checkpoint(app):
    def make(festival_id, kind="gate", name=None, **fields):
        with app.app_context():
            festival = db.session.get(Festival, festival_id)
            checkpoint = create_checkpoint(festival, name=name or f"{kind} checkpoint", kind=kind, **fields)
            db.session.commit()
            return checkpoint.id

    return make


@pytest.fixture
def make_booth(app):
    def make(festival_id, code="A1", name_th="บูธทอผ้า", name_en="Weaving booth"):
        with app.app_context():
            booth = Booth(festival_id=festival_id, code=code, name_th=name_th, name_en=name_en)
            db.session.add(booth)
            db.session.commit()
            return booth.id

    return make


@dataclass
class World:
    city_id: int
    festival_id: int
    slug: str
    session_id: int
    booth_id: int
    gate_id: int
    door_id: int
    booth_checkpoint_id: int
    staff: dict
    organiser: dict
    staff_id: int
    organiser_id: int


@pytest.fixture
def world(make_city, make_festival, make_session, make_user, make_checkpoint, make_booth):
    """Bangkok's Learning City Days: a gate, a 10-seat workshop with its door, a booth; staff and an organiser."""
    city_id = make_city()
    festival_id = make_festival(city_id, allow_walk_ins=False, allow_self_checkin=True, stamp_goal=2)
    session_id = make_session(festival_id, starts_at=SESSION_START, capacity=10)
    booth_id = make_booth(festival_id)
    staff_id, staff_token = make_user("staff", city_id)
    organiser_id, organiser_token = make_user("organiser", city_id)
    return World(
        city_id=city_id,
        festival_id=festival_id,
        slug="learning-city-days",
        session_id=session_id,
        booth_id=booth_id,
        gate_id=make_checkpoint(festival_id, "gate", name="Main gate"),
        door_id=make_checkpoint(festival_id, "session", name="Workshop door", session_id=session_id),
        booth_checkpoint_id=make_checkpoint(festival_id, "booth", name="Booth A1", booth_id=booth_id),
        staff=bearer(staff_token),
        organiser=bearer(organiser_token),
        staff_id=staff_id,
        organiser_id=organiser_id,
    )


def scan(client, checkpoint_id, code, headers, **fields):
    return client.post(f"/api/v1/checkpoints/{checkpoint_id}/scans", json={"code": code, "device_id": "test", **fields},
                       headers=headers)
