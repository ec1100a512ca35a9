"""Generations: what a process may keep, kept valid across processes and nodes.

A process that keeps an answer (whether any webhook endpoint of a festival listens to
scans; who a bearer token names) keeps it with the generation token it read before asking
the database; whoever changes what the answer depends on replaces the token after
committing, and every process asks the database again. The tokens live in Redis beside
the limiter's counters and are read through the same fail-open guard
(app/limit_store.py): a store that does not answer costs a request no more than the
limiter already allows, and the caller asks the database instead (None).

kept() is that rule, written once for every answer a process keeps.

Within a request the tokens of every registered key are read together, in one round trip,
the first time one is asked for, and that reading serves the rest of the request: a gate
scan needs two, and a token read earlier than its answer only keeps that answer more
cautiously.
"""
import logging
import time
import uuid

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from sqlalchemy.orm import Session

from app.extensions import limiter
from app.limit_store import FailOpenRedisStorage

log = logging.getLogger(__name__)

_keys = []
_READ = "thetsakan.generations"  # the request's reading, in its WSGI environ (g may outlive a request in tests)


def register(key):
    """Declare a generation key (at import): a request reads all of them in its one round trip."""
    if key not in _keys:
        _keys.append(key)
    return key


def generation(key):
    """The current token of `key` (a str), made if missing; None when the store is not Redis or does not answer."""
    if not has_request_context():
        return _read((key,)).get(key)
    read = request.environ.get(_READ)
    if read is None or key not in read:
        read = request.environ[_READ] = {**(read or {}), **_read(tuple(_keys) if key in _keys else (key,))}
    return read[key]


def _read(keys):
    storage = limiter.storage
    if not isinstance(storage, FailOpenRedisStorage):
        return dict.fromkeys(keys)
    client = storage.storage

    def read():
        tokens = client.mget(keys)
        missing = [key for key, token in zip(keys, tokens) if token is None]
        if missing:
            # Missing (a fresh or flushed Redis): a new random token, never one a process may still hold.
            with client.pipeline(transaction=False) as pipe:
                for key in missing:
                    pipe.set(key, uuid.uuid4().hex, nx=True)
                pipe.execute()
            tokens = client.mget(keys)
        return tokens

    tokens = storage.guarded(read, None, limit_call=False)
    if tokens is None:
        return dict.fromkeys(keys)
    return {key: token.decode() if isinstance(token, bytes) else token for key, token in zip(keys, tokens)}


def new_generation(key):
    """Replace the token of `key`: every process's answers kept under the old one are asked again."""
    storage = limiter.storage
    if not isinstance(storage, FailOpenRedisStorage):
        return False
    done = storage.guarded(lambda: bool(storage.storage.set(key, uuid.uuid4().hex)), False, limit_call=False)
    if not done:
        log.warning("generation %s not replaced: its Redis store does not answer", key)
    if has_request_context():
        request.environ.pop(_READ, None)  # what this request reads next is after its own change
    return done


# --- an answer kept under a token ---------------------------------------------------------------


def kept(key, store, what, read, *, seconds, at_most=None, worth=None, stored=None, usable=None):
    """read()'s answer as this process keeps it: (answer, True) when one kept for `what` (in
    app.extensions[store]) under `key`'s current token is younger than `seconds` (and
    usable(it), if given); else (read(), False), kept for the next call when the token was read
    and worth(answer) holds (if given), as stored(answer) (if given: what is kept is what a
    kept call returns), the store emptied first when it holds `at_most` answers.

    The token is read before the database: what the database answers next is at least as new
    as the token, so an answer is never kept under a newer token than its own. `seconds` bounds
    what a replacement missed while Redis did not answer can cost."""
    token = generation(key)
    now = time.monotonic()
    answers = current_app.extensions.setdefault(store, {})
    known = answers.get(what) if token is not None else None
    if (known is not None and known[0] == token and now - known[1] < seconds
            and (usable is None or usable(known[2]))):
        return known[2], True
    answer = read()
    if token is not None and (worth is None or worth(answer)):
        if at_most is not None and len(answers) >= at_most:
            answers.clear()
        answers[what] = (token, now, stored(answer) if stored is not None else answer)
    return answer, False


# --- replacing a token after the commit that changed what it guards ---------------------------
_AFTER_COMMIT = "generations.after_commit"  # session.info: the keys its transaction will replace


def replace_after_commit(session, key):
    """Replace `key`'s token once this session's transaction commits (not if it rolls back): a
    listener that sees a change call this from its flush or statement hook."""
    session.info.setdefault(_AFTER_COMMIT, set()).add(key)


def replacing(session, key):
    """Whether this session's transaction will already replace `key` (its listeners need look no further)."""
    return key in session.info.get(_AFTER_COMMIT, ())


# --- which commits replace a token: those that write the tables it watches ----------------------
_watches = []  # [(key, tables() -> the names of the tables, whether a new row changes what it guards)]


def watch(key, tables, new_rows=True):
    """Replace `key`'s token after every commit that writes one of `tables()` (table names): objects the
    unit of work inserts (unless new_rows is False), updates or deletes, and bulk UPDATE and DELETE
    statements. A function, so that the tables may be worked out once everything is imported."""
    _watches.append((register(key), tables, new_rows))


@sa.event.listens_for(Session, "after_flush")
def _note_flushed(session, _context):
    for key, tables, new_rows in _watches:
        if replacing(session, key):
            continue
        watched = tables()
        for instance in (*(session.new if new_rows else ()), *session.dirty, *session.deleted):
            if getattr(instance, "__tablename__", None) in watched:
                replace_after_commit(session, key)
                break


@sa.event.listens_for(Session, "do_orm_execute")
def _note_statement(state):
    # Bulk UPDATE and DELETE (revoking a member's tokens, a booking's row lock) pass by the unit of work.
    if not (state.is_update or state.is_delete):
        return
    target = _target(state.statement)
    for key, tables, _new_rows in _watches:
        if target in tables():
            replace_after_commit(state.session, key)


def _target(statement):
    """The name of the table an UPDATE or DELETE writes (also inside select().from_statement())."""
    statement = getattr(statement, "element", statement)
    return getattr(getattr(statement, "table", None), "name", None)


@sa.event.listens_for(Session, "after_commit")
def _replace(session):
    for key in session.info.pop(_AFTER_COMMIT, ()):
        new_generation(key)


@sa.event.listens_for(Session, "after_rollback")
def _nothing_changed(session):
    session.info.pop(_AFTER_COMMIT, None)

