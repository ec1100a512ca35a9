"""Venues and programme sessions: checks an organiser would thank us for, and the messages visitors rely on.

A published festival's changes are announced through the outbox: `session.moved`
(time or venue), `session.cancelled`, and `programme.changed` for every edit.
Every change a visitor can see raises the session's `sequence` (iCalendar SEQUENCE).
"""
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from app.database import db
from app.errors import DomainError, Invalid, NotFound, N_
from app.outbox import emit
from events import validation as check
from events.festivals import reachable
from events.models import ProgrammeSession, Venue
from events.vocabulary import AGE_GROUPS, LANGUAGES, SESSION_KINDS, SESSION_STATUSES, THEMES, VENUE_KINDS

VENUE_FIELDS = ("name_th", "name_en", "kind", "capacity", "sort_order")
SESSION_FIELDS = (
    "title_th",
    "title_en",
    "description_th",
    "description_en",
    "kind",
    "venue_id",
    "starts_at",
    "ends_at",
    "capacity",
    "themes",
    "age_groups",
    "adult_takes_seat",
    "hosts",
    "language",
    "status",
)
# What a booked visitor must hear about: their seat is somewhere else or at another time.
MOVE_FIELDS = ("starts_at", "ends_at", "venue_id")


def _unknown(fields, allowed):
    for name in fields:
        if name not in allowed:
            raise Invalid(name, N_("Unknown field."), code="unknown_field")


def _announce(festival):
    if festival.is_published:
        emit("programme.changed", festival_id=festival.id)


# --- venues -----------------------------------------------------------------


def _clean_venue(values):
    clean = {}
    clean["name_th"] = check.text("name_th", values.get("name_th"), 200)
    clean["name_en"] = check.text("name_en", values.get("name_en"), 200)
    if not clean["name_th"] and not clean["name_en"]:
        raise Invalid("name_th", N_("Give the name in Thai, English or both."), code="required")
    clean["kind"] = check.choice("kind", values.get("kind"), VENUE_KINDS)
    clean["capacity"] = check.capacity("capacity", values.get("capacity"))
    clean["sort_order"] = check.integer("sort_order", values.get("sort_order") or 0, minimum=-10_000, maximum=10_000)
    return clean


def _ensure_unique_venue_name(festival, clean, venue_id=None):
    for other in festival.venues:
        if other.id == venue_id:
            continue
        for field in ("name_th", "name_en"):
            if clean[field] and getattr(other, field).casefold() == clean[field].casefold():
                raise DomainError(
                    "duplicate", N_("This festival has a venue with this name already."), field=field, status=409, venue_id=other.id
                )


def create_venue(festival, **fields):
    _unknown(fields, VENUE_FIELDS)
    clean = _clean_venue(fields)
    _ensure_unique_venue_name(festival, clean)
    venue = Venue(festival_id=festival.id, **clean)
    db.session.add(venue)
    db.session.flush()
    db.session.expire(festival, ["venues"])
    _announce(festival)
    return venue


def update_venue(venue, **fields):
    _unknown(fields, VENUE_FIELDS)
    current = {name: getattr(venue, name) for name in VENUE_FIELDS}
    clean = _clean_venue({**current, **fields})
    changed = {name: value for name, value in clean.items() if current[name] != value}
    if not changed:
        return venue
    _ensure_unique_venue_name(venue.festival, clean, venue.id)
    for name, value in changed.items():
        setattr(venue, name, value)
    if {"name_th", "name_en"} & set(changed):
        # The venue's name is each session's LOCATION in the calendar feeds.
        for session in db.session.scalars(sa.select(ProgrammeSession).where(ProgrammeSession.venue_id == venue.id)):
            session.sequence += 1
    db.session.flush()
    _announce(venue.festival)
    return venue


def venue_by_id(venue_id, user=None, for_edit=False):
    venue = db.session.get(Venue, venue_id) if _an_id(venue_id) else None
    if venue is None:
        raise NotFound("venue")
    reachable(venue.festival, user, for_edit, "venue")
    return venue


# --- sessions ---------------------------------------------------------------


def _an_id(value):
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= check.MAX_INT


