"""JSON API: passes, bookings and waitlists (flask-smorest: schema.load → service → schema.dump).

Visitors act through the secret manage token of their pass; organisers through
bearer tokens, on their own city's festivals only.
"""
import json

from flask import Response, jsonify
from flask_babel import gettext as _
from flask_smorest import Blueprint

from app import personal_data
from app.auth import current_principal, ensure_city, public, require_roles, visitor
from app.database import commit_keeping_loaded, db
from app.downloads import download
from app.errors import ErrorSchema, NotFound, N_
from events import services as events_services
from events.models import Festival
from registrations import pass_codes, qr_image
from registrations.rate_limits import booking_by_token, sign_up_limited
from registrations import services as svc
from registrations.services import erasure
from registrations.schemas import (
    BookingChangeIn,
    BookingIn,
    BookingOut,
    CapacityIn,
    CapacityOut,
    ExistingPassOut,
    PassOut,
    PassView,
    PersonalDataDeletedOut,
    SessionBookingsOut,
    SignUpIn,
    booking_answer,
)

blp = Blueprint("registrations_api", __name__, description="Passes, bookings and waitlists")
ORGANISER = [{"bearerAuth": []}]
# Instances, not the classes: webargs makes a schema per request from a class (copying its fields),
# and sign-ups and bookings are the requests of a registration rush.
SIGN_UP_IN, BOOKING_IN = SignUpIn(), BookingIn()


# --- visitors ---------------------------------------------------------------------


@blp.route("/festivals/<slug>/passes", methods=["POST"])
@blp.arguments(SIGN_UP_IN)
@blp.response(201, PassOut, description="A new pass (the token is shown only now and in the mailed link).")
@blp.alt_response(200, schema=ExistingPassOut, description="This email has a pass: its link is mailed to it.")
@public
@sign_up_limited
def sign_up(data, slug):
    """Sign up for a published festival: one pass per email."""
    result = svc.sign_up(slug, **data)
    db.session.commit()
    if not result.created:
        body = {"id": result.pass_.id, "message": _("This email has a pass already: we have sent its link there.")}
        return jsonify(ExistingPassOut().dump(body)), 200
    return result.pass_


@blp.route("/passes/<token>", methods=["GET"])
@blp.response(200, PassView)
@visitor
def get_pass(token):
    """The pass, its party, its bookings (with waitlist positions) and its links."""
    return svc.pass_for_manage_token(token)


@blp.route("/passes/<token>", methods=["DELETE"])
@blp.response(200, PassView)
@visitor
def cancel_pass(token):
    """Cancel the whole pass and its bookings; scans then answer `cancelled`."""
    pass_ = svc.cancel_pass(svc.pass_for_manage_token(token).id)
    db.session.commit()
    return pass_


@blp.route("/passes/<token>/export", methods=["GET"])
@blp.response(200, content_type="application/json", description="A JSON file (attachment)")
@visitor
def export_personal_data(token):
    """Everything we hold about the pass holder, as a JSON download (PDPA: the right to a copy)."""
    pass_ = svc.pass_for_manage_token(token)
    body = json.dumps(personal_data.export(pass_), ensure_ascii=False, indent=2)
    filename = f"thetsakan-{pass_.festival.slug}-pass-{pass_.id}.json"
    return download(body, filename, "application/json", headers={"Cache-Control": "no-store"})


@blp.route("/passes/<token>/personal-data", methods=["DELETE"])
@blp.response(200, PersonalDataDeletedOut)
@visitor
def delete_personal_data(token):
    """Delete the pass holder's personal data (PDPA): bookings of sessions still to come are cancelled
    (the waitlist moves up), the pass is anonymised and its links stop working (404); its QR code
    then scans as `cancelled`. Anonymous counts stay for the reports."""
    deletion = erasure.delete_personal_data(svc.pass_for_manage_token(token).id)
    db.session.commit()
    return deletion


@blp.route("/passes/<token>/qr.png", methods=["GET"])
@blp.response(200, content_type="image/png")
@visitor
def pass_qr(token):
    """The pass's QR code as a PNG image."""
    pass_ = svc.pass_for_manage_token(token)
    return Response(qr_image.png(pass_codes.issue(pass_)), mimetype="image/png")


