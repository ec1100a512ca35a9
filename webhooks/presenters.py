"""Endpoints and deliveries as the API shows them (never a secret: creation and rotation add theirs)."""
import sqlalchemy as sa

from app.database import db
from events.models import City, Festival
from webhooks.services.endpoints import recent_deliveries


def delivery_answer(delivery):
    return {
        "id": delivery.id, "event_id": delivery.event_id, "topic": delivery.topic, "status": delivery.status,
        "attempts": delivery.attempts, "next_attempt_at": delivery.next_attempt_at,
        "delivered_at": delivery.delivered_at, "created_at": delivery.created_at,
        "tries": [{"number": t.number, "at": t.at, "status_code": t.status_code, "duration_ms": t.duration_ms,
                   "error": t.error, "ok": t.ok} for t in delivery.tries],
    }


def endpoint_answer(endpoint, with_deliveries=False):
    answer = {
        "id": endpoint.id,
        "city": db.session.scalar(sa.select(City.slug).where(City.id == endpoint.city_id)),
        "festival": db.session.scalar(sa.select(Festival.slug).where(Festival.id == endpoint.festival_id))
        if endpoint.festival_id else None,
        "url": endpoint.url, "topics": list(endpoint.topics or ()), "description": endpoint.description,
        "enabled": endpoint.enabled, "disabled_reason": endpoint.disabled_reason,
        "disabled_at": endpoint.disabled_at, "failing_since": endpoint.failing_since,
        "last_error": endpoint.last_error, "personal_data": endpoint.personal_data,
        "previous_secret_until": endpoint.previous_secret_until, "created_at": endpoint.created_at,
    }
    if with_deliveries:
        answer["deliveries"] = [delivery_answer(d) for d in recent_deliveries(endpoint)]
    return answer
