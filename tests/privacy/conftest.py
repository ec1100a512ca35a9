"""Privacy fixtures: a festival that has happened (sign-ups, bookings, scans at a gate, a session door and
a booth, a mail sent, an organiser's change in the audit log), built through the real services, and a
search of every table for a person's name or address."""
import json
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from itertools import count

import pytest
import sqlalchemy as sa
from flask import g

from app.audit import AuditEntry
from app.database import db
from app.users import User
from checkin.checkpoints import create_checkpoint
from checkin.scanning import scan_code
from events.models import Booth, Festival, ProgrammeSession
from registrations import pass_codes
from registrations import services as registrations
from registrations.models import Pass
from reports.compile import compile_figures
from workers.jobs.mail import send_pass_confirmation
from mail.models import SentMessage

BANGKOK = timezone(timedelta(hours=7))

# The visitor who deletes their data: every string that names them or their party.
DELETER = {
    "name": "Pimchanok Deletable",
    "email": "pimchanok.deletable@example.org",
    "phone": "089 111 2222",
    "party": [{"name": "ด.ญ. ลบได้ ทดสอบ", "age_group": "child"}, {"name": "Grandpa Deletable", "age_group": "senior"}],
}


def identifying_strings(person=DELETER):
    return [person["name"], person["email"], person["phone"], *(m["name"] for m in person["party"])]


def _plain(value):
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def rows_mentioning(strings):
    """(table, column, string) for every cell of every table that contains one of the strings."""
    hits = []
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            for row in conn.execute(sa.select(table)).mappings():
                for column, value in row.items():
                    if value is None:
                        continue
                    text = _plain(value)
                    hits += [(table.name, column, s) for s in strings if s in text]
    return hits


def figures_of(festival_id):
    """A report's figures as plain values: the summary and every table's rows."""
    figures = compile_figures(festival_id)
    return figures.summary, {table.key: table.rows for table in figures.tables}


def today():
    """The day in Bangkok, from which held_festival counts its `days_ago`."""
    return datetime.now(timezone.utc).astimezone(BANGKOK).date()


def at(day, hour, minute=0):
    """An aware UTC time at hh:mm in Bangkok on `day`."""
    return datetime.combine(day, time(hour, minute), BANGKOK).astimezone(timezone.utc)


@dataclass
class Held:
    """A festival that took place `days_ago` days ago (ids and the tokens and codes of its passes)."""

    festival_id: int
    slug: str
    city_id: int
    days: tuple
    tokens: dict = field(default_factory=dict)  # key -> manage token
    feed_tokens: dict = field(default_factory=dict)
    codes: dict = field(default_factory=dict)  # key -> QR payload
    ids: dict = field(default_factory=dict)  # key -> pass id
    checkpoints: dict = field(default_factory=dict)
    sessions: dict = field(default_factory=dict)
    organiser_id: int = 0


def _sign_up(slug, **fields):
    result = registrations.sign_up(slug, consent=True, **fields)
    return result.pass_


