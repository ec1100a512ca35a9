"""A booking locks its pass and then its session. On PostgreSQL the locks are FOR NO KEY UPDATE:
the lock an UPDATE takes, without writing a new version of the row (every booking of a rush
would otherwise leave a dead copy of its pass and session behind), and one that a foreign-key
check of another row (a gate scan of that pass) passes. SQLite has no row locks: there the lock
is an UPDATE that changes nothing, which takes the database's write lock."""
import sqlalchemy as sa

from app.database import db
from tests.conftest import statements_of


def _version(app, pass_id):
    """PostgreSQL's xmin of the pass's row: the transaction that wrote its current version."""
    with app.app_context():
        version = db.session.scalar(sa.text("SELECT xmin::text FROM passes WHERE id = :id"), {"id": pass_id})
        db.session.remove()
    return version


def test_a_booking_locks_its_pass_without_writing_it(app, sign_up, workshop, book):
    made = sign_up()
    session_id = workshop(capacity=5)
    postgres = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    before = _version(app, made["id"]) if postgres else None

    answer, statements = statements_of(app, lambda: book(made, session_id))

    assert answer.status_code == 201 and answer.get_json()["status"] == "confirmed", answer.get_json()
    pass_writes = [s for s in statements if s.startswith("UPDATE passes")]
    session_writes = [s for s in statements if s.startswith("UPDATE sessions")]
    if postgres:
        assert pass_writes == [], statements
        assert len([s for s in statements if s.startswith("SELECT") and "FROM passes" in s
                    and s.endswith("FOR NO KEY UPDATE OF passes")]) == 1, statements
        assert len([s for s in statements if "FROM sessions" in s and s.endswith("FOR NO KEY UPDATE")]) == 1
        assert len(session_writes) == 1, statements  # the seat count, not the lock
        assert _version(app, made["id"]) == before  # no new version of the pass
    else:
        assert len(pass_writes) == 1 and "SET status=passes.status" in pass_writes[0], statements


def test_the_pass_lock_brings_the_party_and_the_session(app, sign_up, workshop, book):
    """One round trip finds and locks the pass and reads its party and the session with its festival:
    nothing reads them again before the session's lock (a booking of a rush sent eight statements)."""
    made = sign_up(party=[{"name": "น้องฝน", "age_group": "child"}, {"name": "คุณตา", "age_group": "senior"}])
    session_id = workshop(capacity=5)
    postgres = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")

    answer, statements = statements_of(app, lambda: book(made, session_id))

    assert answer.status_code == 201 and answer.get_json()["seats"] == 3, answer.get_json()
    reads = [s for s in statements if s.startswith("SELECT") and "FROM passes" in s]
    assert len(reads) == 1, statements
    assert "party_members" in reads[0] and "sessions" in reads[0] and "festivals" in reads[0], reads
    if postgres:
        assert reads[0].endswith("FOR NO KEY UPDATE OF passes"), reads  # the pass alone is locked
    assert not [s for s in statements if s.startswith("SELECT") and "FROM party_members" in s], statements
    session_reads = [s for s in statements if s.startswith("SELECT sessions.")]
    # The session's lock is the only other read of it (on SQLite an UPDATE ... RETURNING).
    assert len(session_reads) == (1 if postgres else 0), statements
    # Six statements (seven on SQLite, where the pass lock is an UPDATE before the read): the pass,
    # the already-booked and clash check, the session's lock, its seat count, the booking, the outbox message.
    assert len(statements) == (6 if postgres else 7), statements


def test_a_booking_of_an_unknown_session_or_pass_is_not_found(app, sign_up, workshop, book, client):
    made = sign_up()
    session_id = workshop(capacity=5)
    for missing in (session_id + 1000, 2**31 - 1):
        answer = book(made, missing)
        assert answer.status_code == 404, answer.get_json()
        assert answer.get_json()["message"] == "No such session.", answer.get_json()
    unknown = client.post("/api/v1/passes/" + "A" * 43 + "/bookings", json={"session_id": session_id})
    assert unknown.status_code == 404 and unknown.get_json()["message"] == "No such pass.", unknown.get_json()
