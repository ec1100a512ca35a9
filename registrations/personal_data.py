"""Registrations' part of a visitor's data export: the pass, its party, the consent record, the bookings,
and the audit log's entries about them.

Registered with app.personal_data (see there); the erasure of these rows is
registrations.services.erasure.anonymise itself, and of the audit log's copies erase_audit below.
"""
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app import personal_data
from app.audit import AuditEntry
from app.database import db
from app.i18n import local
from events.models import ProgrammeSession
from registrations import consent
from registrations.models import Booking, Pass
from registrations.services.bookings import waitlist_position


def _iso(dt, festival):
    return local(dt, festival.timezone).isoformat() if dt is not None else None


@personal_data.exporter("pass", order=10)
def export_pass(pass_):
    festival = pass_.festival
    return {
        "id": pass_.id,
        "festival": {
            "slug": festival.slug,
            "name_th": festival.name_th,
            "name_en": festival.name_en,
            "starts_on": festival.starts_on.isoformat(),
            "ends_on": festival.ends_on.isoformat(),
        },
        "name": pass_.name,
        "email": pass_.email,
        "phone": pass_.phone,
        "age_group": pass_.age_group,
        "locale": pass_.locale,
        "status": pass_.status,
        "party_size": pass_.party_size,
        "signed_up_at": _iso(pass_.created_at, festival),
        "cancelled_at": _iso(pass_.cancelled_at, festival),
    }


@personal_data.exporter("party", order=20)
def export_party(pass_):
    return [{"name": member.name, "age_group": member.age_group} for member in pass_.party]


@personal_data.exporter("consent", order=30)
def export_consent(pass_):
    known = consent.is_known(pass_.consent_version)
    return {
        "version": pass_.consent_version,
        "locale": pass_.consent_locale,
        "at": _iso(pass_.consent_at, pass_.festival),
        "text_sha256": pass_.consent_text_sha256,
        # The exact words agreed to, as long as this version's text is on file.
        "text": consent.text(pass_.consent_locale, pass_.consent_version) if known else None,
    }


@personal_data.exporter("bookings", order=40)
def export_bookings(pass_):
    festival = pass_.festival
    bookings = db.session.scalars(
        sa.select(Booking)
        .where(Booking.pass_id == pass_.id)
        .options(selectinload(Booking.session).selectinload(ProgrammeSession.venue))
        .order_by(Booking.id)
    ).all()
    rows = []
    for booking in bookings:
        session = booking.session
        rows.append(
            {
                "id": booking.id,
                "session": {
                    "id": session.id,
                    "title_th": session.title_th,
                    "title_en": session.title_en,
                    "starts_at": _iso(session.starts_at, festival),
                    "ends_at": _iso(session.ends_at, festival),
                    "venue_th": session.venue.name_th if session.venue else None,
                    "venue_en": session.venue.name_en if session.venue else None,
                    "status": session.status,
                },
                "seats": booking.seats,
                "status": booking.status,
                "waitlist_position": waitlist_position(booking),
                "booked_at": _iso(booking.created_at, festival),
                "confirmed_at": _iso(booking.confirmed_at, festival),
                "promoted_at": _iso(booking.promoted_at, festival),
                "cancelled_at": _iso(booking.cancelled_at, festival),
                "cancelled_by": booking.cancelled_by,
            }
        )
    return rows


# --- the audit log's entries about a pass and its bookings (app/audit.py) -------------------

# Columns of an audited pass that name a person: scrubbed from the audit log on erasure.
PERSONAL_COLUMNS = ("name", "email", "phone")
ERASED = None


def _audit_of_pass(pass_id, booking_ids):
    about = sa.and_(AuditEntry.entity == Pass.__tablename__, AuditEntry.entity_id == pass_id)
    if booking_ids:
        about = sa.or_(
            about, sa.and_(AuditEntry.entity == Booking.__tablename__, AuditEntry.entity_id.in_(booking_ids))
        )
    return sa.select(AuditEntry).where(about).order_by(AuditEntry.id)


def _booking_ids(pass_id):
    return list(db.session.scalars(sa.select(Booking.id).where(Booking.pass_id == pass_id)))


@personal_data.exporter("organiser_changes", order=70)
def export_audit(pass_):
    """Changes organisers made to this pass or its bookings (who did it is staff data: the role only)."""
    return [
        {
            "at": entry.at.isoformat(timespec="seconds"),
            "by_role": entry.role,
            "action": entry.action,
            "entity": entry.entity,
            "entity_id": entry.entity_id,
            "before": entry.before,
            "after": entry.after,
        }
        for entry in db.session.scalars(_audit_of_pass(pass_.id, _booking_ids(pass_.id)))
    ]


def _scrubbed(values, identity):
    if not values:
        return values, False
    changed = False
    clean = dict(values)
    for key, value in values.items():
        if key in PERSONAL_COLUMNS or (isinstance(value, str) and value in identity.values):
            if value not in (None, ""):
                clean[key] = ERASED
                changed = True
    return clean, changed


@personal_data.eraser("audit")
def erase_audit(identities):
    """The log keeps who changed what and when; a pass's name, email and phone leave it."""
    by_pass = {identity.pass_id: identity for identity in identities}
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity == Pass.__tablename__, AuditEntry.entity_id.in_(list(by_pass)))
    )
    for entry in entries:
        identity = by_pass[entry.entity_id]
        before, changed_before = _scrubbed(entry.before, identity)
        after, changed_after = _scrubbed(entry.after, identity)
        if changed_before:
            entry.before = before
        if changed_after:
            entry.after = after
