"""Teams fixtures: two cities, an organiser of each, an admin, and mail through the real SMTP server."""
import re
from dataclasses import dataclass
from email.message import EmailMessage

import pytest

from tests.conftest import bearer
from tests.workers.conftest import relay_ready, run_jobs, smtp  # noqa: F401 - shared fixtures

LINK_RE = re.compile(r"(http://[^\s\"<>]+/(?:invitations|password/reset)/[^\s\"<>?]+)(?:\?lang=(th|en))?")


@dataclass
class Team:
    city_id: int
    other_city_id: int
    organiser_id: int
    organiser: dict
    other_organiser: dict
    admin: dict
    admin_id: int
    slug: str = "chiang-mai"
    other_slug: str = "khon-kaen"


@pytest.fixture
def team(make_city, make_user, make_festival):
    city = make_city("chiang-mai", "เชียงใหม่", "Chiang Mai")
    other = make_city("khon-kaen", "ขอนแก่น", "Khon Kaen")
    make_festival(city, slug="cm-days")
    organiser_id, organiser = make_user("organiser", city, password="organiser-pass-1", email="org@cm.example")
    _, other_organiser = make_user("organiser", other, password="organiser-pass-2", email="org@kk.example")
    admin_id, admin = make_user("admin", password="admin-pass-123", email="admin@net.example")
    return Team(city, other, organiser_id, bearer(organiser), bearer(other_organiser), bearer(admin), admin_id)


def text_of(message: EmailMessage):
    return message.get_body(preferencelist=("plain",)).get_content()


def link_in(message):
    match = LINK_RE.search(text_of(message))
    assert match, text_of(message)
    return match.group(1), match.group(2)


def token_of(link):
    return link.rstrip("/").rsplit("/", 1)[1]
