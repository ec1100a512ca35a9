"""A seeded network for reports: a Chiang Mai festival with known passes, party members, bookings
and scans, earlier and later festivals elsewhere, and people of other cities to refuse.

Everything is written straight through the models. The lists kept on `Seed` are
what the tests compute the expected figures from, independently of reports/.
"""
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import pytest

from app.database import db
from checkin.models import Checkpoint, Scan
from events.models import Booth, City, Festival, ProgrammeSession
from registrations.models import Booking, PartyMember, Pass

BANGKOK_ZONE = timezone(timedelta(hours=7))


def local(day, hh, mm=0):
    """A time in the festival's zone (Asia/Bangkok, UTC+7), stored as UTC."""
    return datetime(2027, 8, day, hh, mm, tzinfo=BANGKOK_ZONE).astimezone(timezone.utc)


@dataclass
class Seed:
    festival_id: int
    slug: str
    city_id: int
    other_city_id: int
    passes: list = field(default_factory=list)  # dicts: key, id, age_group, party, status, email, anonymised, created_at
    sessions: list = field(default_factory=list)  # dicts: key, id, kind, themes, capacity, status, title_en
    bookings: list = field(default_factory=list)  # dicts: pass, session, seats, status
    checkpoints: dict = field(default_factory=dict)  # key -> dict(id, kind, session, booth, counts_exits)
    booths: list = field(default_factory=list)  # dicts: key, id, code, name_en
    scans: list = field(default_factory=list)  # dicts: checkpoint, pass (key or None), result, direction, walk_in, party_size, at
    other_scans: list = field(default_factory=list)  # other festivals': pass email, festival, result
    ids: dict = field(default_factory=dict)  # pass key -> id

    def pass_(self, key):
        return next(p for p in self.passes if p["key"] == key)


def _pass(festival_id, *, name, email, age_group, party=(), created_at, status="active", anonymised=False):
    token = secrets.token_urlsafe(24)
    feed = secrets.token_urlsafe(24)
    row = Pass(
        festival_id=festival_id,
        public_id=secrets.token_bytes(8),
        manage_token=token,
        manage_token_hash=hashlib.sha256(token.encode()).hexdigest(),
        feed_token=feed,
        feed_token_hash=hashlib.sha256(feed.encode()).hexdigest(),
        name="" if anonymised else name,
        email=email,
        age_group=age_group,
        status=status,
        consent_version="2027-01",
        consent_locale="th",
        consent_text_sha256="0" * 64,
        consent_at=created_at,
        created_at=created_at,
        cancelled_at=created_at + timedelta(days=1) if status == "cancelled" else None,
        anonymised_at=created_at + timedelta(days=30) if anonymised else None,
    )
    row.party = [
        PartyMember(position=i, name="" if anonymised else f"{name} {i}", age_group=group) for i, group in enumerate(party)
    ]
    db.session.add(row)
    db.session.flush()
    return row


# key, age group, party, email, sign-up time (UTC), status, anonymised
PASSES = [
    ("p1", "adult", ("child", "child"), "somchai@example.org", datetime(2027, 8, 1, 3, 0, tzinfo=timezone.utc), "active", False),
    ("p2", "senior", (), "malee@example.org", datetime(2027, 8, 1, 16, 59, tzinfo=timezone.utc), "active", False),
    # 17:30 UTC on 1 August is 00:30 on 2 August in Chiang Mai: the day of sign-up is the local one.
    ("p3", "teen", (), "nok@example.org", datetime(2027, 8, 1, 17, 30, tzinfo=timezone.utc), "active", False),
    ("p4", "adult", ("senior",), "arun@example.org", datetime(2027, 8, 2, 9, 0, tzinfo=timezone.utc), "active", False),
    ("p5", "adult", ("child",), "ploy@example.org", datetime(2027, 8, 2, 10, 0, tzinfo=timezone.utc), "active", False),
    ("p6", "adult", ("teen", "child", "child"), "lek@example.org", datetime(2027, 8, 10, 1, 0, tzinfo=timezone.utc), "active", False),
    ("p7", "senior", (), "dang@example.org", datetime(2027, 8, 10, 2, 0, tzinfo=timezone.utc), "active", False),
    ("p8", "adult", (), "gone@example.org", datetime(2027, 8, 10, 3, 0, tzinfo=timezone.utc), "cancelled", False),
    # Anonymised (PDPA): no name, no email; still counted, never matched.
    ("p9", "adult", ("child",), "", datetime(2027, 8, 12, 5, 0, tzinfo=timezone.utc), "active", True),
    ("p10", "adult", (), "stay@example.org", datetime(2027, 8, 12, 6, 0, tzinfo=timezone.utc), "active", False),
    ("p11", "teen", (), "mint@example.org", datetime(2027, 8, 20, 6, 0, tzinfo=timezone.utc), "active", False),
    ("p12", "adult", ("adult",), "kai@example.org", datetime(2027, 8, 22, 1, 0, tzinfo=timezone.utc), "active", False),
]

