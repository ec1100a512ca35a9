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
from app.errors import NotFound
from events.models import ProgrammeSession
from registrations.models import Booking, Pass

MAX_ID = 2**31 - 1  # ids past an integer column are simply not found (PostgreSQL would refuse them)

_LOCK_PASS = sa.text("UPDATE passes SET status = status WHERE id = :id")
_LOCK_SESSION = sa.text("UPDATE sessions SET seats_confirmed = seats_confirmed WHERE id = :id")


def lock_pass(pass_id):
    """Lock the pass and load it fresh; 404 when it does not exist."""
    if not 0 < pass_id <= MAX_ID or db.session.execute(_LOCK_PASS, {"id": pass_id}).rowcount == 0:
        raise NotFound("pass", "No such pass.")
    return db.session.get(Pass, pass_id, populate_existing=True)


def lock_session(session_id, field="session_id"):
    """Lock the session and load it fresh, counters included; 404 when it does not exist."""
    if not 0 < session_id <= MAX_ID or db.session.execute(_LOCK_SESSION, {"id": session_id}).rowcount == 0:
        raise NotFound("session", "No such session.", field=field)
    return db.session.get(ProgrammeSession, session_id, populate_existing=True)


def lock_sessions(session_ids):
    """Several sessions, locked in ascending id order; returns {id: session}."""
    return {session_id: lock_session(session_id) for session_id in sorted(set(session_ids))}


def fresh_booking(booking_id):
    """A booking read again: call after its session is locked, so its status is current."""
    return db.session.get(Booking, booking_id, populate_existing=True)
