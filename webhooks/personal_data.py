"""A visitor's part in webhook deliveries (app/personal_data.py): erased with their pass.

Deliveries to an endpoint an admin allowed to receive names and e-mails keep those in
their stored body (retries send the same bytes). When the pass is anonymised, the
stored copies lose the name and e-mail; what the partner received is theirs to erase
as processor or controller (docs/privacy.md).
"""
import json

import sqlalchemy as sa

from app.database import db
from app.personal_data import eraser
from webhooks.models import WebhookDelivery

PERSONAL_FIELDS = ("name", "email")


@eraser("webhooks.deliveries")
def erase_deliveries(identities):
    pass_ids = [identity.pass_id for identity in identities]
    deliveries = db.session.scalars(sa.select(WebhookDelivery).where(WebhookDelivery.pass_id.in_(pass_ids)))
    for delivery in deliveries:
        body = json.loads(delivery.body)
        data = body.get("data") or {}
        if any(data.get(name) for name in PERSONAL_FIELDS):
            for name in PERSONAL_FIELDS:
                if name in data:
                    data[name] = None
            delivery.body = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
