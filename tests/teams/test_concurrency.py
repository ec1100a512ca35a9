"""One invitation link, opened on several devices at once: exactly one of them joins, through a real
threaded server and the real database (run it on PostgreSQL for the claim that matters)."""
import sqlalchemy as sa

from app.database import db
from app.users import ApiToken, User
from tests.registrations.test_concurrency import _race
from tests.teams.test_api import invite, latest_token

TRIES = 8


def test_racing_acceptances_of_one_link_let_exactly_one_in(app, client, live_server, team):
    member_id = invite(client, team).get_json()["id"]
    token = latest_token(app, "somchai@cm.example")
    answers = _race(live_server.url, [
        ("POST", f"/api/v1/invitations/{token}/accept", {"name": f"Try {n}", "password": f"password-number-{n}"})
        for n in range(TRIES)
    ])
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [409] * (TRIES - 1), statuses
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"link_used"}
    winner = next(n for n, a in enumerate(answers) if a.status_code == 201)
    with app.app_context():
        user = db.session.get(User, member_id)
        assert user.name == f"Try {winner}" and user.check_password(f"password-number-{winner}")
        tokens = db.session.scalar(sa.select(sa.func.count(ApiToken.id)).where(ApiToken.user_id == member_id))
        assert tokens == 1
