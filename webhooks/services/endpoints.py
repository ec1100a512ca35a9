"""Partners' endpoints: added by a city's organisers (or an admin), one city each, optionally one festival.

Services take plain values, flush and never commit: the request commits.
"""
from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app import generations
from app.auth import current_principal, ensure_city
from app.database import db, now_utc
from app.errors import DomainError, Forbidden, Invalid, NotFound
from app.outbox import emit
from events.models import City, Festival
from webhooks.models import DELIVERED, PENDING, WebhookDelivery, WebhookEndpoint
from webhooks.services.addresses import check_url
from webhooks.signing import new_secret
from webhooks.topics import TOPICS

# After a rotation the old secret keeps verifying this long, while the partner switches.
PREVIOUS_SECRET_GRACE = timedelta(days=1)
DEFAULT_ZONE = "Asia/Bangkok"


def city_by_slug(slug):
    city = db.session.scalar(sa.select(City).where(City.slug == slug)) if isinstance(slug, str) else None
    if city is None:
        raise NotFound("city")
    return city


def city_of_caller(slug):
    """The city in the URL, if the caller acts for it (403 otherwise): the API's and the console's one check."""
    city = city_by_slug(slug)
    ensure_city(city.id)
    return city


def endpoint_of_caller(webhook_id):
    return endpoint_for(current_principal(), webhook_id)


def _topics(topics):
    if not isinstance(topics, (list, tuple)) or not topics:
        raise Invalid("topics", "Choose at least one topic.", code="required")
    unknown = [t for t in topics if t not in TOPICS]
    if unknown:
        raise Invalid("topics", f"Unknown topic: {', '.join(map(str, unknown))}. Topics: {', '.join(TOPICS)}.",
                      code="invalid_choice")
    return [t for t in TOPICS if t in topics]  # the contract's order, no repeats


def _festival(city, slug):
    if slug in (None, ""):
        return None
    festival = db.session.scalar(sa.select(Festival).where(Festival.slug == slug, Festival.city_id == city.id))
    if festival is None:
        raise Invalid("festival", "No festival of this city has this slug.", code="unknown_festival")
    return festival


def create_endpoint(city, *, url, topics, festival=None, description="", created_by=None):
    """A new endpoint and its signing secret (returned here once; nobody can read it again)."""
    endpoint = WebhookEndpoint(
        city_id=city.id,
        festival_id=getattr(_festival(city, festival), "id", None),
        url=check_url(url),
        topics=_topics(topics),
        description=(description or "").strip()[:200],
        secret=new_secret(),
        created_by_id=getattr(created_by, "id", None),
    )
    db.session.add(endpoint)
    db.session.flush()
    return endpoint, endpoint.secret


def list_endpoints(city):
    return list(db.session.scalars(
        sa.select(WebhookEndpoint).where(WebhookEndpoint.city_id == city.id).order_by(WebhookEndpoint.id)
    ))


def endpoint_for(user, endpoint_id):
    """The endpoint, if this user acts for its city (404 for an unknown one, 403 for another city's)."""
    endpoint = db.session.get(WebhookEndpoint, endpoint_id) if 0 < endpoint_id <= 2**31 - 1 else None
    if endpoint is None:
        raise NotFound("webhook endpoint")
    if user is None or not user.may_act_in(endpoint.city_id):
        raise Forbidden()
    return endpoint


def update_endpoint(endpoint, user, **changes):
    """Change what an endpoint receives. Only an admin lets it receive names and e-mails."""
    city = db.session.get(City, endpoint.city_id)
    if "url" in changes:
        endpoint.url = check_url(changes["url"])
    if "topics" in changes:
        endpoint.topics = _topics(changes["topics"])
    if "festival" in changes:
        endpoint.festival_id = getattr(_festival(city, changes["festival"]), "id", None)
    if "description" in changes:
        endpoint.description = (changes["description"] or "").strip()[:200]
    if "personal_data" in changes and bool(changes["personal_data"]) != endpoint.personal_data:
        if not user.is_admin:
            raise DomainError("admin_only", "Only an admin can let an endpoint receive names and e-mails.",
                              field="personal_data", status=403)
        endpoint.personal_data = bool(changes["personal_data"])
    if "enabled" in changes:
        if changes["enabled"]:
            switch_on(endpoint)
        else:
            endpoint.enabled = False
            endpoint.disabled_reason = None
            endpoint.disabled_at = now_utc()
    db.session.flush()
    return endpoint