# key, kind, themes, capacity, status, start (day, hh:mm local), title
SESSIONS = [
    ("s1", "workshop", ["lifelong-culture", "family-community"], 10, "scheduled", (22, 10, 0), "ทอผ้ากับครอบครัว", "Family weaving"),
    ("s2", "talk", ["learning-technologies"], 5, "scheduled", (22, 14, 0), "เมืองอัจฉริยะเพื่อการเรียนรู้", "Smart learning city"),
    ("s3", "forum", ["inclusive-education"], 20, "scheduled", (23, 10, 0), "เสวนาการศึกษาที่ทั่วถึง", "Inclusive education forum"),
    ("s4", "performance", ["lifelong-culture"], None, "scheduled", (23, 13, 0), "วงสะล้อซอซึง", "Salo so sueng ensemble"),
    ("s5", "workshop", ["workplace"], 8, "cancelled", (23, 15, 0), "ทักษะงานช่าง", "Craft skills"),
]

# pass, session, seats, status
BOOKINGS = [
    ("p1", "s1", 3, "confirmed"),
    ("p5", "s1", 2, "confirmed"),
    ("p6", "s1", 4, "confirmed"),
    ("p2", "s1", 1, "waitlisted"),
    ("p3", "s1", 1, "waitlisted"),
    ("p7", "s1", 1, "cancelled"),
    ("p11", "s2", 1, "confirmed"),
    ("p2", "s2", 1, "confirmed"),
    ("p9", "s3", 2, "confirmed"),
    ("p12", "s3", 2, "confirmed"),
    ("p10", "s5", 1, "cancelled"),
]

BOOTHS = [("b1", "A01", "ผ้าทอจอมทอง", "Chom Thong weaving"), ("b2", "A02", "ห้องสมุดเคลื่อนที่", "Mobile library"), ("b3", "B01", "หุ่นยนต์", "Robots")]

