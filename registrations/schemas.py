"""marshmallow: what the registrations API takes in and gives out."""
import contextvars

import marshmallow as ma
from marshmallow import validate

from app.i18n import LOCALES, local
from events.vocabulary import AGE_GROUPS
from registrations import pass_codes
from registrations.models import CANCELLED, CONFIRMED, WAITLISTED
from registrations.services import links, waitlist_position
from registrations.services.locks import MAX_ID
from registrations.services.passes import MAX_PARTY_MEMBERS


class Text(ma.fields.String):
    """A string with its surrounding spaces trimmed before the length is checked."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


class TrimmedEmail(ma.fields.Email):
    """An address as people paste it: surrounding spaces dropped, case folded, then checked."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip().lower()


class Input(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class PartyMemberIn(Input):
    name = Text(required=True, validate=validate.Length(1, 200))
    age_group = ma.fields.String(required=True, validate=validate.OneOf(AGE_GROUPS))


class SignUpIn(Input):
    name = Text(required=True, validate=validate.Length(1, 200))
    email = TrimmedEmail(required=True, validate=validate.Length(max=254))
    phone = Text(load_default="", validate=[validate.Length(max=40), validate.Regexp(r"^[0-9+()\-. ]*$")])
    age_group = ma.fields.String(required=True, validate=validate.OneOf(AGE_GROUPS))
    party = ma.fields.List(
        ma.fields.Nested(PartyMemberIn), load_default=list, validate=validate.Length(max=MAX_PARTY_MEMBERS)
    )
    consent = ma.fields.Boolean(
        required=True,
        validate=validate.Equal(True, error="Please agree to the consent text to get a pass."),
        metadata={"description": "must be true: the visitor agreed to the consent text shown"},
    )
    consent_version = ma.fields.String(
        load_default=None, metadata={"description": "the version of the consent text shown (default: current)"}
    )
    locale = ma.fields.String(load_default="th", validate=validate.OneOf(LOCALES))


ID = validate.Range(min=1, max=MAX_ID)
MAX_CAPACITY = 100_000


class BookingIn(Input):
    session_id = ma.fields.Integer(required=True, strict=True, validate=ID)
    seats = ma.fields.Integer(
        load_default=None, strict=True, validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "default: the people of the party whom the session is for, by its age_groups "
                                 "(more is 422 `age_group`)"},
    )


class BookingChangeIn(Input):
    """Organisers: move a booking (`session_id`) or cancel it (`status: cancelled`)."""

    session_id = ma.fields.Integer(strict=True, validate=ID)
    status = ma.fields.String(validate=validate.OneOf([CANCELLED]))

    @ma.validates_schema
    def one_change(self, data, **kwargs):
        if ("session_id" in data) == ("status" in data):
            raise ma.ValidationError("Give either session_id (move) or status: cancelled.", "session_id")


class CapacityIn(Input):
    capacity = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=MAX_CAPACITY))


def _in_zone(dt, obj_festival):
    return local(dt, obj_festival.timezone).isoformat() if dt is not None else None


class BookedSession(ma.Schema):
    id = ma.fields.Integer()
    title_th = ma.fields.String()
    title_en = ma.fields.String()
    starts_at = ma.fields.Method("get_starts_at")
    ends_at = ma.fields.Method("get_ends_at")
    status = ma.fields.String()

    def get_starts_at(self, session):
        return _in_zone(session.starts_at, session.festival)

    def get_ends_at(self, session):
        return _in_zone(session.ends_at, session.festival)


class BookingOut(ma.Schema):
    id = ma.fields.Integer()
    session_id = ma.fields.Integer()
    pass_id = ma.fields.Integer()
    seats = ma.fields.Integer()
    status = ma.fields.String(metadata={"enum": [CONFIRMED, WAITLISTED, CANCELLED]})
    waitlist_position = ma.fields.Method("get_waitlist_position", metadata={"description": "null unless waitlisted"})
    queued_at = ma.fields.Method("get_queued_at")
    confirmed_at = ma.fields.Method("get_confirmed_at")
    cancelled_at = ma.fields.Method("get_cancelled_at")
    cancelled_by = ma.fields.String(allow_none=True)
    session = ma.fields.Nested(BookedSession)

    def get_waitlist_position(self, booking):
        counted = _counted_positions.get()
        if booking.id in counted:
            return counted[booking.id]
        return waitlist_position(booking)

    def get_queued_at(self, booking):
        return _in_zone(booking.queued_at, booking.session.festival)

    def get_confirmed_at(self, booking):
        return _in_zone(booking.confirmed_at, booking.session.festival)

    def get_cancelled_at(self, booking):
        return _in_zone(booking.cancelled_at, booking.session.festival)


