"""Delivering what endpoints are owed: a pass sends every due delivery, endpoints side by side.

One pass (a worker job on the `webhooks` queue, started after events are recorded
and every few seconds by the schedule):

1. leases each endpoint with due deliveries (endpoint.lease_token), so that a second
   pass running in another worker leaves it alone and its events go out one at a time,
   in the order they were recorded;
2. gives each leased endpoint its own thread, which POSTs that endpoint's due events in
   order. Threads only talk HTTP; every result is written by the pass's own thread as
   it arrives. A slow or hanging endpoint therefore holds up its own events only: the
   others' go out, and are recorded, while it hangs. Each POST has a deadline
   (WEBHOOKS_TIMEOUT, a few seconds); an endpoint that times out or cannot be reached
   is left until its next retry, its other events with it, instead of being tried again
   and again in the same pass;
3. schedules a retry for each failure (RETRY_DELAYS: the first within a minute, growing,
   for about a day), and switches off an endpoint that has failed for a day (its first
   failure since a success is `failing_since`), which mails its organisers.

Retries keep the delivery's body and event id: a partner de-duplicates on `id`.
"""
import logging
import queue
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app.database import db, now_utc
from app.outbox import emit
from webhooks.models import DELIVERED, FAILED, FAILING, PENDING, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.services import transport
from webhooks.services.addresses import Policy
from webhooks.services.endpoints import signing_secrets
from webhooks.signing import HEADER, header
from webhooks.topics import TEST_TOPIC

log = logging.getLogger(__name__)

# Seconds to wait after each failed attempt: the first retry within a minute, then growing;
# twelve attempts span about 26 hours. After the last failure the delivery is `failed`
# (the console can still send it again).
RETRY_DELAYS = (30, 60, 300, 900, 1800, 3600, 7200, 14400, 21600, 21600, 21600)
SWITCH_OFF_AFTER = timedelta(days=1)
PER_ENDPOINT = 50  # deliveries one endpoint gets in one pass; the rest wait for the next
ENDPOINT_BUDGET = 20.0  # seconds: no new POST to an endpoint after this long in one pass
DEFAULT_TIMEOUT = 5.0
DEFAULT_CONCURRENCY = 8
KEEP_DELIVERIES = timedelta(days=30)  # settled deliveries (and what they carried) are kept this long


@dataclass
class _Plan:
    endpoint_id: int
    token: str
    url: str
    secrets: list
    deliveries: list  # [(delivery id, body)], oldest first
    attempted: list = field(default_factory=list)
    stalled_after: int | None = None  # the delivery whose failure said the endpoint is unreachable


def next_delay(attempts):
    """Seconds until the next try after `attempts` failed ones, or None when they are used up."""
    return RETRY_DELAYS[attempts - 1] if attempts - 1 < len(RETRY_DELAYS) else None


def _settings():
    config = current_app.config
    timeout = float(config.get("WEBHOOKS_TIMEOUT") or DEFAULT_TIMEOUT)
    concurrency = int(config.get("WEBHOOKS_CONCURRENCY") or DEFAULT_CONCURRENCY)
    return timeout, max(1, concurrency)


def due_endpoints(now=None, endpoint_ids=None):
    now = now or now_utc()
    query = (
        sa.select(WebhookDelivery.endpoint_id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.status == PENDING,
            WebhookDelivery.next_attempt_at <= now,
            WebhookEndpoint.enabled.is_(True),
            sa.or_(WebhookEndpoint.leased_until.is_(None), WebhookEndpoint.leased_until < now),
        )
        .distinct()
    )
    if endpoint_ids:
        query = query.where(WebhookDelivery.endpoint_id.in_(list(endpoint_ids)))
    return sorted(db.session.scalars(query))


def _lease(endpoint_id, now, seconds):
    token = uuid.uuid4().hex
    result = db.session.execute(
        sa.update(WebhookEndpoint)
        .where(
            WebhookEndpoint.id == endpoint_id,
            WebhookEndpoint.enabled.is_(True),
            sa.or_(WebhookEndpoint.leased_until.is_(None), WebhookEndpoint.leased_until < now),
        )
        .values(lease_token=token, leased_until=now + timedelta(seconds=seconds))
        .execution_options(synchronize_session=False)
    )
    return token if result.rowcount == 1 else None


def _release(endpoint_id, token):
    db.session.execute(
        sa.update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.lease_token == token)
        .values(lease_token=None, leased_until=None)
        .execution_options(synchronize_session=False)
    )


def _plans(endpoint_ids, now, lease_seconds):
    plans = []
    for endpoint_id in endpoint_ids:
        token = _lease(endpoint_id, now, lease_seconds)
        if token is None:
            continue  # another pass holds it
        endpoint = db.session.get(WebhookEndpoint, endpoint_id)
        rows = db.session.execute(
            sa.select(WebhookDelivery.id, WebhookDelivery.body)
            .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == PENDING,
                   WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.id)
            .limit(PER_ENDPOINT)
        ).all()
        plans.append(_Plan(endpoint_id, token, endpoint.url, signing_secrets(endpoint, now), [tuple(r) for r in rows]))
    db.session.commit()  # the leases, before any POST
    return plans


