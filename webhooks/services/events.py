"""The events owed to endpoints: an outbox message becomes one delivery per subscribed endpoint.

Called by a worker job after the message's transaction committed (never from inside
it). The body is written once, here: every retry sends the same bytes and the same
event id, so a partner de-duplicates on `id`.

Payloads carry ids and what names nobody (seats, statuses, times, results). A
visitor's name and e-mail are added only for an endpoint an admin allowed
(`personal_data`, audited; docs/privacy.md).
"""
import json
import uuid

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.database import db, now_utc
from app.outbox import OutboxMessage, emit
from checkin.models import Checkpoint, Scan
from events.models import City, Festival, ProgrammeSession
from registrations.models import Booking, Pass
from registrations.services import waitlist_position
from reports.models import Report
from webhooks.models import PENDING, WebhookDelivery
from webhooks.services.endpoints import subscribers
from webhooks.topics import FROM_OUTBOX, TEST_TOPIC


def _iso(value):
    return value.isoformat() if value is not None else None


def _person(pass_):
    if pass_ is None or pass_.anonymised_at is not None:
        return {}
    return {"name": pass_.name, "email": pass_.email}


def _pass_data(payload):
    pass_ = db.session.get(Pass, payload["pass_id"])
    if pass_ is None:
        return None, None
    data = {"pass_id": pass_.id, "age_group": pass_.age_group, "party_size": pass_.party_size,
            "status": pass_.status, "locale": pass_.locale}
    return data, pass_


def _booking_data(payload):
    booking = db.session.get(Booking, payload["booking_id"])
    if booking is None:
        return None, None
    data = {"booking_id": booking.id, "pass_id": booking.pass_id, "session_id": booking.session_id,
            "seats": booking.seats, "status": booking.status, "waitlist_position": waitlist_position(booking)}
    return data, booking.pass_


def _session_data(payload, topic):
    session = db.session.get(ProgrammeSession, payload["session_id"])
    if session is None:
        return None, None
    change = {"session.moved": "moved", "session.cancelled": "cancelled",
              "session.capacity_changed": "capacity"}[topic]
    data = {"session_id": session.id, "change": change, "status": session.status,
            "starts_at": _iso(session.starts_at), "ends_at": _iso(session.ends_at), "venue_id": session.venue_id,
            "capacity": session.capacity, "seats_left": session.seats_left,
            "waitlist_length": session.waitlist_length}
    if topic == "session.moved":
        data["changes"] = payload.get("changes")
    return data, None


def _scan_data(payload):
    scan = db.session.get(Scan, payload["scan_id"])
    if scan is None:
        return None, None
    checkpoint = db.session.get(Checkpoint, scan.checkpoint_id)
    data = {"scan_id": scan.id, "checkpoint_id": scan.checkpoint_id, "checkpoint_kind": checkpoint.kind,
            "session_id": checkpoint.session_id, "booth_id": checkpoint.booth_id, "pass_id": scan.pass_id,
            "result": scan.result, "walk_in": scan.walk_in, "party_size": scan.party_size,
            "scanned_at": _iso(scan.scanned_at)}
    return data, db.session.get(Pass, scan.pass_id) if scan.pass_id else None


def _report_data(payload):
    report = db.session.get(Report, payload["report_id"])
    if report is None:
        return None, None
    data = {"report_id": report.id, "status": report.status, "formats": sorted(report.files or {}),
            "scans": report.scans, "finished_at": _iso(report.finished_at)}
    return data, None


def _data(message):
    """(data, the pass whose holder it concerns or None), or (None, None) when the thing is gone."""
    topic, payload = message.topic, message.payload
    if topic.startswith("pass."):
        return _pass_data(payload)
    if topic.startswith("booking."):
        return _booking_data(payload)
    if topic.startswith("session."):
        return _session_data(payload, topic)
    if topic == "scan.admitted":
        return _scan_data(payload)
    if topic == "report.finished":
        return _report_data(payload)
    return None, None


def event_id(message):
    """Stable per outbox message: the same on every retry and at every endpoint. The time of the
    message rides along so that a database restored or rebuilt (ids counted again) never reuses
    an id a partner already de-duplicates on."""
    return f"evt_{message.id}_{int(message.created_at.timestamp() * 1_000_000):x}"


def body(event_id_, topic, occurred_at, city_slug, festival_slug, data):
    return json.dumps(
        {"id": event_id_, "topic": topic, "occurred_at": _iso(occurred_at), "city": city_slug,
         "festival": festival_slug, "data": data},
        ensure_ascii=False, separators=(",", ":"),
    )


def _slugs(festival_id):
    row = db.session.execute(
        sa.select(City.slug, Festival.slug).join(Festival, Festival.city_id == City.id).where(Festival.id == festival_id)
    ).first()
    return (row[0], row[1]) if row else (None, None)


def record(message_id):
    """Deliveries for this outbox message, one per endpoint that subscribes; their endpoint ids.

    Safe to run twice: (endpoint, event id) is unique, a second run adds nothing.
    """
    message = db.session.get(OutboxMessage, message_id)
    topic = FROM_OUTBOX.get(message.topic) if message is not None else None
    festival_id = (message.payload or {}).get("festival_id") if message is not None else None
    if topic is None or festival_id is None:
        return []
    endpoints = subscribers(topic, festival_id)
    if not endpoints:
        return []
    data, pass_ = _data(message)
    if data is None:
        return []
    city_slug, festival_slug = _slugs(festival_id)
    event = event_id(message)
    now = now_utc()
    plain = body(event, topic, message.created_at, city_slug, festival_slug, data)
    named = body(event, topic, message.created_at, city_slug, festival_slug, {**data, **_person(pass_)})
    touched = []
    for endpoint in endpoints:
        exists = db.session.scalar(sa.select(WebhookDelivery.id).where(
            WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.event_id == event))
        if exists:
            continue
        try:
            with db.session.begin_nested():
                db.session.add(WebhookDelivery(
                    endpoint_id=endpoint.id, event_id=event, topic=topic, message_id=message.id,
                    pass_id=getattr(pass_, "id", None), body=named if endpoint.personal_data else plain,
                    status=PENDING, next_attempt_at=now,
                ))
        except IntegrityError:
            continue  # a racing run of the same job recorded it
        touched.append(endpoint.id)
    db.session.flush()
    return touched


def record_test(endpoint):
    """A test event for this endpoint, due now (the console's "Send a test event")."""
    city_slug = db.session.scalar(sa.select(City.slug).where(City.id == endpoint.city_id))
    festival_slug = db.session.scalar(sa.select(Festival.slug).where(Festival.id == endpoint.festival_id)) \
        if endpoint.festival_id else None
    event = f"evt_test_{uuid.uuid4().hex}"
    now = now_utc()
    delivery = WebhookDelivery(
        endpoint_id=endpoint.id, event_id=event, topic=TEST_TOPIC, body=body(
            event, TEST_TOPIC, now, city_slug, festival_slug,
            {"message": "A test event from Thetsakan: your endpoint is reachable and verifies our signature."},
        ),
        status=PENDING, next_attempt_at=now,
    )
    db.session.add(delivery)
    db.session.flush()
    emit("webhook.due", endpoint_id=endpoint.id)
    return delivery
