"""The endpoints API: who may add and read them, the secret shown once, and the URLs refused."""
import json

import pytest
import sqlalchemy as sa

from app.audit import AuditEntry
from app.database import db
from tests.conftest import bearer
from webhooks.models import WebhookEndpoint

API = "/api/v1"


def add(client, token, url, topics=("pass.created",), city="bangkok", **fields):
    return client.post(f"{API}/cities/{city}/webhooks", json={"url": url, "topics": list(topics), **fields},
                       headers=bearer(token))


def test_the_secret_is_shown_at_creation_and_never_again(client, city, receiver):
    created = add(client, city.organiser, receiver.url(), festival=city.festival)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    secret = body["secret"]
    assert secret.startswith("whsec_") and len(secret) > 30
    assert body["festival"] == city.festival and body["city"] == "bangkok" and body["enabled"] is True

    one = client.get(f"{API}/webhooks/{body['id']}", headers=bearer(city.organiser))
    listed = client.get(f"{API}/cities/bangkok/webhooks", headers=bearer(city.organiser))
    patched = client.patch(f"{API}/webhooks/{body['id']}", json={"description": "Library"},
                           headers=bearer(city.organiser))
    for answer in (one, listed, patched):
        assert answer.status_code == 200
        assert secret not in answer.get_data(as_text=True)
        assert "secret" not in json.dumps(answer.get_json()).replace("previous_secret_until", "")
    # Nor in the audit log of the creation.
    with _ctx(client):
        entries = list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "webhook_endpoints")))
        assert entries and all(secret not in json.dumps([e.before, e.after]) for e in entries)


class _ctx:
    def __init__(self, client):
        self.app = client.application

    def __enter__(self):
        self.context = self.app.app_context()
        self.context.push()

    def __exit__(self, *exc):
        db.session.remove()
        self.context.pop()


def test_rotation_shows_the_new_secret_once_and_keeps_the_old_for_a_day(client, city, receiver):
    created = add(client, city.organiser, receiver.url()).get_json()
    rotated = client.post(f"{API}/webhooks/{created['id']}/secret", headers=bearer(city.organiser))
    assert rotated.status_code == 200
    new = rotated.get_json()["secret"]
    assert new != created["secret"] and new.startswith("whsec_")
    shown = client.get(f"{API}/webhooks/{created['id']}", headers=bearer(city.organiser)).get_json()
    assert shown["previous_secret_until"] is not None
    assert new not in json.dumps(shown) and created["secret"] not in json.dumps(shown)


def test_another_citys_organiser_is_refused_and_an_admin_reaches_any_city(client, city, receiver):
    created = add(client, city.organiser, receiver.url()).get_json()
    for method, url in (("GET", f"{API}/cities/bangkok/webhooks"), ("POST", f"{API}/cities/bangkok/webhooks"),
                        ("GET", f"{API}/webhooks/{created['id']}"), ("PATCH", f"{API}/webhooks/{created['id']}"),
                        ("DELETE", f"{API}/webhooks/{created['id']}"),
                        ("POST", f"{API}/webhooks/{created['id']}/secret"),
                        ("POST", f"{API}/webhooks/{created['id']}/test")):
        answer = client.open(url, method=method, json={"url": receiver.url(), "topics": ["pass.created"]},
                             headers=bearer(city.stranger))
        assert answer.status_code == 403, (method, url, answer.status_code)
        assert answer.get_json()["code"] == "forbidden"
    with _ctx(client):
        assert db.session.scalar(sa.select(sa.func.count(WebhookEndpoint.id))) == 1  # nothing added
    assert add(client, city.admin, receiver.url(), city="chiang-mai").status_code == 201
    assert client.get(f"{API}/webhooks/{created['id']}", headers=bearer(city.admin)).status_code == 200
    # A festival of another city is not one of this city's.
    refused = add(client, city.stranger, receiver.url(), city="chiang-mai", festival=city.festival)
    assert refused.status_code == 422 and refused.get_json()["field"] == "festival"


@pytest.mark.parametrize("topics, field", [([], "topics"), (["pass.deleted"], "topics"), ("pass.created", "topics")])
def test_bad_topics_are_422_naming_the_field(client, city, receiver, topics, field):
    answer = client.post(f"{API}/cities/bangkok/webhooks", json={"url": receiver.url(), "topics": topics},
                         headers=bearer(city.organiser))
    assert answer.status_code == 422
    assert field in answer.get_json()["errors"]


@pytest.mark.parametrize("url, code", [
    ("file:///etc/passwd", "scheme"),
    ("ftp://partner.example/hook", "scheme"),
    ("http://10.1.2.3/hook", "private_address"),
    ("http://192.168.1.20:8080/hook", "private_address"),
    ("http://169.254.169.254/latest/meta-data/", "private_address"),
    ("http://[::1]:9000/hook", "private_address"),
    ("http://[::ffff:127.0.0.1]/hook", "private_address"),
    ("http://localhost:9000/hook", "private_address"),  # a name that resolves to loopback
    ("https://user:pw@partner.example/hook", "credentials"),
    ("not a url", "invalid_url"),
    ("partner.example/hook", "scheme"),
    ("https://partner.example/hook HTTP/1.1\r\nX-Evil: 1", "invalid_url"),
    ("https://xn--/hook", "unresolvable"),
])
def test_hostile_urls_are_refused_without_allow_private(app, client, city, url, code):
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = False
    answer = add(client, city.organiser, url)
    assert answer.status_code == 422, answer.get_json()
    assert answer.get_json()["code"] == code and answer.get_json()["field"] == "url"
    with _ctx(client):
        assert db.session.scalar(sa.select(sa.func.count(WebhookEndpoint.id))) == 0


def test_production_takes_https_only(app, client, city):
    app.config.update(PRODUCTION=True, WEBHOOKS_ALLOW_PRIVATE=True)
    answer = add(client, city.organiser, "http://127.0.0.1:9/hook")
    assert answer.status_code == 422 and answer.get_json()["code"] == "scheme"


def test_only_an_admin_lets_an_endpoint_receive_names_and_it_is_audited(client, city, receiver):
    created = add(client, city.organiser, receiver.url()).get_json()
    refused = client.patch(f"{API}/webhooks/{created['id']}", json={"personal_data": True},
                           headers=bearer(city.organiser))
    assert refused.status_code == 403 and refused.get_json()["code"] == "admin_only"
    allowed = client.patch(f"{API}/webhooks/{created['id']}", json={"personal_data": True}, headers=bearer(city.admin))
    assert allowed.status_code == 200 and allowed.get_json()["personal_data"] is True
    with _ctx(client):
        entry = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.entity == "webhook_endpoints", AuditEntry.action == "update")).one()
        assert entry.role == "admin" and entry.after == {"personal_data": True} and entry.city_id == city.id