# {booking id: waitlist position} counted already, in the transaction that queued it (booking_answer).
_counted_positions = contextvars.ContextVar("counted_positions", default={})


def booking_answer(booking, position):
    """BookingOut of a booking whose waitlist position the request counted already: one schema for all
    requests (making a schema copies its fields, which a booking in a rush should not pay for)."""
    token = _counted_positions.set({booking.id: position})
    try:
        return _BOOKING_OUT.dump(booking)
    finally:
        _counted_positions.reset(token)


class OrganiserBookingOut(BookingOut):
    holder = ma.fields.Method("get_holder")

    def get_holder(self, booking):
        holder = booking.pass_
        return {
            "name": holder.name,
            "email": holder.email,
            "phone": holder.phone,
            "age_group": holder.age_group,
            "party": [{"name": m.name, "age_group": m.age_group} for m in holder.party],
        }


class PartyMemberOut(ma.Schema):
    name = ma.fields.String()
    age_group = ma.fields.String()


class PassOut(ma.Schema):
    id = ma.fields.Integer()
    festival = ma.fields.Function(lambda p: p.festival.slug)
    name = ma.fields.String()
    email = ma.fields.String()
    phone = ma.fields.String()
    age_group = ma.fields.String()
    party = ma.fields.List(ma.fields.Nested(PartyMemberOut))
    party_size = ma.fields.Integer()
    locale = ma.fields.String()
    status = ma.fields.String(metadata={"enum": ["active", "cancelled"]})
    consent = ma.fields.Function(lambda p: True)
    consent_version = ma.fields.String()
    consent_locale = ma.fields.String()
    consent_text_sha256 = ma.fields.String()
    consent_at = ma.fields.Function(lambda p: _in_zone(p.consent_at, p.festival))
    created_at = ma.fields.Function(lambda p: _in_zone(p.created_at, p.festival))
    code = ma.fields.Function(pass_codes.issue, metadata={"description": "the QR payload: Base32, Ed25519-signed"})
    manage_token = ma.fields.String(metadata={"description": "secret: whoever holds it manages the pass"})
    qr_url = ma.fields.Function(lambda p: links(p)["qr_url"])
    manage_url = ma.fields.Function(lambda p: links(p)["manage_url"])
    agenda_url = ma.fields.Function(lambda p: links(p)["agenda_url"])
    webcal_url = ma.fields.Function(lambda p: links(p)["webcal_url"])
    bookings = ma.fields.List(ma.fields.Nested(BookingOut))


class PassView(PassOut):
    """The pass as it stands (GET, and the answer to a cancel): `consent` is the record of what was
    agreed to. The sign-up's answer keeps `consent: true`, the field as it was sent."""

    consent = ma.fields.Method(
        "get_consent",
        metadata={"description": "the consent record: version and language of the text, time (in the festival's "
                                 "zone) and the SHA-256 of the exact text agreed to"},
    )

    def get_consent(self, pass_):
        return {
            "version": pass_.consent_version,
            "locale": pass_.consent_locale,
            "at": _in_zone(pass_.consent_at, pass_.festival),
            "text_sha256": pass_.consent_text_sha256,
        }


class PersonalDataDeletedOut(ma.Schema):
    id = ma.fields.Function(lambda d: d.pass_.id)
    status = ma.fields.Function(lambda d: d.pass_.status, metadata={"description": "anonymised, or cancelled"})
    anonymised_at = ma.fields.Function(lambda d: _in_zone(d.pass_.anonymised_at, d.pass_.festival))
    cancelled_bookings = ma.fields.List(
        ma.fields.Nested(BookingOut), metadata={"description": "bookings of sessions still to come, now cancelled"}
    )


class ExistingPassOut(ma.Schema):
    id = ma.fields.Integer()
    message = ma.fields.String()


class CapacityOut(ma.Schema):
    session_id = ma.fields.Integer()
    capacity = ma.fields.Integer()
    seats_confirmed = ma.fields.Integer()
    seats_left = ma.fields.Integer()
    waitlist_length = ma.fields.Integer()
    promoted = ma.fields.List(ma.fields.Nested(BookingOut))


class SessionBookingsOut(ma.Schema):
    session = ma.fields.Nested(BookedSession)
    capacity = ma.fields.Integer(allow_none=True)
    seats_confirmed = ma.fields.Integer()
    seats_left = ma.fields.Integer(allow_none=True)
    waitlist_length = ma.fields.Integer()
    confirmed = ma.fields.List(ma.fields.Nested(OrganiserBookingOut))
    waitlist = ma.fields.List(ma.fields.Nested(OrganiserBookingOut))


_BOOKING_OUT = BookingOut()
