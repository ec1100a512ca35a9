"""The outbox: messages recorded in the same transaction as the write they describe.

Domains call emit(); nothing is sent from inside the transaction. The relay
(app/relay.py) hands committed messages to RQ after the commit and in a sweep.
"""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.database import UTCDateTime, db, now_utc


class OutboxMessage(db.Model):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(sa.String(80), index=True)
    payload: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=now_utc)
    # Set once RQ holds the message; the sweep picks up rows where this is null.
    dispatched_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)

    def __repr__(self):
        return f"<OutboxMessage {self.id} {self.topic}>"


def emit(topic, **payload):
    """Record that something happened. Call inside the transaction of the write."""
    message = OutboxMessage(topic=topic, payload=payload)
    db.session.add(message)
    db.session.flush()
    db.session.info.setdefault("outbox_ids", []).append((message.id, topic))
    return message


def messages(topic=None):
    """The recorded messages, oldest first (for tests, the admin page and the sweep)."""
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if topic:
        query = query.where(OutboxMessage.topic == topic)
    return list(db.session.scalars(query))
