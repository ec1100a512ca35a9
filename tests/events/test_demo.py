"""`flask demo load`: the ten cities, both festivals through the real services, development users, idempotent."""
import sqlalchemy as sa

from app.database import db
from app.outbox import messages
from app.users import User
from events.models import Booth, City, Festival, ProgrammeSession, Venue
from tests.conftest import login


def counts(app):
    with app.app_context():
        return {
            model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (City, Festival, Venue, ProgrammeSession, Booth, User)
        }


def test_demo_load_builds_the_network_once(app, runner, client):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "10 cities and 2 festivals loaded" in first.output
    assert "DEVELOPMENT ONLY" in first.output and "admin@demo.thetsakan.example" in first.output
    loaded = counts(app)
    assert loaded["cities"] == 10 and loaded["festivals"] == 2 and loaded["users"] == 3

    cities = {c["slug"]: c for c in client.get("/api/v1/cities").get_json()}
    assert set(cities) == {"chiang-mai", "chiang-rai", "chachoengsao", "phuket", "hat-yai", "phayao", "sukhothai",
                           "khon-kaen", "yala", "bangkok"}
    assert cities["chiang-mai"]["name_th"] == "เชียงใหม่" and cities["chiang-mai"]["member_since"] == 2020
    assert cities["hat-yai"]["province_en"] == "Songkhla"

    lcd = client.get("/api/v1/festivals/learning-city-days-2023").get_json()
    assert (lcd["status"], lcd["city"], lcd["starts_on"], lcd["ends_on"]) == ("published", "bangkok", "2023-08-22", "2023-08-23")
    assert lcd["venue_en"] == "Na at Bangkok1899"
    programme = client.get("/api/v1/festivals/learning-city-days-2023/sessions").get_json()
    kinds = {s["kind"] for s in programme}
    assert {"workshop", "forum", "talk", "performance", "activity", "exhibition"} <= kinds
    assert any(s["kind"] == "workshop" and 20 <= (s["capacity"] or 0) <= 40 for s in programme)
    titles = " ".join(s["title_en"] for s in programme)
    assert "Pong lang" in titles and "Long-drum" in titles and "declaration of cooperation" in titles
    assert {s["starts_at"][:10] for s in programme} == {"2023-08-22", "2023-08-23"}
    booths = client.get("/api/v1/festivals/learning-city-days-2023/booths").get_json()
    assert 8 <= len(booths) <= 12
    exhibitors = " ".join(b["exhibitor"] for b in booths)
    for partner in ("PMU A", "UNESCO Bangkok", "EEF", "Bureau of International Cooperation",
                    "Sirindhorn Anthropology Centre", "TK Park", "DASTA"):
        assert partner in exhibitors

    chiang_mai = [f for f in client.get("/api/v1/festivals?city=chiang-mai").get_json()]
    assert len(chiang_mai) == 1 and chiang_mai[0]["status"] == "published" and chiang_mai[0]["starts_on"] >= "2027-01-01"
    cm_programme = client.get(f"/api/v1/festivals/{chiang_mai[0]['slug']}/sessions").get_json()
    bookable = [s for s in cm_programme if s["capacity"]]
    assert len(bookable) >= 8 and all(s["seats_left"] == s["capacity"] for s in bookable)
    assert any("Lacquerware" in s["title_en"] for s in cm_programme)
    assert any("umbrella" in s["title_en"] for s in cm_programme)
    with app.app_context():
        # Each festival is announced once, complete.
        assert len(messages("programme.changed")) == 2

    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0, again.output
    assert "0 cities and 0 festivals loaded" in again.output and "password" not in again.output
    assert counts(app) == loaded


def test_demo_users_can_sign_in_and_act_for_their_city(app, runner, client):
    output = runner.invoke(args=["demo", "load"]).output
    token = next(line.split("token: ")[1].strip() for line in output.splitlines() if "organiser.chiang-mai@" in line)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.patch("/api/v1/festivals/chiang-mai-learning-city-festival-2027", json={"stamp_goal": 4},
                        headers=headers).status_code == 200
    assert client.patch("/api/v1/festivals/learning-city-days-2023", json={"stamp_goal": 4},
                        headers=headers).status_code == 403
    assert login(client, "admin@demo.thetsakan.example", "demo-admin-2566").status_code == 302


def test_if_empty_leaves_an_existing_network_alone(app, runner, make_city):
    make_city("bangkok")
    answer = runner.invoke(args=["demo", "load", "--if-empty"])
    assert answer.exit_code == 0 and "nothing loaded" in answer.output
    assert counts(app)["festivals"] == 0


def test_demo_load_does_not_add_users_beside_existing_ones(app, runner, make_user):
    make_user("admin")
    runner.invoke(args=["demo", "load"])
    assert counts(app)["users"] == 1
