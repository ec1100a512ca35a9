"""Registrations' part of a visitor's data export: the pass, its party, the consent record, the bookings.

Registered with app.personal_data (see there); the erasure of these rows is
registrations.services.erasure.anonymise itself.
"""
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app import personal_data
from app.database import db
from app.i18n import local
from events.models import ProgrammeSession
from registrations import consent
from registrations.models import Booking
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
