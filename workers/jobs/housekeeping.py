"""Tidying that nobody asks for: outbox rows handed over long ago."""
from datetime import timedelta

import sqlalchemy as sa

from app.database import db, now_utc
from app.outbox import OutboxMessage

KEEP_OUTBOX = timedelta(days=30)


def purge_outbox(keep=KEEP_OUTBOX):
    newest = db.session.scalar(sa.select(sa.func.max(OutboxMessage.id)))
    # The newest row stays: SQLite would otherwise hand out its id again, and RQ
    # refuses a job id ("outbox-<id>") it still remembers.
    result = db.session.execute(
        sa.delete(OutboxMessage).where(
            OutboxMessage.dispatched_at.is_not(None),
            OutboxMessage.dispatched_at < now_utc() - keep,
            OutboxMessage.id < (newest or 0),
        )
    )
    db.session.commit()
    return result.rowcount
