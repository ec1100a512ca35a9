"""Whether an endpoint listens to scan.admitted is kept per process (every admitted gate scan asks):
a change to the endpoints, made through another process, is seen by the very next scan of every
process, and nothing that leaves the listeners as they were makes a process ask again."""
import time

import pytest
import sqlalchemy as sa

from app import create_app
from app.database import db
from app.extensions import limiter
from app.generations import generation
from app.outbox import OutboxMessage
from checkin.checkpoints import create_checkpoint
from checkin.models import Checkpoint
from checkin.scanning import scan_code
from events.models import Festival
from registrations import pass_codes
from registrations.models import Pass
from tests.conftest import bearer
from webhooks.models import WebhookEndpoint
from webhooks.services import endpoints

API = "/api/v1"


@pytest.fixture
def gate_process(app):
    """Another gunicorn process (or node): an app of its own on the same database and Redis."""
    other = create_app({
        **{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "REDIS_URL", "SECRET_KEY", "INSTANCE_DIR")},
        "TESTING": True,
        "RATELIMIT_ENABLED": True,
    })
    assert limiter.enabled
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def gate(app, city):
    with app.app_context():
        checkpoint = create_checkpoint(db.session.get(Festival, city.festival_id), name="Gate 1", kind="gate")
        db.session.commit()
        return checkpoint.id


def _scan(process, gate_id, pass_id):
    with process.app_context():
        code = pass_codes.issue(db.session.get(Pass, pass_id))
        outcome = scan_code(db.session.get(Checkpoint, gate_id), code, device_id="gate-phone")
        db.session.commit()
        return outcome.result


def _told(app):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)).where(
            OutboxMessage.topic == "scan.admitted"))


def _add(client, token, url, topics):
    answer = client.post(f"{API}/cities/bangkok/webhooks", json={"url": url, "topics": list(topics)},
                         headers=bearer(token))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def test_an_endpoint_added_through_one_process_is_told_the_next_scan_of_another(
        app, client, city, gate, gate_process, sign_up, receiver):
    assert _scan(gate_process, gate, sign_up()) == "admitted"  # the gate's process now knows: nobody listens
    assert _told(app) == 0
    _add(client, city.organiser, receiver.url("/gate"), ("scan.admitted",))
    assert _scan(gate_process, gate, sign_up()) == "admitted"
    assert _told(app) == 1


def test_changing_an_endpoint_topics_or_switching_it_on_is_seen_at_the_next_scan(
        app, client, city, gate, gate_process, sign_up, receiver):
    hook = _add(client, city.organiser, receiver.url("/passes"), ("pass.created",))
    assert _scan(gate_process, gate, sign_up()) == "admitted"
    assert _told(app) == 0
    assert client.patch(f"{API}/webhooks/{hook}", json={"topics": ["pass.created", "scan.admitted"]},
                        headers=bearer(city.organiser)).status_code == 200
    assert _scan(gate_process, gate, sign_up()) == "admitted"
    assert _told(app) == 1
    assert client.patch(f"{API}/webhooks/{hook}", json={"enabled": False},
                        headers=bearer(city.organiser)).status_code == 200
    assert _scan(gate_process, gate, sign_up()) == "admitted"
    assert _told(app) == 1  # switched off: not told
    assert client.patch(f"{API}/webhooks/{hook}", json={"enabled": True},
                        headers=bearer(city.organiser)).status_code == 200
    assert _scan(gate_process, gate, sign_up()) == "admitted"
    assert _told(app) == 2


def test_an_endpoint_written_by_any_code_of_any_process_replaces_the_generation(app, city):
    with app.app_context():
        before = generation(endpoints.GENERATION_KEY)
        endpoint = WebhookEndpoint(city_id=city.id, url="https://partner.example/hook", topics=["scan.admitted"],
                                   secret="s" * 40)
        db.session.add(endpoint)
        db.session.commit()
        added = generation(endpoints.GENERATION_KEY)
        endpoint.last_error = "timeout"  # a delivery's bookkeeping: who listens has not changed
        endpoint.leased_until = None
        db.session.commit()
        unchanged = generation(endpoints.GENERATION_KEY)
        db.session.delete(endpoint)
        db.session.flush()
        db.session.rollback()  # a change rolled back changes nothing
        db.session.execute(sa.select(1))
        db.session.commit()
        rolled_back = generation(endpoints.GENERATION_KEY)
    assert before != added and added == unchanged == rolled_back


# Another process that adds an endpoint while the shared Redis hangs: its commit cannot replace
# the generation token, as in production where each process has its own limiter store.
WRITER = """
import sys
from app import create_app
from app.database import db
from webhooks.models import WebhookEndpoint
database, redis_url, instance, city_id = sys.argv[1:]
app = create_app({"TESTING": True, "RATELIMIT_ENABLED": True, "SQLALCHEMY_DATABASE_URI": database,
                  "REDIS_URL": redis_url, "SECRET_KEY": "test-secret-key-not-for-production", "INSTANCE_DIR": instance})
with app.app_context():
    db.session.add(WebhookEndpoint(city_id=int(city_id), url="https://partner.example/gate",
                                   topics=["scan.admitted"], secret="s" * 40))
    db.session.commit()
"""


def test_an_endpoint_added_while_redis_hangs_is_told_within_the_keeping_time(
        app, city, gate, sign_up, hanging_redis, monkeypatch):
    monkeypatch.setattr(endpoints, "KEEP_SECONDS", 10)  # a minute in production; the rule is the same
    gate_process = hanging_redis.app_process()
    asked_at = time.monotonic()
    assert _scan(gate_process, gate, sign_up()) == "admitted"  # kept: nobody listens
    hanging_redis.commit_while_hung(WRITER, city.id)
    assert _scan(gate_process, gate, sign_up()) == "admitted"
    # The token is unchanged: within the keeping time the gate still believes nobody listens ...
    if time.monotonic() - asked_at < endpoints.KEEP_SECONDS - 0.5:
        assert _told(app) == 0
    time.sleep(max(0.0, endpoints.KEEP_SECONDS - (time.monotonic() - asked_at)) + 1.0)
    # ... and after it, asks the database again: the partner is told.
    assert _scan(gate_process, gate, sign_up()) == "admitted"
    assert _told(app) == 1