def _clean_session(festival, values):
    """Every field of a session as it will be after the change, checked in the order an organiser reads them."""
    zone = festival.timezone
    clean = {}
    clean["title_th"] = check.text("title_th", values.get("title_th"), 300)
    clean["title_en"] = check.text("title_en", values.get("title_en"), 300)
    if not clean["title_th"] and not clean["title_en"]:
        raise Invalid("title_th", N_("Give the title in Thai, English or both."), code="required")
    clean["description_th"] = check.text("description_th", values.get("description_th"), 20_000)
    clean["description_en"] = check.text("description_en", values.get("description_en"), 20_000)
    clean["kind"] = check.choice("kind", values.get("kind"), SESSION_KINDS)
    clean["starts_at"] = check.moment("starts_at", values.get("starts_at"), zone)
    clean["ends_at"] = check.moment("ends_at", values.get("ends_at"), zone)
    if clean["ends_at"] <= clean["starts_at"]:
        raise Invalid("ends_at", N_("The session must end after it starts."), code="ends_before_start")
    ensure_inside_festival(festival, clean["starts_at"], clean["ends_at"])
    clean["venue_id"] = _venue_of(festival, values.get("venue_id"))
    clean["capacity"] = check.capacity("capacity", values.get("capacity"))
    clean["themes"] = check.choices("themes", values.get("themes"), THEMES)
    clean["age_groups"] = check.choices("age_groups", values.get("age_groups"), AGE_GROUPS)
    clean["adult_takes_seat"] = check.boolean("adult_takes_seat", values.get("adult_takes_seat", False))
    clean["hosts"] = check.names("hosts", values.get("hosts"))
    clean["language"] = check.choice("language", values.get("language") or "th", LANGUAGES)
    clean["status"] = check.choice("status", values.get("status") or "scheduled", SESSION_STATUSES)
    return clean


def ensure_inside_festival(festival, starts_at, ends_at):
    first = check.midnight(festival.starts_on, festival.timezone)
    after_last = check.midnight(festival.ends_on + timedelta(days=1), festival.timezone)
    if starts_at < first or starts_at >= after_last:
        raise Invalid("starts_at", N_("The session must take place on one of the festival's days."), code="outside_festival")
    if ends_at > after_last:
        raise Invalid("ends_at", N_("The session must end by the close of the festival's last day."), code="outside_festival")


def _venue_of(festival, venue_id):
    if venue_id is None:
        return None
    if not _an_id(venue_id):
        raise Invalid("venue_id", N_("Not a venue of this festival."), code="venue_not_in_festival")
    venue = db.session.get(Venue, venue_id)
    if venue is None or venue.festival_id != festival.id:
        raise Invalid("venue_id", N_("Not a venue of this festival."), code="venue_not_in_festival")
    return venue.id


def find_clash(festival_id, venue_id, starts_at, ends_at, session_id=None):
    """Another live session in the same venue whose time overlaps, or None."""
    if venue_id is None:
        return None
    query = sa.select(ProgrammeSession).where(
        ProgrammeSession.festival_id == festival_id,
        ProgrammeSession.venue_id == venue_id,
        ProgrammeSession.status != "cancelled",
        ProgrammeSession.starts_at < ends_at,
        ProgrammeSession.ends_at > starts_at,
    )
    if session_id is not None:
        query = query.where(ProgrammeSession.id != session_id)
    return db.session.scalars(query.order_by(ProgrammeSession.starts_at, ProgrammeSession.id).limit(1)).first()


def clash_error(other, field="starts_at"):
    return DomainError(
        "clash",
        N_("The venue is taken by “%(title)s” at this time."),
        params={"title": {"th": other.title_th, "en": other.title_en}},
        field=field,
        status=409,
        session_id=other.id,
    )


def _ensure_no_clash(festival, clean, session_id=None):
    if clean["status"] == "cancelled":
        return
    if clean["venue_id"] is not None:
        # Two organisers placing sessions in one venue at once: the second waits for the first (PostgreSQL).
        db.session.execute(sa.select(Venue.id).where(Venue.id == clean["venue_id"]).with_for_update())
    other = find_clash(festival.id, clean["venue_id"], clean["starts_at"], clean["ends_at"], session_id)
    if other is not None:
        raise clash_error(other, "venue_id" if clean["venue_id"] else "starts_at")


def create_session(festival, **fields):
    _unknown(fields, SESSION_FIELDS)
    clean = _clean_session(festival, fields)
    _ensure_no_clash(festival, clean)
    session = ProgrammeSession(festival_id=festival.id, **clean)
    db.session.add(session)
    db.session.flush()
    _announce(festival)
    return session


def _as_message_value(value, zone):
    if hasattr(value, "astimezone"):
        return value.astimezone(zone).isoformat()
    return value


