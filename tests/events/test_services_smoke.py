from datetime import date, datetime, timezone

import pytest

from app.database import db
from app.errors import DomainError, Invalid
from app.outbox import messages
from events import services


def test_services_smoke(ctx):
    city = services.create_city(slug="bangkok", name_th="กรุงเทพมหานคร", name_en="Bangkok")
    festival = services.create_festival(city.id, name_en="Learning City Days", name_th="x", starts_on=date(2027, 8, 22), ends_on=date(2027, 8, 23))
    assert festival.slug == "learning-city-days-2027" and festival.status == "draft"
    venue = services.create_venue(festival, name_en="Main stage", kind="stage")
    s = services.create_session(festival, title_en="Opening", kind="talk", venue_id=venue.id,
                                starts_at=datetime(2027, 8, 22, 9, 0), ends_at=datetime(2027, 8, 22, 10, 0))
    assert s.starts_at == datetime(2027, 8, 22, 2, 0, tzinfo=timezone.utc)
    with pytest.raises(DomainError) as clash:
        services.create_session(festival, title_en="Two", kind="talk", venue_id=venue.id,
                                starts_at=datetime(2027, 8, 22, 9, 30), ends_at=datetime(2027, 8, 22, 10, 30))
    assert clash.value.code == "clash" and clash.value.details["session_id"] == s.id
    services.update_festival(festival, status="published")
    services.update_session(s, starts_at=datetime(2027, 8, 22, 11, 0), ends_at=datetime(2027, 8, 22, 12, 0))
    assert [m.topic for m in messages()] == ["programme.changed", "session.moved", "programme.changed"]
    assert len(services.programme(festival, day=date(2027, 8, 22))) == 1
    db.session.commit()