# checkpoint, pass, result, direction, walk_in, party_size (None: the pass's), local time (day, hh, mm)
SCANS = [
    # Day 1 at the gates: g1 counts exits, g2 does not.
    ("g1", "p1", "admitted", "in", False, None, (22, 9, 10)),
    ("g1", "p2", "admitted", "in", False, None, (22, 9, 40)),
    ("g1", "p8", "cancelled", "in", False, None, (22, 9, 50)),
    ("g2", "p3", "admitted", "in", False, None, (22, 10, 5)),
    ("g1", "p5", "admitted", "in", False, None, (22, 10, 20)),
    ("g1", None, "invalid", "in", False, 0, (22, 11, 0)),
    ("g1", "p1", "admitted", "out", False, None, (22, 12, 0)),
    ("g1", "p1", "admitted", "in", False, None, (22, 13, 15)),
    ("g1", "p6", "admitted", "in", False, None, (22, 13, 30)),
    ("g1", "p2", "already_admitted", "in", False, None, (22, 13, 31)),
    ("g1", "p5", "admitted", "out", False, None, (22, 16, 0)),
    ("g1", "p6", "admitted", "out", False, None, (22, 16, 0)),
    # Day 2.
    ("g1", "p4", "not_open", "in", False, None, (23, 8, 0)),
    ("g1", "p1", "admitted", "in", False, None, (23, 9, 5)),
    ("g1", "p9", "admitted", "in", False, None, (23, 9, 30)),
    ("g2", None, "wrong_festival", "in", False, 0, (23, 10, 0)),
    ("g2", "p7", "admitted", "in", False, None, (23, 11, 45)),
    ("g1", "p12", "admitted", "in", False, None, (23, 14, 10)),
    ("g1", "p12", "admitted", "out", False, None, (23, 15, 0)),
    # Session doors.
    ("d1", "p1", "admitted", "in", False, 3, (22, 9, 55)),
    ("d1", "p5", "admitted", "in", False, 2, (22, 10, 1)),
    ("d1", "p2", "waitlisted", "in", False, None, (22, 10, 2)),
    ("d1", "p3", "admitted", "in", True, 1, (22, 10, 3)),
    ("d1", "p1", "already_admitted", "in", False, 3, (22, 10, 30)),
    ("d2", "p2", "admitted", "in", False, 1, (22, 13, 58)),
    ("d2", "p7", "not_booked", "in", False, None, (22, 13, 59)),
    ("d3", "p9", "admitted", "in", False, 2, (23, 9, 58)),
    ("d3", "p12", "admitted", "in", False, 2, (23, 9, 59)),
    ("d3", "p7", "admitted", "in", True, 1, (23, 10, 4)),
    ("d4", "p1", "admitted", "in", False, 3, (23, 12, 55)),
    ("d4", "p7", "admitted", "in", False, 1, (23, 12, 56)),
    # Booths (a visitor's phone at a poster, or staff).
    ("k1", "p1", "admitted", "in", False, None, (22, 11, 0)),
    ("k1", "p3", "admitted", "in", False, None, (22, 11, 5)),
    ("k1", "p5", "admitted", "in", False, None, (22, 11, 10)),
    ("k1", "p4", "admitted", "in", False, None, (23, 8, 30)),
    ("k1", "p1", "already_admitted", "in", False, None, (22, 15, 0)),
    ("k2", "p1", "admitted", "in", False, None, (22, 11, 30)),
    ("k2", "p9", "admitted", "in", False, None, (23, 10, 30)),
    # Half of a family at a booth: the holder and the first party member (a teen) came.
    ("k2", "p6", "admitted", "in", False, 2, (22, 14, 0)),
]

# Rehearsals: scans the day before the festival and the day after (local time), which no
# figure may count; the seed's `scans` (what the figures expect) leaves them out.
REHEARSALS = [
    ("g1", "p10", "admitted", "in", (21, 16, 0)),
    ("g1", "p10", "admitted", "out", (21, 16, 5)),
    ("d1", "p10", "admitted", "in", (21, 16, 10)),
    ("k1", "p10", "admitted", "in", (21, 16, 20)),
    ("k3", "p11", "admitted", "in", (24, 9, 0)),
    ("g2", None, "invalid", "in", (24, 9, 5)),
]


def _festival(city_id, slug, name_th, name_en, starts_on, ends_on):
    festival = Festival(
        slug=slug, city_id=city_id, name_th=name_th, name_en=name_en, starts_on=starts_on, ends_on=ends_on,
        timezone="Asia/Bangkok", venue_th="ข่วงประตูท่าแพ", venue_en="Tha Phae Gate square", status="published",
    )
    db.session.add(festival)
    db.session.flush()
    return festival


def _scan(checkpoint_id, festival_id, pass_id, result, at, *, direction="in", walk_in=False, party_size=1, source="staff",
          rehearsal=False):
    scan = Scan(
        checkpoint_id=checkpoint_id, festival_id=festival_id, pass_id=pass_id, result=result, direction=direction,
        walk_in=walk_in, party_size=party_size, scanned_at=at, received_at=at, source=source, device_id="seed",
        rehearsal=rehearsal,
    )
    db.session.add(scan)
    return scan