def switch_on(endpoint):
    """On again (after a switch-off, say): its waiting events are due now, its day of failures forgotten."""
    endpoint.enabled = True
    endpoint.disabled_reason = None
    endpoint.disabled_at = None
    endpoint.failing_since = None
    db.session.execute(
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == PENDING)
        .values(next_attempt_at=now_utc())
    )
    emit("webhook.due", endpoint_id=endpoint.id)


def rotate_secret(endpoint):
    """A new secret (returned once); the old one keeps signing beside it for a day."""
    now = now_utc()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_until = now + PREVIOUS_SECRET_GRACE
    endpoint.secret = new_secret()
    db.session.flush()
    return endpoint.secret


def signing_secrets(endpoint, now=None):
    now = now or now_utc()
    secrets_ = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_until and endpoint.previous_secret_until > now:
        secrets_.append(endpoint.previous_secret)
    return secrets_


def delete_endpoint(endpoint):
    db.session.delete(endpoint)
    db.session.flush()


def recent_deliveries(endpoint, limit=20):
    return list(db.session.scalars(
        sa.select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
        .order_by(WebhookDelivery.id.desc()).limit(limit)
    ))


def zone_of(endpoint):
    """The city's time zone: its festival's, else that of the city's latest festival (cities keep none)."""
    if endpoint.festival_id is not None:
        name = db.session.scalar(sa.select(Festival.timezone).where(Festival.id == endpoint.festival_id))
    else:
        name = db.session.scalar(
            sa.select(Festival.timezone).where(Festival.city_id == endpoint.city_id)
            .order_by(Festival.starts_on.desc()).limit(1)
        )
    return ZoneInfo(name or DEFAULT_ZONE)


def subscribers(topic, festival_id):
    """Enabled endpoints that want this topic for this festival (those of its city without a festival too)."""
    city_id = sa.select(Festival.city_id).where(Festival.id == festival_id).scalar_subquery()
    candidates = db.session.scalars(
        sa.select(WebhookEndpoint).where(
            WebhookEndpoint.enabled.is_(True),
            WebhookEndpoint.city_id == city_id,
            sa.or_(WebhookEndpoint.festival_id.is_(None), WebhookEndpoint.festival_id == festival_id),
        ).order_by(WebhookEndpoint.id)
    )
    return [endpoint for endpoint in candidates if topic in (endpoint.topics or ())]


# Whether anyone listens is asked by every admitted gate scan, and the answer changes only when
# an endpoint does: each process keeps its answers under the generation token it read first (in
# Redis, app.generations), and a commit that adds, removes or changes an endpoint replaces
# the token (below), so the next scan in every process and on every node asks the database again.
GENERATION_KEY = generations.register("webhooks:endpoints:generation")
# If Redis did not answer when an endpoint changed, the token stayed as it was: a kept answer is
# asked again after this long all the same, so a missed replacement heals within a minute.
KEEP_SECONDS = 60
# What a listener depends on; a delivery pass's lease and error columns change nothing of it.
_LISTENING = ("city_id", "festival_id", "topics", "enabled")
_KEPT = "webhooks.wants"


def wants(topic, festival_id=None, **_payload):
    """For app.outbox.wanted(): does any enabled endpoint listen to this topic at this festival?"""
    if festival_id is None:
        return False
    answer, _kept = generations.kept(GENERATION_KEY, _KEPT, (topic, festival_id),
                                     lambda: bool(subscribers(topic, festival_id)), seconds=KEEP_SECONDS)
    return answer


@sa.event.listens_for(Session, "after_flush")
def _note_listener_changes(session, _context):
    if generations.replacing(session, GENERATION_KEY):
        return
    for endpoint in (*session.new, *session.deleted, *session.dirty):
        if isinstance(endpoint, WebhookEndpoint) and (
            endpoint in session.new or endpoint in session.deleted or _listening_changed(endpoint)
        ):
            generations.replace_after_commit(session, GENERATION_KEY)
            return


def _listening_changed(endpoint):
    attributes = sa.inspect(endpoint).attrs
    return any(attributes[name].history.has_changes() for name in _LISTENING)


def delivered_count(endpoint):
    return db.session.scalar(sa.select(sa.func.count(WebhookDelivery.id)).where(
        WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == DELIVERED))
