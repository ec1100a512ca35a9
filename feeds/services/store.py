"""Feeds built from the database and stored (the Feed table), so that serving one is a lookup.

Keys: "festival:<id>" (the whole programme), "venue:<id>" (one stage or room),
"pass:<id>" (a visitor's confirmed bookings). A build records when it started
reading; an upsert never replaces a feed built from a later read.
"""
import hashlib
import re
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import defer, selectinload

from app.database import db, now_utc
from app.i18n import pick
from events.models import Festival, ProgrammeSession
from registrations.models import CONFIRMED, Booking, Pass
from feeds.services import calendar
from feeds.models import Feed

# DTSTAMP and LAST-MODIFIED follow updated_at, which a seat count also moves: a
# rebuild that changed only those lines is the same calendar to its readers.
_VOLATILE = re.compile(rb"^(DTSTAMP|LAST-MODIFIED)[:;].*\r\n", re.MULTILINE)


def festival_key(festival_id):
    return f"festival:{festival_id}"


def venue_key(venue_id):
    return f"venue:{venue_id}"


def pass_key(pass_id):
    return f"pass:{pass_id}"


def etag_of(body):
    """A weak validator: equal for calendars that differ only in their timestamps."""
    return hashlib.sha256(_VOLATILE.sub(b"", body)).hexdigest()[:40]


def _public_url():
    return current_app.config["PUBLIC_URL"]


def _sessions(festival_id, venue_id=None):
    query = (
        sa.select(ProgrammeSession)
        .where(ProgrammeSession.festival_id == festival_id)
        .options(selectinload(ProgrammeSession.venue))
        .order_by(ProgrammeSession.starts_at, ProgrammeSession.id)
    )
    if venue_id is not None:
        query = query.where(ProgrammeSession.venue_id == venue_id)
    return list(db.session.scalars(query))


def confirmed_sessions(pass_id):
    """The sessions of a pass's confirmed bookings, in time order: exactly what its agenda holds."""
    return list(
        db.session.scalars(
            sa.select(ProgrammeSession)
            .join(Booking, Booking.session_id == ProgrammeSession.id)
            .where(Booking.pass_id == pass_id, Booking.status == CONFIRMED)
            .options(selectinload(ProgrammeSession.venue))
            .order_by(ProgrammeSession.starts_at, ProgrammeSession.id)
        )
    )


def agenda_inputs(pass_, sessions):
    """Everything a pass's agenda body is built from, as a value: two equal values build the same
    calendar (what lets mail build one agenda for several letters of a pass, mail/services/batch.py)."""
    festival = pass_.festival
    return (
        pass_.id, pass_.locale, _public_url(), festival.id, festival.updated_at,
        tuple((s.id, s.updated_at, s.venue_id, s.venue.name_th if s.venue else None, s.venue.name_en if s.venue else None)
              for s in sessions),
    )


def agenda_name(festival, locale):
    with force_locale(locale):
        return gettext("My agenda: %(festival)s", festival=pick(festival, "name", locale))


def agenda_body(pass_, with_festival=False, sessions=None):
    """`sessions`: confirmed_sessions(pass_.id), when the caller has read them already."""
    festival = pass_.festival
    locale = pass_.locale if pass_.locale in ("th", "en") else "th"
    return calendar.agenda_body(
        festival,
        confirmed_sessions(pass_.id) if sessions is None else sessions,
        _public_url(),
        locale,
        agenda_name(festival, locale),
        with_festival=with_festival,
    )


def _store(key, festival_id, body, built_at):
    values = {"key": key, "festival_id": festival_id, "body": body.decode(), "etag": etag_of(body), "built_at": built_at}
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    statement = insert(Feed).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[Feed.key],
        set_={name: statement.excluded[name] for name in ("festival_id", "body", "etag", "built_at")},
        where=Feed.built_at <= statement.excluded.built_at,
    )
    db.session.execute(statement)


def _fresh_since(key, since):
    """True when the stored feed was built from a read that began after `since`."""
    if since is None:
        return False
    if isinstance(since, str):
        since = datetime.fromisoformat(since)
    built_at = db.session.scalar(sa.select(Feed.built_at).where(Feed.key == key))
    return built_at is not None and built_at > since


def drop_festival_feeds(festival_id):
    """A festival back in draft shows no feeds (its agendas stay: they are the visitors')."""
    db.session.execute(sa.delete(Feed).where(Feed.festival_id == festival_id, Feed.key.not_like("pass:%")))


def build_festival(festival, since=None):
    """The programme feed and each venue's feed. Returns the keys written (none when already fresh)."""
    if _fresh_since(festival_key(festival.id), since):
        return []
    built_at = now_utc()
    sessions = _sessions(festival.id)
    # Each event is built and folded once, and shared by the programme and its venue's feed.
    lines = dict(zip((s.id for s in sessions), calendar.programme_events(festival, sessions, _public_url())))
    _store(festival_key(festival.id), festival.id, calendar.programme_body(festival, list(lines.values())), built_at)
    keys = [festival_key(festival.id)]
    for venue in festival.venues:
        venue_lines = [lines[s.id] for s in sessions if s.venue_id == venue.id]
        _store(venue_key(venue.id), festival.id, calendar.venue_body(festival, venue, venue_lines), built_at)
        keys.append(venue_key(venue.id))
    return keys


def build_agenda(pass_, since=None):
    if _fresh_since(pass_key(pass_.id), since):
        return False
    built_at = now_utc()
    _store(pass_key(pass_.id), pass_.festival_id, agenda_body(pass_), built_at)
    return True


def forget_agendas(festival_id):
    """Programme edits touch agendas in ways a message does not say: rebuild each on its next read."""
    db.session.execute(sa.delete(Feed).where(Feed.festival_id == festival_id, Feed.key.like("pass:%")))


def stored(key):
    """The stored feed; its body is read only when used (a 304 never needs it)."""
    return db.session.scalar(sa.select(Feed).where(Feed.key == key).options(defer(Feed.body)))


def festival_feed(festival):
    """(the stored programme feed, whether it was built now). Built once if there is none yet; the caller commits."""
    return _stored_or_built(festival_key(festival.id), lambda: build_festival(festival))


def venue_feed(festival, venue):
    return _stored_or_built(venue_key(venue.id), lambda: build_festival(festival))


def agenda_feed(pass_):
    return _stored_or_built(pass_key(pass_.id), lambda: build_agenda(pass_))


def _stored_or_built(key, build):
    feed = stored(key)
    if feed is not None:
        return feed, False
    build()
    return stored(key), True


def festival_by_id(festival_id):
    return db.session.get(Festival, festival_id)


def pass_by_id(pass_id):
    return db.session.get(Pass, pass_id)