def _other_festivals(seed, chiang_mai, bangkok):
    """Earlier festivals (Bangkok 2023, Chiang Mai 2026) and a later one, with their attendees."""
    when = datetime(2023, 8, 1, tzinfo=timezone.utc)
    earlier_bkk = _festival(bangkok, "learning-city-days-2023", "วันเมืองแห่งการเรียนรู้ 2566", "Learning City Days 2023",
                            date(2023, 8, 22), date(2023, 8, 23))
    earlier_cm = _festival(chiang_mai, "chiang-mai-2026", "เทศกาลเรียนรู้เชียงใหม่ 2569", "Chiang Mai Festival 2026",
                           date(2026, 8, 20), date(2026, 8, 21))
    later = _festival(bangkok, "learning-city-days-2028", "วันเมืองแห่งการเรียนรู้ 2571", "Learning City Days 2028",
                      date(2028, 8, 22), date(2028, 8, 23))
    gates = {}
    for festival in (earlier_bkk, earlier_cm, later):
        gate = Checkpoint(festival_id=festival.id, name="Gate", kind="gate")
        db.session.add(gate)
        db.session.flush()
        gates[festival.id] = gate.id
    # email (case as typed then), festival, admitted?, anonymised?
    people = [
        ("SOMCHAI@example.org", earlier_bkk, True, False),
        ("malee@example.org", earlier_bkk, False, False),  # signed up, never came: not a returning visitor
        ("nok@example.org", earlier_bkk, True, False),
        ("", earlier_bkk, True, True),  # anonymised: must not match the anonymised pass of this festival
        ("Nok@Example.org", earlier_cm, True, False),
        ("arun@example.org", later, True, False),  # later, not earlier
    ]
    for n, (email, festival, admitted, anonymised) in enumerate(people):
        row = _pass(festival.id, name=f"Earlier {n}", email=email, age_group="adult", created_at=when, anonymised=anonymised)
        if admitted:
            _scan(gates[festival.id], festival.id, row.id, "admitted", datetime.combine(festival.starts_on, datetime.min.time(), timezone.utc) + timedelta(hours=3))
        seed.other_scans.append({"email": email, "festival": festival.slug, "admitted": admitted, "anonymised": anonymised,
                                 "starts_on": festival.starts_on})
    return earlier_bkk, earlier_cm, later


