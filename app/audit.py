"""Audit log of organiser and admin actions: who, what, when, before and after.

Recorded from the ORM session itself, so that no service can forget it: any
change to an audited model made in a request whose principal is an organiser or
admin becomes an AuditEntry in the same transaction. Each package declares its
audited models with @audited, next to the models: how to find a row's city, and
which columns are secrets.
"""
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask import g, has_request_context, request
from sqlalchemy import event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.database import UTCDateTime, db, now_utc

AUDITED_ROLES = frozenset({"admin", "organiser"})

_city_of = {}  # audited model class -> function(session, row) -> the row's city id (or None)


def audited(city, secrets=()):
    """Class decorator: log organisers' and admins' changes to this model's rows.

    `city(session, row)` answers the row's city (the log is read city by city); it may
    query through `session` (it runs after the flush). `secrets` are columns that never
    go into the log, not even hashed.
    """

    def register(model):
        _city_of[model] = city
        model.__audit_secrets__ = frozenset(secrets)
        return model

    return register


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"
    __table_args__ = (sa.Index("ix_audit_city_at", "city_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[object] = mapped_column(UTCDateTime, default=now_utc)
    user_id: Mapped[int | None] = mapped_column(nullable=True)
    user_email: Mapped[str] = mapped_column(sa.String(254), default="")
    role: Mapped[str] = mapped_column(sa.String(20), default="")
    city_id: Mapped[int | None] = mapped_column(nullable=True)
    action: Mapped[str] = mapped_column(sa.String(10))  # create, update, delete
    entity: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[int | None] = mapped_column(nullable=True)
    before: Mapped[dict | None] = mapped_column(sa.JSON, nullable=True)
    after: Mapped[dict | None] = mapped_column(sa.JSON, nullable=True)
    path: Mapped[str] = mapped_column(sa.String(300), default="")


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def _columns(obj):
    secrets = type(obj).__audit_secrets__
    return {c.key: _plain(getattr(obj, c.key)) for c in inspect(obj).mapper.column_attrs if c.key not in secrets}


def _changes(obj):
    before, after = {}, {}
    state = inspect(obj)
    secrets = type(obj).__audit_secrets__
    for attr in state.mapper.column_attrs:
        if attr.key in secrets:
            continue
        history = state.attrs[attr.key].history
        if history.has_changes():
            before[attr.key] = _plain(history.deleted[0]) if history.deleted else None
            after[attr.key] = _plain(history.added[0]) if history.added else None
    return before, after


def _actor():
    if not has_request_context():
        return None
    user = g.get("principal")
    if user is None or user.role not in AUDITED_ROLES:
        return None
    return user


def _audited(obj):
    return type(obj) in _city_of


@event.listens_for(Session, "before_flush")
def _collect(session, flush_context, instances):
    actor = _actor()
    if actor is None:
        return
    pending = session.info.setdefault("audit_pending", [])
    for obj in session.new:
        if _audited(obj):
            pending.append(("create", obj, None))
    for obj in session.dirty:
        if _audited(obj) and session.is_modified(obj, include_collections=False):
            pending.append(("update", obj, _changes(obj)))
    for obj in session.deleted:
        if _audited(obj):
            pending.append(("delete", obj, (_columns(obj), None)))


@event.listens_for(Session, "after_flush_postexec")
def _record(session, flush_context):
    pending = session.info.pop("audit_pending", None)
    actor = _actor()
    if not pending or actor is None:
        return
    for action, obj, diff in pending:
        if action == "create":
            before, after = None, _columns(obj)
        else:
            before, after = diff
        if action == "update" and not after:
            continue
        session.add(
            AuditEntry(
                user_id=actor.id,
                user_email=actor.email,
                role=actor.role,
                city_id=_city_of[type(obj)](session, obj),
                action=action,
                entity=obj.__tablename__,
                entity_id=inspect(obj).identity[0] if inspect(obj).identity else getattr(obj, "id", None),
                before=before,
                after=after,
                path=request.path[:300] if has_request_context() else "",
            )
        )


def record_export(entity, entity_id, city_id, **detail):
    """A download of visitors' personal data (an attendee list) by whoever asked for it.

    Reading changes no row, so the flush listeners above never see it; the PDPA still
    expects a controller to know who took whose data out. `detail` says how much (rows,
    never names). The caller's transaction carries it: the request commits.
    """
    user = g.get("principal") if has_request_context() else None
    if user is None:
        return None
    entry = AuditEntry(
        user_id=user.id,
        user_email=user.email,
        role=user.role,
        city_id=city_id,
        action="export",
        entity=entity,
        entity_id=entity_id,
        after={key: _plain(value) for key, value in detail.items()},
        path=request.path[:300],
    )
    db.session.add(entry)
    return entry


@event.listens_for(Session, "after_rollback")
def _forget(session):
    session.info.pop("audit_pending", None)


def entries_for_city(city_id, limit=200, before_id=None):
    query = sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if city_id is not None:
        query = query.where(AuditEntry.city_id == city_id)
    if before_id and 0 < before_id <= 2**31 - 1:  # past any row id: from the newest (SQLite cannot bind it)
        query = query.where(AuditEntry.id < before_id)
    return list(db.session.scalars(query))
