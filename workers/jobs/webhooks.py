"""Webhook jobs, thin: record an outbox event's deliveries, run a delivery pass, mail a switch-off.

The work is webhooks.services'; these fetch by id, call it, commit, and start a pass.
"""
import logging
import time

import sqlalchemy as sa
from app.database import db
from app.enqueue import enqueue_once
from app.queues import WEBHOOKS
from app.users import ORGANISER, User
from events.models import City
from webhooks.models import WebhookEndpoint
from webhooks.services import delivery, events, notices
from mail.services import compose, ledger

log = logging.getLogger(__name__)

PASS_JOB = "workers.jobs.webhooks.deliver"
# A pass waits on partners for at most ENDPOINT_BUDGET plus one timeout per endpoint (in parallel).
PASS_TIMEOUT = 300


def start_pass():
    """Enqueue a delivery pass on the webhooks queue: at most one a second, however many events arrive.

    A pass started meanwhile by the schedule (every few seconds) picks up whatever this one missed.
    """
    # No retry of its own (the schedule's next pass is the retry); gone as soon as it finished,
    # so that the next second's pass may be enqueued under its own id.
    enqueue_once(WEBHOOKS, PASS_JOB, {}, f"webhooks-pass-{int(time.time())}", retry=None, timeout=PASS_TIMEOUT,
                 result_ttl=0, failure_ttl=7 * 24 * 3600, description="webhook delivery pass")


def record_event(message_id):
    """Deliveries for one committed outbox message, then a pass to send them."""
    touched = events.record(message_id)
    db.session.commit()
    if touched:
        start_pass()
    return touched


def deliver(endpoint_id=None):
    """One delivery pass (of every endpoint with something due). Runs on the webhooks queue."""
    return delivery.run_pass()


def purge_deliveries():
    """Daily: settled deliveries older than 30 days go, with the bodies they carried."""
    count = delivery.purge()
    db.session.commit()
    return count


def due(endpoint_id):
    """Something became due for an endpoint (a test event, a retry, switched on again): start a pass."""
    start_pass()
    return endpoint_id


def notify_switched_off(endpoint_id, message_id):
    """Mail each organiser of the endpoint's city once: it was switched off, why, and where to switch it on."""
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.enabled:
        return 0
    city_slug = db.session.scalar(sa.select(City.slug).where(City.id == endpoint.city_id))
    organisers = db.session.scalars(
        sa.select(User).where(User.city_id == endpoint.city_id, User.role == ORGANISER, User.active.is_(True))
        .order_by(User.id)
    )
    subject, text, html = notices.switched_off(endpoint, city_slug)
    sent = 0
    for user in organisers:
        def build(mail_id, user=user):
            return compose.compose(message_id=mail_id, to_name=user.name, to_email=user.email, subject=subject,
                                   text=text, html=html)

        if ledger.send_once(f"webhook.switched_off:{message_id}:{user.id}", "webhook.switched_off", None,
                            user.email, build, compose.our_domain()):
            sent += 1
    return sent
