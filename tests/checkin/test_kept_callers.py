"""A gate phone's token, its staff member and the checkpoint are read once per process (app.users keeps
the reading under a generation in Redis): the next scans read none of them, and whatever changes
them (a revoked phone, a removed member, new opening hours, a member moved to another city), in this
process or another, is seen by the very next scan."""
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import users
from app.database import db, now_utc
from tests.checkin.conftest import scan
from tests.conftest import bearer, statements_of

ROOT = Path(__file__).resolve().parents[2]


def _reads_of_the_caller(statements):
    return [s for s in statements if "api_tokens" in s or "FROM checkpoints" in s or "JOIN checkpoints" in s]


def test_the_next_scans_with_the_same_phone_at_the_same_gate_read_no_caller(app, client, world, make_pass):
    codes = [make_pass(world.festival_id).code for _ in range(4)]  # made before the statements are counted
    first, statements = statements_of(app, lambda: scan(client, world.gate_id, codes[0], world.staff))
    assert first.get_json()["result"] == "admitted"
    assert len(_reads_of_the_caller(statements)) == 1, statements
    for code in codes[1:]:
        answer, statements = statements_of(app, lambda: scan(client, world.gate_id, code, world.staff))
        assert answer.status_code == 200 and answer.get_json()["result"] == "admitted"
        assert _reads_of_the_caller(statements) == [], statements
    with app.app_context():
        staff = db.session.scalars(sa.text("SELECT DISTINCT staff_user_id FROM scans")).all()
    assert staff == [world.staff_id]  # the kept caller is the one stored with each scan
    # Another gate is another reading; a bad token is never kept.
    _, statements = statements_of(app, lambda: scan(client, world.door_id, "x", world.staff))
    assert len(_reads_of_the_caller(statements)) == 1
    assert scan(client, world.gate_id, "x", bearer("tsk_not-a-real-token")).status_code == 401


def test_a_phone_cut_off_by_its_team_is_refused_at_its_next_scan(app, client, world, make_pass):
    assert scan(client, world.gate_id, make_pass(world.festival_id).code, world.staff).status_code == 200
    removed = client.delete(f"/api/v1/team/{world.staff_id}", headers=world.organiser)
    assert removed.status_code in (200, 204), removed.get_json()
    refused = scan(client, world.gate_id, make_pass(world.festival_id).code, world.staff)
    assert refused.status_code == 401 and refused.get_json()["code"] == "invalid_token"


def test_new_opening_hours_are_seen_by_the_next_scan(app, client, world, make_pass):
    assert scan(client, world.gate_id, make_pass(world.festival_id).code, world.staff).get_json()["result"] == "admitted"
    closed = {"opens_at": (now_utc() - timedelta(hours=3)).isoformat(),
              "closes_at": (now_utc() - timedelta(hours=2)).isoformat()}
    assert client.patch(f"/api/v1/checkpoints/{world.gate_id}", json=closed,
                        headers=world.organiser).status_code == 200
    assert scan(client, world.gate_id, make_pass(world.festival_id).code, world.staff).get_json()["result"] == "not_open"


# Another process (a web process that never scanned, a worker, a shell) changes what a phone's
# reading holds with plain writes, as any code might: no service of ours to call a hook.
CHANGER = """
import sys
from datetime import timedelta
import sqlalchemy as sa
from app import create_app
from app.database import db, now_utc
from app.users import ApiToken, User
from checkin.models import Checkpoint
database, redis_url, instance, change, staff_id, gate_id, city_id = sys.argv[1:]
app = create_app({"TESTING": True, "RATELIMIT_ENABLED": True, "SQLALCHEMY_DATABASE_URI": database,
                  "REDIS_URL": redis_url, "SECRET_KEY": "test-secret-key-not-for-production", "INSTANCE_DIR": instance})
with app.app_context():
    if change == "revoke the token":
        db.session.execute(sa.update(ApiToken).where(ApiToken.user_id == int(staff_id)).values(revoked=True))
    elif change == "switch the member off":
        db.session.get(User, int(staff_id)).active = False
    elif change == "move the member to another city":
        db.session.get(User, int(staff_id)).city_id = int(city_id)
    else:
        gate = db.session.get(Checkpoint, int(gate_id))
        gate.opens_at, gate.closes_at = now_utc() - timedelta(hours=3), now_utc() - timedelta(hours=2)
    db.session.commit()
"""


@pytest.mark.parametrize("change, answer", [
    ("revoke the token", 401), ("switch the member off", 401), ("move the member to another city", 403),
    ("close the gate", "not_open"),
])
def test_a_change_made_by_another_process_is_seen_by_the_next_scan_here(
        app, client, world, make_pass, make_city, change, answer):
    assert scan(client, world.gate_id, make_pass(world.festival_id).code, world.staff).get_json()["result"] == "admitted"
    other_city = make_city(slug="chiang-mai", name_th="เชียงใหม่", name_en="Chiang Mai")
    changed = subprocess.run(
        [sys.executable, "-c", CHANGER, app.config["SQLALCHEMY_DATABASE_URI"], app.config["REDIS_URL"],
         app.config["INSTANCE_DIR"], change, str(world.staff_id), str(world.gate_id), str(other_city)],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert changed.returncode == 0, changed.stderr[-3000:]
    after = scan(client, world.gate_id, make_pass(world.festival_id).code, world.staff)
    if answer == "not_open":
        assert after.get_json()["result"] == "not_open"
    else:
        assert after.status_code == answer, after.get_json()


def test_a_revocation_committed_while_redis_hangs_holds_within_the_keeping_time(
        app, world, make_pass, hanging_redis, monkeypatch):
    gate = hanging_redis.app_process().test_client()
    kept_at = time.monotonic()
    assert scan(gate, world.gate_id, make_pass(world.festival_id).code, world.staff).status_code == 200
    hanging_redis.commit_while_hung(CHANGER, "revoke the token", world.staff_id, world.gate_id, 0)
    # The generation is unchanged: within the keeping time the phone's kept reading still stands ...
    if time.monotonic() - kept_at < users.KEEP_SECONDS - 0.5:
        assert scan(gate, world.gate_id, make_pass(world.festival_id).code, world.staff).status_code == 200
    time.sleep(max(0.0, users.KEEP_SECONDS - (time.monotonic() - kept_at)) + 0.5)
    # ... and after it, the token is read again: refused.
    refused = scan(gate, world.gate_id, make_pass(world.festival_id).code, world.staff)
    assert refused.status_code == 401, refused.get_json()
