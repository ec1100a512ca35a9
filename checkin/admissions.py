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
from checkin.models import ADMITTED, IN, Admission, Scan

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


# Every column a scan gives (insert_scan's keyword arguments).
SCAN_COLUMNS = ("checkpoint_id", "festival_id", "pass_id", "result", "detail", "direction", "walk_in", "rehearsal",
                "source", "party_size", "device_id", "local_id", "staff_user_id", "scanned_at", "received_at")


def _locking(insert):
    """An INSERT of an admission made its lock: ON CONFLICT on (checkpoint, pass) it updates a column
    to itself instead, and either way it answers the row's id and STATE."""
    return insert.on_conflict_do_update(
        index_elements=["checkpoint_id", "pass_id"], set_={"checkpoint_id": insert.excluded.checkpoint_id}
    ).returning(ADMISSIONS.c.id, *(ADMISSIONS.c[name] for name in STATE))


def _read_beside(found, locked):
    """The read's columns and the locked admission's (`admission_`-prefixed), as locked_state() reads them."""
    return [*found.c, *(column.label("admission_" + column.name) for column in locked.c)]


def _bind(table, name, prefix=""):
    return sa.bindparam(prefix + name, type_=table.c[name].type)


def _admit_statement(first):
    """PostgreSQL: the scan's INSERT in a WITH, and the admission's UPDATE, in one statement."""
    new_scan = (sa.insert(SCANS).values({name: _bind(SCANS, name, "scan_") for name in SCAN_COLUMNS})
                .returning(SCANS.c.id).cte("new_scan"))
    new_scan_id = sa.select(new_scan.c.id).scalar_subquery()
    changes = {name: _bind(ADMISSIONS, name, "admission_") for name in STATE if name != "first_scan_id"}
    if first:
        changes["first_scan_id"] = new_scan_id
    return (sa.update(ADMISSIONS).where(ADMISSIONS.c.id == sa.bindparam("admission_id"))
            .values(changes).returning(new_scan_id))


# Built once: a statement made per scan costs more CPU to construct and to key for the
# compiled cache than its round trip.
_LOCK = {"postgresql": _locking(pg_insert(ADMISSIONS)), "sqlite": _locking(sqlite_insert(ADMISSIONS))}
_ADMIT = {True: _admit_statement(True), False: _admit_statement(False)}
_INSERT_SCAN = sa.insert(SCANS).returning(SCANS.c.id)
_UPDATE_ADMISSION = sa.update(ADMISSIONS).where(ADMISSIONS.c.id == sa.bindparam("admission_id"))


def dialect():
    return db.session.get_bind().dialect.name


def lock(checkpoint_id, pass_id, festival_id):
    """The (checkpoint, pass) admission, made if missing, locked until the transaction ends: one statement.

    INSERT .. ON CONFLICT DO UPDATE .. RETURNING either inserts the row or locks the
    existing one (PostgreSQL: a row lock, waiting for a concurrent insert of the same
    key to commit; SQLite: the database's write lock). Either way the second of two
    simultaneous scans sees the first one's admission.
    """
    row = db.session.execute(_LOCK[dialect()], {
        "checkpoint_id": checkpoint_id, "pass_id": pass_id, "festival_id": festival_id,
        "walk_in": False, "party_size": 0, "inside": False, "created_at": now_utc(),
    }).one()
    return AdmissionState(**row._asdict())


def read_and_lock_statement(read, admissible):
    """PostgreSQL: `read` (a SELECT of one pass, with its `id`) and the lock of its admission at a
    checkpoint, in one statement: WITH the read, INSERT .. SELECT .. ON CONFLICT DO UPDATE the
    admission where `admissible(read)` holds, and answer the read's columns beside the admission's
    (`admission_`-prefixed, null when no admission was locked). Parameters: the read's, and
    `checkpoint_id`, `festival_id`, `created_at`. The lock is the one lock() takes."""
    found = read.cte("found")
    values = sa.select(
        _bind(ADMISSIONS, "checkpoint_id"), found.c.id, _bind(ADMISSIONS, "festival_id"), sa.false(), sa.literal(0),
        sa.false(), _bind(ADMISSIONS, "created_at"),
    ).where(admissible(found))
    insert = pg_insert(ADMISSIONS).from_select(
        ["checkpoint_id", "pass_id", "festival_id", "walk_in", "party_size", "inside", "created_at"], values)
    locked = _locking(insert).cte("locked")
    return sa.select(*_read_beside(found, locked)).select_from(found.outerjoin(locked, sa.true()))


