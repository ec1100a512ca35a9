"""Attendee lists as CSV for organisers: UTF-8 with a BOM, so that Excel shows Thai names."""
import csv
import io

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app import audit
from app.database import db
from app.i18n import local
from events.models import ProgrammeSession
from registrations.models import CANCELLED, CONFIRMED, WAITLISTED, Booking, Pass
from registrations.services.bookings import session_bookings

SESSION_COLUMNS = ["name", "email", "phone", "age_group", "party", "seats", "status", "waitlist_position", "booked_at"]
FESTIVAL_COLUMNS = [
    "pass_id", "name", "email", "phone", "age_group", "party", "party_size", "status", "signed_up_at",
    "confirmed_sessions", "waitlisted_sessions",
]
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    """Text that a spreadsheet would run as a formula is kept as text."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _email(pass_):
    """An anonymised pass keeps a placeholder address (deleted-<id>@invalid): no one's, so not listed."""
    return "" if pass_.anonymised_at is not None else pass_.email


def _party(pass_):
    return "; ".join(f"{member.name} ({member.age_group})" for member in pass_.party)


def _csv(columns, rows):
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return out.getvalue()


def session_attendees_csv(session):
    """Who holds seats in a session, then the waitlist in order."""
    confirmed, waitlisted = session_bookings(session.id)
    zone = session.festival.timezone
    rows = []
    for booking, position in [(b, None) for b in confirmed] + [(b, n) for n, b in enumerate(waitlisted, 1)]:
        holder = booking.pass_
        rows.append(
            [holder.name, _email(holder), holder.phone, holder.age_group, _party(holder), booking.seats,
             booking.status, position, local(booking.queued_at, zone).isoformat()]
        )
    audit.record_export("sessions", session.id, session.festival.city_id, attendee_rows=len(rows))
    return _csv(SESSION_COLUMNS, rows)


def _waitlist_positions(festival_id):
    """{booking id: position} for every waitlisted booking of the festival, in one query."""
    positions, current, counter = {}, None, 0
    rows = db.session.execute(
        sa.select(Booking.id, Booking.session_id)
        .join(ProgrammeSession, Booking.session_id == ProgrammeSession.id)
        .where(ProgrammeSession.festival_id == festival_id, Booking.status == WAITLISTED)
        .order_by(Booking.session_id, Booking.queued_at, Booking.id)
    )
    for booking_id, session_id in rows:
        counter = counter + 1 if session_id == current else 1
        current = session_id
        positions[booking_id] = counter
    return positions


def festival_attendees_csv(festival):
    """One row per pass: the holder, the party, and the sessions booked."""
    positions = _waitlist_positions(festival.id)
    titles = dict(
        db.session.execute(
            sa.select(ProgrammeSession.id, ProgrammeSession.title_th).where(ProgrammeSession.festival_id == festival.id)
        ).all()
    )
    passes = db.session.scalars(
        sa.select(Pass)
        .where(Pass.festival_id == festival.id)
        .options(selectinload(Pass.party), selectinload(Pass.bookings))
        .order_by(Pass.id)
    ).all()
    rows = []
    for holder in passes:
        live = [b for b in holder.bookings if b.status != CANCELLED]
        confirmed = "; ".join(titles.get(b.session_id, "") for b in live if b.status == CONFIRMED)
        waiting = "; ".join(f"{titles.get(b.session_id, '')} (#{positions.get(b.id)})" for b in live if b.status == WAITLISTED)
        rows.append(
            [holder.id, holder.name, _email(holder), holder.phone, holder.age_group, _party(holder), holder.party_size,
             holder.status, local(holder.created_at, festival.timezone).isoformat(), confirmed, waiting]
        )
    audit.record_export("festivals", festival.id, festival.city_id, attendee_rows=len(rows))
    return _csv(FESTIVAL_COLUMNS, rows)
