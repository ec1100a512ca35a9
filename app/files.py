"""Files users download (reports, ...), kept in the database so that every web node serves them.

A worker on one machine writes a report; the visitor's download may land on any web
node behind the proxy. A file written to one machine's disk would be "not found" on the
others, so files live here, in the database the deployment already has and backs up
(docs/deploy.md). Each has a key chosen by its owner ("report:12:pdf"), a name to
download it under, and, optionally, a time after which the purge removes it.

Files are read whole into memory to be served: fine for reports and imports (a few
megabytes); the limit is PostgreSQL's 1 GB per value and the web process's memory.
"""
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.database import UTCDateTime, db, now_utc
from app.downloads import download


class StoredFile(db.Model):
    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(120))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    # Deferred: listing or checking a file does not load its bytes.
    content: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=now_utc)
    expires_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True, index=True)


def put(key, name, content_type, data, keep=None):
    """Store (or replace) the file under `key` in the current transaction; the caller commits.

    keep: a timedelta after which the purge may remove it (None: kept until deleted)."""
    db.session.execute(sa.delete(StoredFile).where(StoredFile.key == key))
    stored = StoredFile(
        key=key, name=name, content_type=content_type, size=len(data), content=data,
        expires_at=now_utc() + keep if keep is not None else None,
    )
    db.session.add(stored)
    db.session.flush()
    return stored


def exists(key):
    return db.session.scalar(sa.select(StoredFile.id).where(StoredFile.key == key)) is not None


def get(key):
    """The stored file (bytes loaded on first access to .content), or None."""
    return db.session.scalar(sa.select(StoredFile).where(StoredFile.key == key))


def delete(keys):
    keys = list(keys)
    if keys:
        db.session.execute(sa.delete(StoredFile).where(StoredFile.key.in_(keys)))


def send(stored, as_attachment=True):
    """A download answer for a stored file (app/downloads.py), the same from every node, its ETag too."""
    response = download(stored.content, stored.name, stored.content_type, inline=not as_attachment)
    response.set_etag(f"{stored.id}-{stored.size}")
    return response


def purge_expired(now=None, batch=200):
    """Remove files past their expires_at; returns how many. Run by the worker's schedule (and tests)."""
    now = now or now_utc()
    total = 0
    while True:
        ids = list(db.session.scalars(
            sa.select(StoredFile.id).where(StoredFile.expires_at.is_not(None), StoredFile.expires_at <= now).limit(batch)
        ))
        if not ids:
            return total
        db.session.execute(sa.delete(StoredFile).where(StoredFile.id.in_(ids)))
        db.session.commit()
        total += len(ids)


KEEP_DEFAULT = timedelta(days=90)
