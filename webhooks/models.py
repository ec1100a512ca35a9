"""A partner's endpoint, each event it is owed (a delivery) and each try at handing it over (an attempt).

Models never commit, send or enqueue: webhooks.services does the work, workers run it.
"""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.access import city_resolver
from app.audit import audited
from app.database import UTCDateTime, db, now_utc

# Why an endpoint no longer receives anything.
FAILING = "failing"  # it answered nothing good for a day: switched off, its organisers mailed

# A delivery's life: pending (due at next_attempt_at) -> delivered, or failed once its retries ran out.
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
DELIVERY_STATUSES = (PENDING, DELIVERED, FAILED)


# Who pointed the city's events where, and who let names and e-mails out; never the secrets.
@audited(city=lambda session, endpoint: endpoint.city_id, secrets=("secret", "previous_secret", "lease_token"))
class WebhookEndpoint(db.Model):
    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    city_id: Mapped[int] = mapped_column(sa.ForeignKey("cities.id", ondelete="CASCADE"), index=True)
    # None: every festival of the city.
    festival_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("festivals.id", ondelete="CASCADE"), nullable=True, index=True
    )
    url: Mapped[str] = mapped_column(sa.String(2000))
    topics: Mapped[list] = mapped_column(sa.JSON, default=list)
    description: Mapped[str] = mapped_column(sa.String(200), default="")
    # Kept in clear because every delivery is signed with it; never shown after creation,
    # never written to the audit log (app.audit redacts it).
    secret: Mapped[str] = mapped_column(sa.String(100))
    # After a rotation the old secret signs beside the new one until previous_secret_until.
    previous_secret: Mapped[str | None] = mapped_column(sa.String(100), nullable=True)
    previous_secret_until: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    # Names and e-mails of visitors go out only where an admin allowed it (PDPA, docs/privacy.md).
    personal_data: Mapped[bool] = mapped_column(default=False)
    enabled: Mapped[bool] = mapped_column(default=True, index=True)
    disabled_reason: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    disabled_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    # The first failure since the last success: a day of failures switches the endpoint off.
    failing_since: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)
    # A delivery pass holds the endpoint while it sends, so that its events go out one at a
    # time and in order even when several webhook workers run.
    lease_token: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    leased_until: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=now_utc)

    deliveries: Mapped[list["WebhookDelivery"]] = relationship(
        back_populates="endpoint", cascade="all, delete-orphan", passive_deletes=True
    )


class WebhookDelivery(db.Model):
    """One event owed to one endpoint. Its body is fixed when the event is recorded: every retry
    sends the same bytes with the same event id."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # One outbox event reaches an endpoint once, however often its job runs.
        sa.UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_deliveries_endpoint_event"),
        sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[str] = mapped_column(sa.String(64))
    topic: Mapped[str] = mapped_column(sa.String(40))
    # The outbox message it came from (None for a test event).
    message_id: Mapped[int | None] = mapped_column(nullable=True)
    pass_id: Mapped[int | None] = mapped_column(nullable=True, index=True)  # for erasure (PDPA)
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(20), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    first_attempt_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    delivered_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=now_utc)

    endpoint: Mapped[WebhookEndpoint] = relationship(back_populates="deliveries")
    tries: Mapped[list["WebhookAttempt"]] = relationship(
        back_populates="delivery", cascade="all, delete-orphan", passive_deletes=True,
        order_by="WebhookAttempt.number",
    )


class WebhookAttempt(db.Model):
    """One POST of a delivery: when, how long, and what came back."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(sa.ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True)
    endpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()
    at: Mapped[object] = mapped_column(UTCDateTime, default=now_utc)
    status_code: Mapped[int | None] = mapped_column(nullable=True)
    duration_ms: Mapped[int] = mapped_column(default=0)
    # A machine-readable reason when no good answer came: timeout, refused, redirect, blocked_address, ...
    error: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    detail: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)
    ok: Mapped[bool] = mapped_column(default=False)

    delivery: Mapped[WebhookDelivery] = relationship(back_populates="tries")


# /webhooks/{id}: refused before the view runs for a caller of another city (app/access.py).
city_resolver("webhook_id")(lambda webhook_id: sa.select(WebhookEndpoint.city_id).where(WebhookEndpoint.id == webhook_id))
