"""Two cities with an organiser each, an admin, and a Bangkok festival with two venues."""
from dataclasses import dataclass

import pytest

from tests.conftest import bearer


@dataclass
class World:
    bangkok: int
    chiang_mai: int
    admin: dict
    bangkok_organiser: dict
    chiang_mai_organiser: dict
    bangkok_staff: dict
    festival_id: int
    stage_id: int
    room_id: int
    slug: str = "learning-city-days"


@pytest.fixture
def world(make_city, make_user, make_festival, make_venue):
    bangkok = make_city("bangkok", "กรุงเทพมหานคร", "Bangkok")
    chiang_mai = make_city("chiang-mai", "เชียงใหม่", "Chiang Mai")
    festival_id = make_festival(bangkok, slug="learning-city-days", status="draft")
    return World(
        bangkok=bangkok,
        chiang_mai=chiang_mai,
        admin=bearer(make_user("admin")[1]),
        bangkok_organiser=bearer(make_user("organiser", bangkok)[1]),
        chiang_mai_organiser=bearer(make_user("organiser", chiang_mai)[1]),
        bangkok_staff=bearer(make_user("staff", bangkok)[1]),
        festival_id=festival_id,
        stage_id=make_venue(festival_id, "Main stage", "เวทีหลัก", "stage"),
        room_id=make_venue(festival_id, "Workshop room 1", "ห้องเวิร์กช็อป 1", "room", capacity=40),
    )


def session_fields(**changes):
    payload = {
        "title_th": "เวิร์กช็อปเครื่องเขิน",
        "title_en": "Lacquerware workshop",
        "kind": "workshop",
        "starts_at": "2027-08-22T10:00:00+07:00",
        "ends_at": "2027-08-22T11:30:00+07:00",
        "capacity": 30,
        "themes": ["lifelong-culture"],
        "age_groups": ["adult", "senior"],
        "hosts": ["Khru Boonmee"],
        "language": "th",
    }
    payload.update(changes)
    return payload

