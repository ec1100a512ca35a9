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
                    and s.endswith("FOR NO KEY UPDATE")]) == 1, statements
        assert len([s for s in statements if "FROM sessions" in s and s.endswith("FOR NO KEY UPDATE")]) == 1
        assert len(session_writes) == 1, statements  # the seat count, not the lock
        assert _version(app, made["id"]) == before  # no new version of the pass
    else:
        assert len(pass_writes) == 1 and "SET status=passes.status" in pass_writes[0], statements
