"""The services the pages and other domains call directly: plain values in, checks, messages."""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.database import db
from app.errors import DomainError, Forbidden, Invalid, NotFound
from app.outbox import messages
from app.users import create_user
from events import services
from events.models import ProgrammeSession

BANGKOK = ZoneInfo("Asia/Bangkok")


@pytest.fixture
def festival(ctx):
    city = services.create_city(slug="phuket", name_th="ภูเก็ต", name_en="Phuket")
    festival = services.create_festival(
        city.id, slug="phuket-learning-festival", name_th="เทศกาลเรียนรู้ภูเก็ต", name_en="Phuket Learning Festival",
        starts_on=date(2027, 6, 5), ends_on=date(2027, 6, 6),
    )
    db.session.commit()
    return festival


def at(day, hour, minute=0):
    return datetime(2027, 6, day, hour, minute, tzinfo=BANGKOK)


def test_naive_times_and_iso_strings_are_read_in_the_festival_zone(festival):
    naive = services.create_session(festival, title_en="A", kind="talk", starts_at=datetime(2027, 6, 5, 9),
                                    ends_at="2027-06-05T10:00")
    assert naive.starts_at == datetime(2027, 6, 5, 2, 0, tzinfo=timezone.utc)
    assert naive.ends_at == datetime(2027, 6, 5, 3, 0, tzinfo=timezone.utc)


def test_a_festival_in_another_zone_keeps_its_own_days(ctx):
    city = services.create_city(slug="yala", name_th="ยะลา", name_en="Yala")
    festival = services.create_festival(city.id, slug="tokyo-exchange", name_en="Exchange", starts_on=date(2027, 6, 5),
                                        ends_on=date(2027, 6, 5), timezone="Asia/Tokyo")
    # 23:30 in Tokyo on the 5th is inside; 23:30 in Bangkok on the 5th is 01:30 on the 6th in Tokyo.
    services.create_session(festival, title_en="Late", kind="talk", starts_at=datetime(2027, 6, 5, 23, 0),
                            ends_at=datetime(2027, 6, 5, 23, 30))
    with pytest.raises(Invalid) as outside:
        services.create_session(festival, title_en="Later", kind="talk", starts_at=at(5, 23), ends_at=at(5, 23, 30))
    assert outside.value.code == "outside_festival"


def test_changing_the_zone_or_the_dates_must_keep_the_sessions_inside(festival):
    services.create_session(festival, title_en="Morning", kind="talk", starts_at=at(6, 9), ends_at=at(6, 10))
    services.create_session(festival, title_en="Dawn", kind="activity", starts_at=at(5, 1), ends_at=at(5, 2))
    with pytest.raises(Invalid) as shorter:
        services.update_festival(festival, ends_on=date(2027, 6, 5))
    assert shorter.value.code == "outside_festival" and shorter.value.field == "starts_on"
    # 01:00 in Bangkok on the 5th is still the 4th in Honolulu.
    with pytest.raises(Invalid) as zone:
        services.update_festival(festival, timezone="Pacific/Honolulu")
    assert zone.value.code == "outside_festival" and zone.value.details["sessions_outside"] == 1
    services.update_festival(festival, timezone="Pacific/Kiritimati")
    services.update_festival(festival, ends_on=date(2027, 6, 7))
    assert festival.ends_on == date(2027, 6, 7)


def test_unknown_fields_are_refused_by_name(festival):
    with pytest.raises(Invalid) as unknown:
        services.create_session(festival, title_en="A", kind="talk", starts_at=at(5, 9), ends_at=at(5, 10), room=3)
    assert (unknown.value.code, unknown.value.field) == ("unknown_field", "room")
    with pytest.raises(Invalid):
        services.update_festival(festival, colour="red")


def test_cancel_is_idempotent_and_delete_of_a_draft_session_announces_nothing(festival):
    session = services.create_session(festival, title_en="A", kind="talk", starts_at=at(5, 9), ends_at=at(5, 10))
    services.cancel_session(session)
    sequence = session.sequence
    services.cancel_session(session)
    assert session.status == "cancelled" and session.sequence == sequence
    services.delete_session(session)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProgrammeSession)) == 0
    assert messages() == []


def test_publishing_announces_once_and_published_edits_each_announce(festival):
    services.update_festival(festival, status="published")
    venue = services.create_venue(festival, name_en="Beach stage", kind="stage")
    booth = services.create_booth(festival, code="P1", name_en="Phuket Learning City")
    services.update_booth(booth, exhibitor="Phuket city municipality")
    services.update_venue(venue, capacity=300)
    assert [m.topic for m in messages()] == ["programme.changed"] * 5
    assert {m.payload["festival_id"] for m in messages()} == {festival.id}


def test_lookups_respect_drafts_and_cities(festival):
    phuket_organiser = create_user("noi@phuket.example", "organiser", city_id=festival.city_id)
    other_city = services.create_city(slug="sukhothai", name_th="สุโขทัย", name_en="Sukhothai")
    sukhothai_organiser = create_user("som@sukhothai.example", "organiser", city_id=other_city.id)
    admin = create_user("boss@example.org", "admin")
    with pytest.raises(NotFound):
        services.festival_by_slug(festival.slug)
    with pytest.raises(NotFound):
        services.festival_by_slug(festival.slug, sukhothai_organiser)
    assert services.festival_by_slug(festival.slug, phuket_organiser) is festival
    with pytest.raises(Forbidden):
        services.festival_by_slug(festival.slug, sukhothai_organiser, for_edit=True)
    with pytest.raises(Forbidden):
        services.festival_by_slug(festival.slug, None, for_edit=True)
    assert services.visible_festivals() == []
    assert services.visible_festivals(user=admin) == [festival]
    assert services.visible_festivals("phuket", phuket_organiser) == [festival]
    assert services.visible_festivals("sukhothai", admin) == []
    session = services.create_session(festival, title_en="A", kind="talk", starts_at=at(5, 9), ends_at=at(5, 10))
    with pytest.raises(NotFound) as hidden:
        services.session_by_id(session.id)
    assert hidden.value.code == "not_found" and hidden.value.status == 404


def test_programme_by_day_takes_a_date_or_an_iso_string(festival):
    for day, hour in ((5, 9), (6, 9), (5, 14)):
        services.create_session(festival, title_en=f"{day}-{hour}", kind="talk", starts_at=at(day, hour),
                                ends_at=at(day, hour) + timedelta(hours=1))
    assert [s.title_en for s in services.programme(festival, day=date(2027, 6, 5))] == ["5-9", "5-14"]
    assert [s.title_en for s in services.programme(festival, day="2027-06-06")] == ["6-9"]
    with pytest.raises(Invalid):
        services.programme(festival, day="June 5th")


def test_a_duplicate_city_or_venue_name_is_409(festival):
    with pytest.raises(DomainError) as city:
        services.create_city(slug="phuket", name_en="Phuket again")
    assert (city.value.status, city.value.code) == (409, "duplicate")
    services.create_venue(festival, name_th="เวทีชายหาด", name_en="Beach stage", kind="stage")
    with pytest.raises(DomainError) as venue:
        services.create_venue(festival, name_th="เวทีชายหาด", kind="stage")
    assert (venue.value.status, venue.value.field) == (409, "name_th")