@pytest.fixture
def held_festival(app, make_city, make_festival, make_user):
    """held_festival(days_ago=20, slug=..., deleter=DELETER) -> Held.

    Three passes: the deleter (with two family members), Malee (with a child) and a cancelled pass.
    A 4-seat workshop held on day one: the deleter's 3 seats confirmed, Malee's 2 on the waitlist.
    Scans: the deleter admitted at the gate (and scanned again), at the workshop door and at a booth;
    Malee admitted at the gate and refused at the door (waitlisted); the cancelled pass refused at the
    gate; one unreadable code. One mail sent to the deleter; an organiser's edit of their pass logged."""
    city_ids = {}

    def make(days_ago=20, slug="held-festival", deleter=DELETER, city="chiang-mai"):
        if city not in city_ids:
            city_ids[city] = make_city(slug=city, name_th="เชียงใหม่", name_en="Chiang Mai")
        city_id = city_ids[city]
        first = today() - timedelta(days=days_ago)
        days = (first, first + timedelta(days=1))
        festival_id = make_festival(city_id, slug=slug, starts_on=days[0], ends_on=days[1], allow_walk_ins=False)
        organiser_id, _token = make_user("organiser", city_id)
        held = Held(festival_id, slug, city_id, days, organiser_id=organiser_id)
        with app.app_context():
            festival = db.session.get(Festival, festival_id)
            workshop = ProgrammeSession(
                festival_id=festival_id, kind="workshop", title_th="ทอผ้ากับครอบครัว", title_en="Family weaving",
                starts_at=at(days[0], 10), ends_at=at(days[0], 12), capacity=4, themes=["family-community"],
                age_groups=["child", "adult", "senior"], hosts=[],  # every member of both families is seated
            )
            booth = Booth(festival_id=festival_id, code="A1", name_th="บูธสมุนไพร", name_en="Herb booth")
            db.session.add_all([workshop, booth])
            db.session.flush()
            gate = create_checkpoint(festival, name="Main gate", kind="gate")
            door = create_checkpoint(festival, name="Weaving room door", kind="session", session_id=workshop.id)
            stand = create_checkpoint(festival, name="Herb booth", kind="booth", booth_id=booth.id)
            signed_up = at(days[0], 8) - timedelta(days=7)
            passes = {
                "deleter": _sign_up(slug, name=deleter["name"], email=deleter["email"], phone=deleter["phone"],
                                    age_group="adult", party=deleter["party"], locale="en"),
                "malee": _sign_up(slug, name="Malee Stays", email="malee.stays@example.org", age_group="senior",
                                  party=[{"name": "Nong Stays", "age_group": "child"}]),
                "gone": _sign_up(slug, name="Somsak Cancelled", email="somsak.cancelled@example.org", age_group="teen"),
            }
            for key, pass_ in passes.items():
                pass_.created_at = signed_up + timedelta(hours=len(held.ids))
                held.ids[key], held.tokens[key], held.feed_tokens[key] = pass_.id, pass_.manage_token, pass_.feed_token
                held.codes[key] = pass_codes.issue(pass_)
            db.session.flush()
            registrations.book(passes["deleter"].id, workshop.id, now=signed_up)
            registrations.book(passes["malee"].id, workshop.id, now=signed_up + timedelta(minutes=5))
            registrations.cancel_pass(passes["gone"].id, now=signed_up + timedelta(days=1))
            opening = at(days[0], 9)
            scan_code(gate, held.codes["deleter"], scanned_at=opening)
            scan_code(gate, held.codes["deleter"], scanned_at=opening + timedelta(minutes=1))
            scan_code(gate, held.codes["malee"], scanned_at=opening + timedelta(minutes=2))
            scan_code(gate, held.codes["gone"], scanned_at=opening + timedelta(minutes=3))
            scan_code(gate, "NOT-A-PASS", scanned_at=opening + timedelta(minutes=4))
            scan_code(door, held.codes["deleter"], scanned_at=at(days[0], 9, 55))
            scan_code(door, held.codes["malee"], scanned_at=at(days[0], 9, 56))
            scan_code(stand, held.codes["deleter"], scanned_at=at(days[0], 13))
            held.checkpoints = {"gate": gate.id, "door": door.id, "booth": stand.id}
            held.sessions = {"workshop": workshop.id}
            db.session.commit()
            # A mail really sent (to the development Maildir), and a server's refusal that quoted the address.
            send_pass_confirmation(passes["deleter"].id)
            db.session.execute(
                sa.update(SentMessage).where(SentMessage.pass_id == held.ids["deleter"]).values(
                    last_error=f"550 5.1.1 <{deleter['email']}>: mailbox full"
                )
            )
            db.session.commit()
        _organiser_edits_phone(app, organiser_id, held.ids["deleter"], deleter["phone"])
        return held

    return make


def _organiser_edits_phone(app, organiser_id, pass_id, phone):
    """An organiser's change to a pass, as any organiser request records it (app/audit.py)."""
    with app.test_request_context(f"/organiser/passes/{pass_id}"):
        g.principal = db.session.get(User, organiser_id)
        pass_ = db.session.get(Pass, pass_id)
        pass_.phone = pass_.phone + " ext. 9"
        db.session.commit()
        entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "passes").order_by(AuditEntry.id)).all()
        assert entries and entries[-1].before["phone"] == phone
        db.session.remove()


# --- a festival still to come, and passes made through the API ----------------------------------

FUTURE = datetime(2027, 8, 22, 3, 0, tzinfo=timezone.utc)  # 10:00 in Bangkok
_emails = count(1)


@pytest.fixture
def festival(make_city, make_festival):
    """A published festival of Bangkok in 2027 (ids and slug)."""
    city_id = make_city()

    class F:
        slug = "learning-city-days"

    F.id, F.city_id = make_festival(city_id), city_id
    return F


@pytest.fixture
def workshop(festival, make_session):
    def make(capacity=10, starts_at=FUTURE, minutes=60, **fields):
        return make_session(festival.id, starts_at=starts_at, minutes=minutes, capacity=capacity, **fields)

    return make


@pytest.fixture
def sign_up(client, festival):
    """sign_up(**fields) -> the 201 body of a new pass (through the API)."""

    def make(slug=None, **fields):
        body = {"name": "สมชาย ใจดี", "email": f"visitor{next(_emails)}@example.org", "phone": "081 234 5678",
                "age_group": "adult", "party": [], "consent": True, "locale": "th"}
        body.update(fields)
        answer = client.post(f"/api/v1/festivals/{slug or festival.slug}/passes", json=body)
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()

    return make