def read_and_admit_statement(read, admissible):
    """PostgreSQL, a scan entering a gate or booth: read_and_lock_statement's read and lock, where an
    admission that is new is inserted already admitted (this scan its first, the party inside) and
    the admitted scan with it, so that a pass's first entry is one statement and one version of its
    admission. The scan's id is drawn from its sequence first, so that each row can name the other
    (the foreign key is checked at the statement's end). Extra parameters: the scan's `scanned_at`,
    `received_at`, `source`, `device_id`, `local_id`, `staff_user_id`. Answers the read's columns,
    the admission's (`admission_`-prefixed) and `scan_id`: null when the admission was there before,
    which is then only locked, as lock() does, for the caller to judge the scan."""
    found = read.cte("found")
    scan_id = sa.select(sa.func.nextval(sa.literal_column(f"'{SCANS.name}_id_seq'::regclass")).label("id")).where(
        admissible(found)).cte("scan_id")
    scanned_at = _bind(SCANS, "scanned_at")
    entered = sa.select(
        _bind(ADMISSIONS, "checkpoint_id"), found.c.id, _bind(ADMISSIONS, "festival_id"), scan_id.c.id, scanned_at,
        sa.false(), found.c.party_size, sa.true(), scanned_at, _bind(ADMISSIONS, "created_at"),
    ).select_from(found.join(scan_id, sa.true()))
    insert = pg_insert(ADMISSIONS).from_select(
        ["checkpoint_id", "pass_id", "festival_id", "first_scan_id", "first_scanned_at", "walk_in", "party_size",
         "inside", "moved_at", "created_at"], entered)
    locked = _locking(insert).cte("locked")
    # The scan is stored here only beside the admission this statement inserted (its first_scan_id is ours).
    admitted = sa.select(
        scan_id.c.id, _bind(SCANS, "checkpoint_id"), _bind(SCANS, "festival_id"), found.c.id,
        sa.literal(ADMITTED, SCANS.c.result.type), sa.literal("", SCANS.c.detail.type),
        sa.literal(IN, SCANS.c.direction.type), sa.false(), sa.false(), _bind(SCANS, "source"), found.c.party_size,
        _bind(SCANS, "device_id"), _bind(SCANS, "local_id"), _bind(SCANS, "staff_user_id"), scanned_at,
        _bind(SCANS, "received_at"),
    ).select_from(locked.join(scan_id, locked.c.first_scan_id == scan_id.c.id).join(found, sa.true()))
    new_scan = sa.insert(SCANS).from_select(["id", *SCAN_COLUMNS], admitted).returning(SCANS.c.id).cte("new_scan")
    return sa.select(*_read_beside(found, locked), new_scan.c.id.label("scan_id")).select_from(
        found.outerjoin(locked, sa.true()).outerjoin(new_scan, sa.true()))


def locked_state(row):
    """The AdmissionState in a row of read_and_lock_statement, or None where nothing was locked."""
    if row.admission_id is None:
        return None
    return AdmissionState(row.admission_id, *(getattr(row, "admission_" + name) for name in STATE))


def save(admission):
    """Write what the scan changed (nothing for a rehearsal's admission, or when nothing changed)."""
    if admission.id is None or not admission.changed:
        return
    db.session.execute(_UPDATE_ADMISSION.values({name: getattr(admission, name) for name in STATE}),
                       {"admission_id": admission.id})
    admission.changed = False


def insert_scan(admission=None, *, first=False, **values):
    """Store a scan (every column of SCAN_COLUMNS given) and what it changed of its locked
    `admission`, whose `first_scan_id` becomes this scan's id when `first`; returns what the
    answer shows.

    On PostgreSQL the two writes are one statement (the scan's INSERT in a WITH before the
    admission's UPDATE): an admitted scan is the commonest write of a festival's day, and each
    statement is a round trip. SQLite has no INSERT inside WITH: there they are two.
    """
    pending = admission is not None and admission.id is not None and (admission.changed or first)
    if pending and dialect() == "postgresql":
        parameters = {"scan_" + name: values[name] for name in SCAN_COLUMNS}
        parameters.update({"admission_" + name: getattr(admission, name) for name in STATE if name != "first_scan_id"})
        parameters["admission_id"] = admission.id
        scan_id = db.session.execute(_ADMIT[first], parameters).scalar_one()
        admission.changed = False
        if first:
            admission.first_scan_id = scan_id
    else:
        scan_id = db.session.execute(_INSERT_SCAN, values).scalar_one()
        if pending:
            if first:
                admission.first_scan_id = scan_id
                admission.changed = True
            save(admission)
    return StoredScan(scan_id, values["checkpoint_id"], values["scanned_at"], values["direction"],
                      values["party_size"], values["rehearsal"])
