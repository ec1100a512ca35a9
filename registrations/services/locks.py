"""Row locks that serialise the writes of one pass and of one session.

Every change to a booking runs under its session's lock, so that the seat
counters on the session row stay exact and a seat is never sold twice:

* PostgreSQL: `UPDATE ... SET x = x` takes the row lock and holds it until the
  transaction ends; the reads that follow see everything committed before it.
* SQLite: pysqlite only sends BEGIN before the first write, so this UPDATE is
  where the transaction starts and takes the database's write lock; a second
  writer waits for it (busy_timeout, app/database.py) instead of failing,
  because it holds no read snapshot yet.

Lock order, always: the pass first, then sessions by ascending id. Booking rows
are written only while their session's lock is held. So no two transactions
wait on each other in a circle.
"""
import sqlalchemy as sa

from app.database import db
from app.errors import NotFound, N_
from events.models import ProgrammeSession
from registrations.models import Booking, Pass
from registrations.services.tokens import could_be_token, token_hash

MAX_ID = 2**31 - 1  # ids past an integer column are simply not found (PostgreSQL would refuse them)


def _lock_row(model, where, noop):
    """`UPDATE <table> SET <column> = <column> WHERE <where>` (one row at most), returning the row freshly
    loaded (one round trip where the database can RETURNING; else the UPDATE, then a SELECT). None if absent."""
    statement = sa.update(model).where(where).values(noop)
    if db.engine.dialect.update_returning:
        options = {"populate_existing": True, "synchronize_session": False}
        return db.session.scalars(statement.returning(model), execution_options=options).one_or_none()
    if db.session.execute(statement, execution_options={"synchronize_session": False}).rowcount == 0:
        return None
    return db.session.scalars(sa.select(model).where(where), execution_options={"populate_existing": True}).one()


def _lock_by_id(model, row_id, noop):
    if not 0 < row_id <= MAX_ID:
        return None
    return _lock_row(model, model.id == row_id, noop)


def lock_pass(pass_id):
    """Lock the pass and load it fresh; 404 when it does not exist."""
    pass_ = _lock_by_id(Pass, pass_id, {"status": Pass.status})
    if pass_ is None:
        raise NotFound("pass", N_("No such pass."))
    return pass_


def lock_pass_for_manage_token(token):
    """The pass behind a manage link, locked and loaded fresh in the same round trip; 404 otherwise."""
    pass_ = None
    if could_be_token(token):
        pass_ = _lock_row(Pass, Pass.manage_token_hash == token_hash(token), {"status": Pass.status})
    if pass_ is None:
        raise NotFound("pass", N_("No such pass."))
    return pass_


def lock_session(session_id, field="session_id"):
    """Lock the session and load it fresh, counters included; 404 when it does not exist."""
    # updated_at is set to itself so that the lock does not count as an edit of the session.
    noop = {"seats_confirmed": ProgrammeSession.seats_confirmed, "updated_at": ProgrammeSession.updated_at}
    session = _lock_by_id(ProgrammeSession, session_id, noop)
    if session is None:
        raise NotFound("session", N_("No such session."), field=field)
    return session


def lock_sessions(session_ids):
    """Several sessions, locked in ascending id order; returns {id: session}."""
    return {session_id: lock_session(session_id) for session_id in sorted(set(session_ids))}


def fresh_booking(booking_id):
    """A booking read again: call after its session is locked, so its status is current."""
    return db.session.get(Booking, booking_id, populate_existing=True)