@blp.route("/passes/<token>/bookings", methods=["POST"])
@blp.arguments(BOOKING_IN)
@blp.response(201, BookingOut, description="`confirmed`, or `waitlisted` with its position")
@blp.alt_response(
    409, schema=ErrorSchema,
    description="`clash` (with the other `session_id`), `closed`, `already_booked` (with `booking_id`), "
    "`no_booking_needed`, `exceeds_capacity`, `pass_cancelled`",
)
@blp.alt_response(
    422, schema=ErrorSchema,
    description="`age_group`: nobody in the party is one the session is for (field `session_id`), or more `seats` "
    "than those people (field `seats`); with `seats_allowed` and `age_groups`. `invalid_seats`, `wrong_festival`",
)
@visitor
@booking_by_token
def book(data, token):
    """Book a session: 409 `clash`, `closed`, `already_booked`, `no_booking_needed`."""
    booking = svc.book_with_manage_token(token, data["session_id"], data["seats"])
    # The answer is this transaction's: its place in the queue counted under the session's lock,
    # the booking, session and festival as loaded. Nothing is read again after the commit.
    position = svc.waitlist_position(booking)
    commit_keeping_loaded()
    return jsonify(booking_answer(booking, position)), 201


@blp.route("/passes/<token>/bookings/<int:booking_id>", methods=["DELETE"])
@blp.response(200, BookingOut)
@blp.alt_response(409, schema=ErrorSchema, description="`closed`: the session has started")
@visitor
def cancel_booking(token, booking_id):
    """Cancel a booking; freed seats go to the waitlist at once."""
    booking = svc.cancel_booking(svc.pass_for_manage_token(token).id, booking_id)
    db.session.commit()
    return booking


# --- organisers --------------------------------------------------------------------


def _festival_session(session_id):
    session = svc.find_session(session_id)
    ensure_city(session.festival.city_id)
    return session


def _festival(slug):
    return events_services.festival_by_slug(slug, user=current_principal(), for_edit=True)


@blp.route("/sessions/<int:session_id>/bookings", methods=["GET"])
@require_roles("organiser")
@blp.response(200, SessionBookingsOut)
@blp.doc(security=ORGANISER)
def session_bookings(session_id):
    """A session's confirmed bookings and its waitlist in order."""
    session = _festival_session(session_id)
    confirmed, waitlist = svc.session_bookings(session.id)
    return {
        "session": session,
        "capacity": session.capacity,
        "seats_confirmed": session.seats_confirmed,
        "seats_left": session.seats_left,
        "waitlist_length": session.waitlist_length,
        "confirmed": confirmed,
        "waitlist": waitlist,
    }


@blp.route("/sessions/<int:session_id>/capacity", methods=["POST"])
@require_roles("organiser")
@blp.arguments(CapacityIn)
@blp.response(200, CapacityOut)
@blp.doc(security=ORGANISER)
def set_capacity(data, session_id):
    """Raise (promotes from the waitlist at once) or lower (keeps confirmations) a session's seats."""
    _festival_session(session_id)
    session, promoted = svc.set_capacity(session_id, data["capacity"])
    db.session.commit()
    return {
        "session_id": session.id,
        "capacity": session.capacity,
        "seats_confirmed": session.seats_confirmed,
        "seats_left": session.seats_left,
        "waitlist_length": session.waitlist_length,
        "promoted": promoted,
    }


@blp.route("/bookings/<int:booking_id>", methods=["PATCH"])
@require_roles("organiser")
@blp.arguments(BookingChangeIn)
@blp.response(200, BookingOut)
@blp.alt_response(
    409, schema=ErrorSchema,
    description="`booking_cancelled`, `closed`, `no_booking_needed`, `already_booked`, `clash`, `full`",
)
@blp.doc(security=ORGANISER)
def change_booking(data, booking_id):
    """Move a booking to another session (`session_id`) or cancel it (`status: cancelled`)."""
    festival_id = svc.festival_id_of_booking(booking_id)
    if festival_id is None:
        raise NotFound("booking", N_("No such booking."))
    ensure_city(db.session.get(Festival, festival_id).city_id)
    if "session_id" in data:
        booking = svc.move_booking(booking_id, data["session_id"])
    else:
        booking = svc.cancel_booking_by_organiser(booking_id)
    db.session.commit()
    return booking


@blp.route("/sessions/<int:session_id>/attendees.csv", methods=["GET"])
@require_roles("organiser")
@blp.response(200, content_type="text/csv")
@blp.doc(security=ORGANISER)
def session_attendees(session_id):
    """A session's attendee list (confirmed, then the waitlist), UTF-8 CSV with a BOM."""
    session = _festival_session(session_id)
    body = svc.session_attendees_csv(session)
    db.session.commit()  # who downloaded it goes into the audit log
    return download(body, f"session-{session.id}-attendees.csv", "text/csv")


@blp.route("/festivals/<slug>/attendees.csv", methods=["GET"])
@require_roles("organiser")
@blp.response(200, content_type="text/csv")
@blp.doc(security=ORGANISER)
def festival_attendees(slug):
    """Every pass of a festival with its party and sessions, UTF-8 CSV with a BOM."""
    festival = _festival(slug)
    body = svc.festival_attendees_csv(festival)
    db.session.commit()  # who downloaded it goes into the audit log
    return download(body, f"{festival.slug}-attendees.csv", "text/csv")
