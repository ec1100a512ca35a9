"""A small real programme: Learning City Days 2099 in Bangkok, two stages, sessions over two days."""
from dataclasses import dataclass
from datetime import date, datetime, timezone

import pytest

from tests.conftest import login


@dataclass
class Programme:
    city_id: int
    festival_id: int
    slug: str
    main_stage: int
    room: int
    weaving: int  # 22 Aug 2099, 10:00-11:00 Bangkok, workshop, children, lifelong culture, 20 seats
    forum: int  # 22 Aug 2099, 13:00, forum, adults, inclusive education, open to all
    drums: int  # 22 Aug 2099, 15:00, performance, cancelled
    coding: int  # 22 Aug 2099, 11:00, workshop, teens, learning technologies, full
    talk: int  # 23 Aug 2099, 09:00, talk, seniors


def utc(*parts):
    return datetime(*parts, tzinfo=timezone.utc)


@pytest.fixture
def programme(make_city, make_festival, make_venue, make_session):
    city = make_city()
    festival = make_festival(
        city, slug="learning-city-days-2099", starts_on=date(2099, 8, 22), ends_on=date(2099, 8, 23),
        name_th="วันเมืองแห่งการเรียนรู้ 2642", name_en="Learning City Days 2099",
    )
    main = make_venue(festival, name_en="Main stage", name_th="เวทีหลัก", kind="stage")
    room = make_venue(festival, name_en="Garden room", name_th="ห้องสวน", kind="room")
    weaving = make_session(
        festival, starts_at=utc(2099, 8, 22, 3, 0), capacity=20, kind="workshop", venue_id=main,
        title_th="เวิร์กช็อปทอผ้าสำหรับเด็ก", title_en="Weaving for children",
        themes=["lifelong-culture"], age_groups=["child"], hosts=["Khru Noi"],
    )
    forum = make_session(
        festival, starts_at=utc(2099, 8, 22, 6, 0), kind="forum", venue_id=room,
        title_th="เสวนาเมืองแห่งการเรียนรู้", title_en="Learning city forum",
        themes=["inclusive-education"], age_groups=["adult"],
    )
    drums = make_session(
        festival, starts_at=utc(2099, 8, 22, 8, 0), kind="performance", venue_id=main, status="cancelled",
        title_th="การแสดงกลองยาว", title_en="Long drum show", themes=["lifelong-culture"], age_groups=["adult"],
    )
    coding = make_session(
        festival, starts_at=utc(2099, 8, 22, 4, 0), capacity=2, kind="workshop", venue_id=room, seats_confirmed=2,
        title_th="เขียนโค้ดกับหุ่นยนต์", title_en="Coding with robots",
        themes=["learning-technologies"], age_groups=["teen"],
    )
    talk = make_session(
        festival, starts_at=utc(2099, 8, 23, 2, 0), kind="talk", venue_id=main,
        title_th="ปาฐกถาการเรียนรู้ตลอดชีวิต", title_en="Lifelong learning keynote",
        themes=["quality-learning"], age_groups=["senior"],
    )
    return Programme(city, festival, "learning-city-days-2099", main, room, weaving, forum, drums, coding, talk)


@pytest.fixture
def organiser_client(app, programme, make_user):
    """A test client signed in as an organiser of the programme's city."""
    make_user("organiser", programme.city_id, password="pw-organiser-1", email="noi@bangkok.example")
    client = app.test_client()
    answer = login(client, "noi@bangkok.example", "pw-organiser-1")
    assert answer.status_code == 302
    return client