def build_seed():
    chiang_mai = City(slug="chiang-mai", name_th="เชียงใหม่", name_en="Chiang Mai")
    bangkok = City(slug="bangkok", name_th="กรุงเทพมหานคร", name_en="Bangkok")
    phuket = City(slug="phuket", name_th="ภูเก็ต", name_en="Phuket")
    db.session.add_all([chiang_mai, bangkok, phuket])
    db.session.flush()
    festival = _festival(chiang_mai.id, "chiang-mai-learning-festival-2027", "มหกรรมเมืองแห่งการเรียนรู้เชียงใหม่",
                         "Chiang Mai Learning City Festival", date(2027, 8, 22), date(2027, 8, 23))
    seed = Seed(festival.id, festival.slug, chiang_mai.id, phuket.id)

    for key, age, party, email, created, status, anonymised in PASSES:
        row = _pass(festival.id, name=f"Visitor {key}", email=email, age_group=age, party=party, created_at=created,
                    status=status, anonymised=anonymised)
        seed.ids[key] = row.id
        seed.passes.append({"key": key, "id": row.id, "age_group": age, "party": list(party), "status": status,
                            "email": email, "anonymised": anonymised, "created_at": created})

    session_ids = {}
    for key, kind, themes, capacity, status, (day, hh, mm), title_th, title_en in SESSIONS:
        session = ProgrammeSession(
            festival_id=festival.id, title_th=title_th, title_en=title_en, kind=kind, themes=themes, age_groups=[],
            hosts=[], capacity=capacity, status=status, starts_at=local(day, hh, mm), ends_at=local(day, hh + 1, mm),
        )
        db.session.add(session)
        db.session.flush()
        session_ids[key] = session.id
        seed.sessions.append({"key": key, "id": session.id, "kind": kind, "themes": themes, "capacity": capacity,
                              "status": status, "title_en": title_en, "title_th": title_th, "starts": (day, hh, mm)})

    for pass_key, session_key, seats, status in BOOKINGS:
        db.session.add(Booking(pass_id=seed.ids[pass_key], session_id=session_ids[session_key], seats=seats, status=status,
                               queued_at=datetime(2027, 8, 15, tzinfo=timezone.utc)))
        seed.bookings.append({"pass": pass_key, "session": session_key, "seats": seats, "status": status})

    booth_ids = {}
    for key, code, name_th, name_en in BOOTHS:
        booth = Booth(festival_id=festival.id, code=code, name_th=name_th, name_en=name_en, exhibitor="")
        db.session.add(booth)
        db.session.flush()
        booth_ids[key] = booth.id
        seed.booths.append({"key": key, "id": booth.id, "code": code, "name_en": name_en, "name_th": name_th})

    checkpoints = [("g1", "gate", None, None, True), ("g2", "gate", None, None, False)]
    checkpoints += [(f"d{n}", "session", f"s{n}", None, False) for n in range(1, 6)]
    checkpoints += [(f"k{n}", "booth", None, f"b{n}", False) for n in range(1, 4)]
    for key, kind, session_key, booth_key, counts_exits in checkpoints:
        checkpoint = Checkpoint(
            festival_id=festival.id, name=key, kind=kind, counts_exits=counts_exits,
            session_id=session_ids.get(session_key), booth_id=booth_ids.get(booth_key),
        )
        db.session.add(checkpoint)
        db.session.flush()
        seed.checkpoints[key] = {"id": checkpoint.id, "kind": kind, "session": session_key, "booth": booth_key,
                                 "counts_exits": counts_exits}

    for checkpoint_key, pass_key, result, direction, walk_in, party_size, (day, hh, mm) in SCANS:
        if party_size is None:
            party_size = 1 + len(seed.pass_(pass_key)["party"])
        at = local(day, hh, mm)
        _scan(seed.checkpoints[checkpoint_key]["id"], festival.id, seed.ids.get(pass_key), result, at,
              direction=direction, walk_in=walk_in, party_size=party_size,
              source="poster" if checkpoint_key.startswith("k") else "staff")
        seed.scans.append({"checkpoint": checkpoint_key, "pass": pass_key, "result": result, "direction": direction,
                           "walk_in": walk_in, "party_size": party_size, "at": at})
    for checkpoint_key, pass_key, result, direction, (day, hh, mm) in REHEARSALS:
        _scan(seed.checkpoints[checkpoint_key]["id"], festival.id, seed.ids.get(pass_key), result, local(day, hh, mm),
              direction=direction, party_size=1, rehearsal=True)

    _other_festivals(seed, chiang_mai.id, bangkok.id)
    db.session.commit()
    return seed


@pytest.fixture
def seed(app):
    with app.app_context():
        built = build_seed()
        db.session.remove()
    return built


@dataclass
class People:
    organiser: tuple
    city_team: tuple
    admin: tuple
    staff: tuple
    other_organiser: tuple
    other_city_team: tuple
    other_staff: tuple


@pytest.fixture
def people(seed, make_user):
    """(user id, token) of everyone who asks for reports; the 'other' ones belong to Phuket."""
    return People(
        organiser=make_user("organiser", seed.city_id, password="pw-organiser-1", email="org@cm.example"),
        city_team=make_user("city-team", seed.city_id, password="pw-cityteam-1", email="team@cm.example"),
        admin=make_user("admin", password="pw-admin-1", email="admin@example.org"),
        staff=make_user("staff", seed.city_id, password="pw-staff-1", email="staff@cm.example"),
        other_organiser=make_user("organiser", seed.other_city_id, password="pw-other-1", email="org@phuket.example"),
        other_city_team=make_user("city-team", seed.other_city_id, password="pw-other-2", email="team@phuket.example"),
        other_staff=make_user("staff", seed.other_city_id, password="pw-other-3", email="staff@phuket.example"),
    )
