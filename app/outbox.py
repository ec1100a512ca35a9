"""The outbox: messages recorded in the same transaction as the write they describe.

Domains call emit(); nothing is sent from inside the transaction. The relay
(app/relay.py) hands committed messages to RQ after the commit and in a sweep.
"""
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.database import UTCDateTime, db, now_utc
from app.logs import current_request_id


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
    # The request (or the job) that emitted it: its jobs log the same id (app/logs.py).
    request_id: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)

    def __repr__(self):
        return f"<OutboxMessage {self.id} {self.topic}>"


@dataclass(frozen=True)
class Emitted:
    """A message this session wrote, as the relay needs it after the commit (without reading it back)."""

    message_id: int
    topic: str
    request_id: str | None
    # The transaction it was written in (a savepoint's, or the session's own): if that one or
    # one around it rolls back, the row is gone and must not be handed over.
    transaction: object

    @property
    def id(self):
        return self.message_id


EMITTED = "outbox_emitted"  # session.info key: the Emitted of the transaction in progress


def emit(topic, **payload):
    """Record that something happened. Call inside the transaction of the write; returns its Emitted."""
    db.session.flush()  # the write it describes goes first (and its ids are known)
    # A plain INSERT, not an ORM object: nothing in the request reads the row back, and a booking
    # or a sign-up in a rush should not pay the unit of work for it.
    message_id = db.session.execute(
        _INSERT, {"topic": topic, "payload": payload, "created_at": now_utc(), "request_id": current_request_id()}
    ).inserted_primary_key[0]
    session = db.session()  # the request's own Session: the scoped proxy does not offer these two
    transaction = session.get_nested_transaction() or session.get_transaction()
    emitted = Emitted(message_id, topic, current_request_id(), transaction)
    db.session.info.setdefault(EMITTED, []).append(emitted)
    return emitted


_INSERT = sa.insert(OutboxMessage.__table__).values(
    topic=sa.bindparam("topic"), payload=sa.bindparam("payload"), created_at=sa.bindparam("created_at"),
    request_id=sa.bindparam("request_id"), attempts=0,
)


# topic -> functions(topic, **scope) -> bool: who would read a message of this topic.
_readers = {}


def read_by(topic, wants):
    """Declare that `wants(topic, **scope)` knows whether anyone reads `topic` (a package's subscribers)."""
    readers = _readers.setdefault(topic, [])
    if wants not in readers:
        readers.append(wants)


def wanted(topic, **scope):
    """Whether a message of this topic would be read at all (declared with read_by).

    For messages only an optional reader consumes (a partner's webhook for scan.admitted):
    a gate scan need not pay for an outbox row nobody reads.
    """
    return any(wants(topic, **scope) for wants in _readers.get(topic, ()))


def messages(topic=None):
    """The recorded messages, oldest first (for tests, the admin page and the sweep)."""
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if topic:
        query = query.where(OutboxMessage.topic == topic)
    return list(db.session.scalars(query))