def _send(plan, results, timeout, policy):
    """In a thread of its own: POST this endpoint's deliveries in order. No database, no app context here."""
    started = time.monotonic()
    try:
        for delivery_id, body in plan.deliveries:
            if time.monotonic() - started > ENDPOINT_BUDGET:
                break
            raw = body.encode("utf-8")
            at = now_utc()
            headers = {"Content-Type": "application/json; charset=utf-8",
                       HEADER: header(plan.secrets, int(time.time()), raw)}
            answer = transport.post(plan.url, raw, headers, timeout, policy)
            plan.attempted.append(delivery_id)
            results.put(("attempt", plan, delivery_id, at, answer))
            if answer.unreachable:
                plan.stalled_after = delivery_id
                break
    except Exception:  # noqa: BLE001 - a bug here must not pass silently inside the pool
        log.exception("webhook endpoint %s: sending stopped", plan.endpoint_id)
    finally:
        results.put(("done", plan, None, None, None))


def run_pass(endpoint_ids=None):
    """Send every due delivery (of these endpoints, or of all); returns the number of attempts made."""
    timeout, concurrency = _settings()
    policy = Policy.from_config()
    now = now_utc()
    ids = due_endpoints(now, endpoint_ids)
    if not ids:
        return 0
    plans = _plans(ids, now, lease_seconds=ENDPOINT_BUDGET + 2 * timeout + 60)
    if not plans:
        return 0
    results = queue.Queue()
    attempts = 0
    pool = ThreadPoolExecutor(max_workers=min(concurrency, len(plans)), thread_name_prefix="webhook")
    try:
        for plan in plans:
            pool.submit(_send, plan, results, timeout, policy)
        finished = 0
        while finished < len(plans):
            kind, plan, delivery_id, at, answer = results.get()
            if kind == "attempt":
                record_attempt(delivery_id, at, answer)
                attempts += 1
            else:
                _close(plan)
                finished += 1
            db.session.commit()
    finally:
        pool.shutdown(wait=True)
    return attempts


def _close(plan):
    """The endpoint's part of the pass is over: what an unreachable endpoint left waits for its retry."""
    if plan.stalled_after is not None:
        retry_at = db.session.scalar(
            sa.select(WebhookDelivery.next_attempt_at).where(WebhookDelivery.id == plan.stalled_after))
        waiting = [delivery_id for delivery_id, _ in plan.deliveries if delivery_id not in plan.attempted]
        if retry_at is not None and waiting:
            db.session.execute(
                sa.update(WebhookDelivery)
                .where(WebhookDelivery.id.in_(waiting), WebhookDelivery.status == PENDING,
                       WebhookDelivery.next_attempt_at < retry_at)
                .values(next_attempt_at=retry_at)
                .execution_options(synchronize_session=False)
            )
    _release(plan.endpoint_id, plan.token)


def record_attempt(delivery_id, at, answer):
    """Write one POST's outcome: delivered, or the next retry, or given up; and the endpoint's health."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        return None  # the endpoint was deleted meanwhile
    endpoint = delivery.endpoint
    delivery.attempts += 1
    delivery.first_attempt_at = delivery.first_attempt_at or at
    db.session.add(WebhookAttempt(
        delivery_id=delivery.id, endpoint_id=endpoint.id, number=delivery.attempts, at=at,
        status_code=answer.status_code, duration_ms=answer.duration_ms, error=answer.error,
        detail=answer.detail or None, ok=answer.ok,
    ))
    if answer.ok:
        delivery.status = DELIVERED
        delivery.delivered_at = at
        delivery.next_attempt_at = None
        endpoint.failing_since = None
        endpoint.last_error = None
        return delivery
    endpoint.last_error = (f"{answer.error} {answer.status_code or ''}".strip() + (
        f": {answer.detail}" if answer.detail else ""))[:500]
    delay = None if delivery.topic == TEST_TOPIC else next_delay(delivery.attempts)
    if delay is None:
        delivery.status = FAILED
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = at + timedelta(seconds=delay)
    if delivery.topic != TEST_TOPIC:
        _note_failure(endpoint, at)
    return delivery


def _note_failure(endpoint, at):
    if endpoint.failing_since is None:
        endpoint.failing_since = at
    elif endpoint.enabled and at - endpoint.failing_since >= SWITCH_OFF_AFTER:
        switch_off(endpoint, at)


def switch_off(endpoint, at):
    """Failing for a day: nothing more is sent until an organiser switches it on; they are mailed."""
    endpoint.enabled = False
    endpoint.disabled_reason = FAILING
    endpoint.disabled_at = at
    emit("webhook.switched_off", endpoint_id=endpoint.id, city_id=endpoint.city_id)
    log.warning("webhook endpoint %s switched off: failing since %s (%s)", endpoint.id,
                endpoint.failing_since.isoformat(), endpoint.last_error)


def retry(delivery):
    """Send a delivery again now (a failed one, or one waiting for its retry)."""
    if delivery.status == DELIVERED:
        return delivery
    delivery.status = PENDING
    delivery.next_attempt_at = now_utc()
    db.session.flush()
    emit("webhook.due", endpoint_id=delivery.endpoint_id)
    return delivery


def purge(keep=KEEP_DELIVERIES):
    """Deliveries settled (delivered or given up) longer ago than `keep`, with their attempts. Returns how many."""
    cutoff = now_utc() - keep
    old = sa.select(WebhookDelivery.id).where(WebhookDelivery.status.in_((DELIVERED, FAILED)),
                                              WebhookDelivery.created_at < cutoff)
    db.session.execute(sa.delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(old))
                       .execution_options(synchronize_session=False))
    result = db.session.execute(sa.delete(WebhookDelivery).where(WebhookDelivery.id.in_(old))
                                .execution_options(synchronize_session=False))
    return result.rowcount


def delivery_for(endpoint, delivery_id):
    delivery = db.session.get(WebhookDelivery, delivery_id) if 0 < delivery_id <= 2**31 - 1 else None
    if delivery is None or delivery.endpoint_id != endpoint.id:
        return None
    return delivery