def update_session(session, **fields):
    """Change some fields; a move of a published session emits session.moved with the changes."""
    _unknown(fields, SESSION_FIELDS)
    festival = session.festival
    current = {name: getattr(session, name) for name in SESSION_FIELDS}
    clean = _clean_session(festival, {**current, **fields})
    changed = {name: value for name, value in clean.items() if current[name] != value}
    if not changed:
        return session
    _ensure_no_clash(festival, clean, session.id)
    for name, value in changed.items():
        setattr(session, name, value)
    session.sequence += 1
    db.session.flush()
    if festival.is_published:
        zone = festival.zone
        moves = {
            name: [_as_message_value(current[name], zone), _as_message_value(changed[name], zone)]
            for name in MOVE_FIELDS
            if name in changed
        }
        if moves and clean["status"] != "cancelled":
            emit("session.moved", session_id=session.id, festival_id=festival.id, changes=moves)
        if changed.get("status") == "cancelled":
            emit("session.cancelled", session_id=session.id, festival_id=festival.id)
        emit("programme.changed", festival_id=festival.id)
    if "capacity" in changed:
        # Seats are registrations' business: raised capacity must go to the waitlist first.
        emit("session.capacity_changed", session_id=session.id, festival_id=festival.id)
    return session


def cancel_session(session):
    """Cancel (idempotent). The session stays in the programme, marked cancelled; bookings are registrations' concern."""
    if session.status == "cancelled":
        return session
    return update_session(session, status="cancelled")


def delete_session(session):
    """Remove a session that nobody booked; with bookings or scans, refuse: cancel it instead."""
    bookings = db.metadata.tables.get("bookings")
    if bookings is not None:
        booked = db.session.scalar(sa.select(sa.func.count()).select_from(bookings).where(bookings.c.session_id == session.id))
        if booked:
            raise DomainError(
                "has_bookings",
                N_("Visitors have booked this session: cancel it instead, so that they are told."),
                status=409,
                bookings=booked,
            )
    checkpoints, scans = db.metadata.tables.get("checkpoints"), db.metadata.tables.get("scans")
    if checkpoints is not None and scans is not None:
        scanned = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(scans.join(checkpoints, scans.c.checkpoint_id == checkpoints.c.id))
            .where(checkpoints.c.session_id == session.id)
        )
        if scanned:
            raise DomainError(
                "has_scans", N_("Visitors were scanned at this session: cancel it instead of deleting it."), status=409
            )
    festival = session.festival
    db.session.delete(session)
    db.session.flush()
    _announce(festival)


def session_by_id(session_id, user=None, for_edit=False):
    session = db.session.get(ProgrammeSession, session_id) if _an_id(session_id) else None
    if session is None:
        raise NotFound("session")
    reachable(session.festival, user, for_edit, "session")
    return session


def programme(festival, day=None, kind=None, theme=None, age_group=None, venue_id=None):
    """The festival's sessions (cancelled ones too, marked), by start time then venue, venues loaded."""
    query = (
        sa.select(ProgrammeSession)
        .outerjoin(Venue, Venue.id == ProgrammeSession.venue_id)
        .where(ProgrammeSession.festival_id == festival.id)
    )
    if day is not None:
        day = check.a_date("day", day)
        query = query.where(
            ProgrammeSession.starts_at >= check.midnight(day, festival.timezone),
            ProgrammeSession.starts_at < check.midnight(day + timedelta(days=1), festival.timezone),
        )
    if kind is not None:
        query = query.where(ProgrammeSession.kind == check.choice("kind", kind, SESSION_KINDS))
    if venue_id is not None:
        if not _an_id(venue_id):
            raise Invalid("venue", N_("Not a venue id."), code="invalid")
        query = query.where(ProgrammeSession.venue_id == venue_id)
    query = query.order_by(
        ProgrammeSession.starts_at,
        sa.func.coalesce(Venue.sort_order, 0),
        sa.func.coalesce(Venue.id, 0),
        ProgrammeSession.id,
    )
    sessions = list(db.session.scalars(query))
    # Themes and age groups are JSON lists: filtered here, the same way on SQLite and PostgreSQL.
    if theme is not None:
        theme = check.choice("theme", theme, THEMES)
        sessions = [s for s in sessions if theme in (s.themes or [])]
    if age_group is not None:
        age_group = check.choice("age_group", age_group, AGE_GROUPS)
        sessions = [s for s in sessions if age_group in (s.age_groups or [])]
    # A festival has a handful of venues: one query for all of them beats a joined load per row.
    venues = {venue.id: venue for venue in db.session.scalars(sa.select(Venue).where(Venue.festival_id == festival.id))}
    for session in sessions:
        set_committed_value(session, "venue", venues.get(session.venue_id))
        set_committed_value(session, "festival", festival)
    return sessions
