"""Row locks that serialise the writes of one pass and of one session.

Every change to a booking runs under its session's lock, so that the seat
counters on the session row stay exact and a seat is never sold twice:

* PostgreSQL: `SELECT ... FOR NO KEY UPDATE` takes the lock an UPDATE takes and holds
  it until the transaction ends, without writing the row; the statements that follow
  see everything committed before it.
* SQLite: `UPDATE ... SET x = x`. pysqlite only sends BEGIN before the first write, so
  this UPDATE is where the transaction starts and takes the database's write lock; a second
  writer waits for it (busy_timeout, app/database.py) instead of failing,
  because it holds no read snapshot yet.

Lock order, always: the pass first, then sessions by ascending id. Booking rows
are written only while their session's lock is held. So no two transactions
wait on each other in a circle.
"""
import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app.database import db
from app.errors import NotFound, N_
from events.models import ProgrammeSession
from registrations.models import Booking, Pass
from registrations.services.tokens import could_be_token, token_hash

MAX_ID = 2**31 - 1  # ids past an integer column are simply not found (PostgreSQL would refuse them)


def _lock_row(model, column, value, noop):
    """Lock one row at most and return it freshly loaded, None if absent: on PostgreSQL
    `SELECT ... FOR NO KEY UPDATE`; elsewhere `UPDATE <table> SET <column> = <column> WHERE <column> = value`
    (one round trip where the database can RETURNING; else the UPDATE, then a SELECT)."""
    lock, select, returning = _lock_statements(model, column, noop)
    params = {"key": value}
    if returning:
        return db.session.scalars(lock, params, execution_options={"populate_existing": True}).one_or_none()
    if db.session.execute(lock, params, execution_options={"synchronize_session": False}).rowcount == 0:
        return None
    return db.session.scalars(select, params, execution_options={"populate_existing": True}).one()


_STATEMENTS = {}  # (model, column, dialect) -> (the lock [returning the row], SELECT the row, RETURNING?)


def _lock_statements(model, column, noop):
    """(the lock, returning the row where the database can; the SELECT of the row; whether it can), built once per lock:
    every booking takes two of these locks, and building a statement costs more CPU than sending it.
    `noop` is the same for every lock of a model (_PASS_NOOP, _SESSION_NOOP)."""
    dialect = db.engine.dialect
    key = (model.__name__, column.key, dialect.name)
    made = _STATEMENTS.get(key)
    if made is None:
        where = column == sa.bindparam("key")
        if dialect.name == "postgresql":
            # The lock an UPDATE takes (FOR NO KEY UPDATE: foreign-key checks of other rows pointing
            # here, a scan of this pass, still pass) without writing a new version of the row.
            lock, returning = sa.select(model).where(where).with_for_update(key_share=True), True
        elif dialect.update_returning:
            # The row mapped from a plain UPDATE ... RETURNING: the ORM's own UPDATE would first
            # work out which loaded objects to synchronise, for a statement that changes nothing.
            lock, returning = sa.select(model).from_statement(
                sa.update(model.__table__).where(column.expression == sa.bindparam("key"))
                .values({name: model.__table__.c[name] for name in noop}).returning(*model.__table__.c)
            ), True
        else:
            lock, returning = sa.update(model).where(where).values(noop), False
        made = _STATEMENTS[key] = (lock, sa.select(model).where(where), returning)
    return made


def _lock_by_id(model, row_id, noop):
    if not 0 < row_id <= MAX_ID:
        return None
    return _lock_row(model, model.id, row_id, noop)


def lock_pass(pass_id):
    """Lock the pass and load it fresh; 404 when it does not exist."""
    pass_ = _lock_by_id(Pass, pass_id, _PASS_NOOP)
    if pass_ is None:
        raise NotFound("pass", N_("No such pass."))
    return pass_


def lock_pass_for_booking(session_id, *, pass_id=None, token=None):
    """The pass (by id or manage token) locked as lock_pass does, and in the same round trip its
    party and the session with its festival, the session unlocked (a booking locks it last and
    checks it again): (pass, session or None). 404 when there is no such pass.

    The party is read in the statement that waits for the pass's lock: on PostgreSQL that
    statement's snapshot may predate the commit it waited for. That is sound because a party is
    written only at sign-up; erasing a pass rewrites the pass row itself, which the lock reads fresh."""
    if token is not None:
        column, key = Pass.manage_token_hash, token_hash(token) if could_be_token(token) else None
    else:
        column, key = Pass.id, pass_id if pass_id is not None and 0 < pass_id <= MAX_ID else None
    found = None
    if key is not None:
        lock, select = _booking_statements(column)
        params = {"key": key, "session_id": session_id if 0 < session_id <= MAX_ID else None}
        if lock is None or db.session.execute(lock, params, execution_options={"synchronize_session": False}).rowcount:
            found = db.session.execute(select, params, execution_options={"populate_existing": True}).unique().one_or_none()
    if found is None:
        raise NotFound("pass", N_("No such pass."))
    return tuple(found)


def _booking_statements(column):
    """(the lock to run first, None where the SELECT takes it; the SELECT of pass, party, session and festival), built once."""
    dialect = db.engine.dialect
    key = ("booking", column.key, dialect.name)
    made = _STATEMENTS.get(key)
    if made is None:
        where = column == sa.bindparam("key")
        select = (
            sa.select(Pass, ProgrammeSession)
            .outerjoin(ProgrammeSession, ProgrammeSession.id == sa.bindparam("session_id", type_=sa.Integer))
            .where(where)
            .options(joinedload(Pass.party), joinedload(ProgrammeSession.festival))
        )
        if dialect.name == "postgresql":
            made = (None, select.with_for_update(of=Pass.__table__, key_share=True))
        else:
            made = (sa.update(Pass).where(where).values(_PASS_NOOP), select)
        _STATEMENTS[key] = made
    return made


_PASS_NOOP = {"status": Pass.status}
# updated_at is set to itself so that the lock does not count as an edit of the session.
_SESSION_NOOP = {"seats_confirmed": ProgrammeSession.seats_confirmed, "updated_at": ProgrammeSession.updated_at}


def lock_session(session_id, field="session_id"):
    """Lock the session and load it fresh, counters included; 404 when it does not exist."""
    session = _lock_by_id(ProgrammeSession, session_id, _SESSION_NOOP)
    if session is None:
        raise NotFound("session", N_("No such session."), field=field)
    return session


def lock_sessions(session_ids):
    """Several sessions, locked in ascending id order; returns {id: session}."""
    return {session_id: lock_session(session_id) for session_id in sorted(set(session_ids))}


def fresh_booking(booking_id):
    """A booking read again: call after its session is locked, so its status is current."""
    return db.session.get(Booking, booking_id, populate_existing=True)
