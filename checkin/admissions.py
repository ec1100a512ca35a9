"""The rows a scan writes, with plain statements: the (checkpoint, pass) admission and the scan.

A gate scan is a festival's busiest write. SQLAlchemy's unit of work (an identity map entry,
a flush that orders and batches, refreshing what a RETURNING brought back) cost about a third
of a scan's CPU for three small rows whose every column the scan already knows. The rules
stay in checkin/scanning.py; this module only locks, reads and writes the rows.
"""
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.database import db, now_utc
from checkin.models import Admission, Scan

ADMISSIONS = Admission.__table__
SCANS = Scan.__table__
# What a scan reads from and may write to its admission.
STATE = ("first_scan_id", "first_scanned_at", "walk_in", "party_size", "inside", "moved_at")


@dataclass
class AdmissionState:
    """One pass at one checkpoint, as the scan holding its lock sees it. `id` is None for a
    rehearsal's, which is never stored; `changed` says whether save() has something to write."""

    id: int | None = None
    first_scan_id: int | None = None
    first_scanned_at: datetime | None = None
    walk_in: bool = False
    party_size: int = 0
    inside: bool = False
    moved_at: datetime | None = None
    changed: bool = False


@dataclass(frozen=True)
class StoredScan:
    """What an answer shows of a scan just written (a stored Scan row has the same attributes)."""

    id: int
    checkpoint_id: int
    scanned_at: datetime
    direction: str
    party_size: int
    rehearsal: bool


def lock(checkpoint_id, pass_id, festival_id):
    """The (checkpoint, pass) admission, made if missing, locked until the transaction ends: one statement.

    INSERT .. ON CONFLICT DO UPDATE .. RETURNING either inserts the row or locks the
    existing one (PostgreSQL: a row lock, waiting for a concurrent insert of the same
    key to commit; SQLite: the database's write lock). Either way the second of two
    simultaneous scans sees the first one's admission.
    """
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(ADMISSIONS).values(
        checkpoint_id=checkpoint_id, pass_id=pass_id, festival_id=festival_id,
        walk_in=False, party_size=0, inside=False, created_at=now_utc(),
    )
    statement = statement.on_conflict_do_update(
        index_elements=["checkpoint_id", "pass_id"], set_={"checkpoint_id": statement.excluded.checkpoint_id}
    ).returning(ADMISSIONS.c.id, *(ADMISSIONS.c[name] for name in STATE))
    return AdmissionState(**db.session.execute(statement).one()._asdict())


def save(admission):
    """Write what the scan changed (nothing for a rehearsal's admission, or when nothing changed)."""
    if admission.id is None or not admission.changed:
        return
    db.session.execute(
        sa.update(ADMISSIONS).where(ADMISSIONS.c.id == admission.id)
        .values({name: getattr(admission, name) for name in STATE})
    )
    admission.changed = False


def insert_scan(**values):
    """Store a scan (every column given) and return what its answer shows."""
    scan_id = db.session.execute(sa.insert(SCANS).values(**values).returning(SCANS.c.id)).scalar_one()
    return StoredScan(scan_id, values["checkpoint_id"], values["scanned_at"], values["direction"],
                      values["party_size"], values["rehearsal"])
