"""Registrations fixtures: a published festival with workshops, and passes made through the API."""
from datetime import datetime, timedelta, timezone
from itertools import count

import pytest

from app.database import db
from events.models import ProgrammeSession

FUTURE = datetime(2027, 8, 22, 3, 0, tzinfo=timezone.utc)  # 10:00 in Bangkok


@pytest.fixture
def festival(make_city, make_festival):
    """A published festival of Bangkok; returns a small namespace of ids."""
    city_id = make_city()
    festival_id = make_festival(city_id)

    class F:
        slug = "learning-city-days"

    F.id, F.city_id = festival_id, city_id
    return F


@pytest.fixture
def workshop(festival, make_session):
    """make a bookable workshop: workshop(capacity=10, starts_at=..., minutes=60) -> id."""

    def make(capacity=10, starts_at=FUTURE, minutes=60, festival_id=None, **fields):
        return make_session(festival_id or festival.id, starts_at=starts_at, minutes=minutes, capacity=capacity, **fields)

    return make


_emails = count(1)


def signup_body(**overrides):
    body = {
        "name": "สมชาย ใจดี",
        "email": f"visitor{next(_emails)}@example.org",
        "phone": "081 234 5678",
        "age_group": "adult",
        "party": [],
        "consent": True,
        "locale": "th",
    }
    body.update(overrides)
    return body


@pytest.fixture
def sign_up(client, festival):
    """sign_up(party=[...], **fields) -> the 201 body of a new pass."""

    def make(slug=None, **overrides):
        answer = client.post(f"/api/v1/festivals/{slug or festival.slug}/passes", json=signup_body(**overrides))
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()

    return make


@pytest.fixture
def book(client):
    """book(pass_body_or_token, session_id, **fields) -> the answer (status code and JSON)."""

    def make(pass_, session_id, **fields):
        token = pass_["manage_token"] if isinstance(pass_, dict) else pass_
        return client.post(f"/api/v1/passes/{token}/bookings", json={"session_id": session_id, **fields})

    return make


def session_counters(app, session_id):
    with app.app_context():
        session = db.session.get(ProgrammeSession, session_id)
        result = (session.seats_confirmed, session.waitlist_length)
        db.session.remove()
        return result


def past(minutes=30):
    return datetime.now(timezone.utc) - timedelta(minutes=minutes)
