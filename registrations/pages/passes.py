"""Visitors' pages: sign up, my pass (QR, bookings, cancel), and booking a session.

Each handler parses the form, calls a service, commits and redirects (303) with a
flash; a refusal re-renders the page with a translated sentence and a 4xx.
"""
import re

import marshmallow as ma
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.auth import public, visitor
from app.database import db
from app.errors import DomainError, NotFound, localized
from app.i18n import current_locale, local
from app.limits import actor, by_address
from registrations import consent, pass_codes, qr_image
from registrations import services as svc
from registrations.models import CANCELLED, CONFIRMED
from registrations.page_messages import field_messages
from registrations.rate_limits import booking_limited, sign_up_limited
from registrations.schemas import SignUpIn
from registrations.services import seats
from registrations.services.passes import MAX_PARTY_MEMBERS, bookings_of, published_festival

TOKEN_RE = re.compile(r"(?:/passes/)?([A-Za-z0-9_-]{20,100})/?(?:[?#].*)?$")


# --- sign up -------------------------------------------------------------------------


def _form_values(form):
    """The sign-up form as the API's JSON: family rows without a name are left out."""
    names, ages = form.getlist("party_name"), form.getlist("party_age_group")
    party = [
        {"name": name, "age_group": age}
        for name, age in zip(names, ages + [""] * (len(names) - len(ages)))
        if name.strip()
    ]
    values = {
        "name": form.get("name", ""),
        "email": form.get("email", ""),
        "phone": form.get("phone", ""),
        "age_group": form.get("age_group", ""),
        "party": party,
        "locale": current_locale(),
        "consent_version": form.get("consent_version") or consent.CURRENT_VERSION,
    }
    if form.get("consent"):
        values["consent"] = form.get("consent")
    return values


@public
@sign_up_limited
def signup(slug):
    festival = published_festival(slug)
    values, errors = {"party": []}, {}
    then = request.values.get("session", type=int)
    if request.method == "POST":
        values = _form_values(request.form)
        try:
            data = SignUpIn().load(values)
            result = svc.sign_up(slug, **data)
        except ma.ValidationError as error:
            errors = {field: field_messages().get(field, _("Please check this field.")) for field in error.messages}
        except DomainError as error:
            db.session.rollback()
            if not error.field:
                raise
            errors = {error.field.split(".")[0]: field_messages().get(error.field.split(".")[0], localized(error))}
        else:
            db.session.commit()
            if not result.created:
                return render_template("registrations/signup_exists.html", festival=festival, email=data["email"])
            flash(_("Your pass is ready. Keep this page: it is your pass and its QR code."), "success")
            args = {"book": then} if then else {}
            return redirect(url_for("registrations.pass_page", token=result.pass_.manage_token, **args), 303)
    locale = current_locale()
    return render_template(
        "registrations/signup.html",
        festival=festival,
        values=values,
        errors=errors,
        then=then,
        consent_text=consent.text(locale),
        consent_version=consent.CURRENT_VERSION,
        max_party=MAX_PARTY_MEMBERS,
    ), (422 if errors else 200)


# --- my pass -------------------------------------------------------------------------


def _booking_rows(pass_):
    rows = []
    for booking in bookings_of(pass_.id):
        rows.append({"booking": booking, "session": booking.session, "position": svc.waitlist_position(booking)})
    rows.sort(key=lambda row: (row["session"].starts_at, row["booking"].id))
    return [r for r in rows if r["booking"].status != CANCELLED], [r for r in rows if r["booking"].status == CANCELLED]


@visitor
def pass_page(token):
    pass_ = svc.pass_for_manage_token(token)
    live, cancelled = _booking_rows(pass_)
    then = None
    wanted = request.args.get("book", type=int)
    if wanted and pass_.is_active:
        try:
            candidate = svc.find_session(wanted)
        except NotFound:
            candidate = None
        if candidate is not None and candidate.festival_id == pass_.festival_id:
            then = candidate
    return render_template(
        "registrations/pass.html",
        pass_=pass_,
        festival=pass_.festival,
        live=live,
        cancelled=cancelled,
        links=svc.links(pass_),
        then=then,
        seated=seats.seated_people(pass_, then) if then is not None else [],
        then_rule=seats.rule(then) if then is not None else None,
        CONFIRMED=CONFIRMED,
    )


@visitor
def pass_qr(token):
    pass_ = svc.pass_for_manage_token(token)
    return Response(qr_image.png(pass_codes.issue(pass_)), mimetype="image/png")


@visitor
def cancel_booking(token, booking_id):
    """GET asks first (what cancelling does, and that it is final); POST cancels."""
    pass_ = svc.pass_for_manage_token(token)
    if request.method == "GET":
        booking = svc.booking_of_pass(pass_.id, booking_id)
        return render_template("registrations/cancel_booking.html", pass_=pass_, festival=pass_.festival,
                               booking=booking, session=booking.session)
    try:
        svc.cancel_booking(pass_.id, booking_id)
    except DomainError as error:
        db.session.rollback()
        flash(localized(error), "error")
    else:
        db.session.commit()
        flash(_("Booking cancelled. Your seats went to the next people waiting."), "success")
    return redirect(url_for("registrations.pass_page", token=token), 303)


@visitor
def cancel_pass(token):
    pass_ = svc.pass_for_manage_token(token)
    if request.method == "POST":
        svc.cancel_pass(pass_.id)
        db.session.commit()
        flash(_("Your pass and all its bookings are cancelled."), "success")
        return redirect(url_for("registrations.pass_page", token=token), 303)
    return render_template("registrations/cancel_pass.html", pass_=pass_, festival=pass_.festival)


# --- booking a session -----------------------------------------------------------------


def token_from(text):
    """A manage token from what a visitor pastes: the whole link or the token alone."""
    match = TOKEN_RE.search((text or "").strip())
    return match.group(1) if match else None


def _seats(raw):
    if not (raw or "").strip():
        return None
    try:
        return int(raw)
    except ValueError:
        return 0  # refused by the service with its own sentence


def pass_in_form():
    """The pass a booking form names (a pasted link or the remembered token): the actor to count."""
    token = token_from(request.form.get("pass_link")) or token_from(request.form.get("manage_token"))
    return actor("token", token) if token else by_address()


@public
@booking_limited(pass_in_form)
def book_session(session_id):
    session = svc.find_session(session_id)
    festival = session.festival
    if not festival.is_published:
        abort(404)
    error, status = None, 200
    if request.method == "POST":
        # A pasted link wins over the pass this phone remembers.
        token = token_from(request.form.get("pass_link")) or token_from(request.form.get("manage_token"))
        try:
            if token is None:
                raise NotFound("pass")
            pass_ = svc.pass_for_manage_token(token)
            booking = svc.book(pass_.id, session.id, _seats(request.form.get("seats")))
        except DomainError as exc:
            db.session.rollback()
            error, status = localized(exc), exc.status
            if exc.code == "not_found":
                error = _("We do not know this pass link. Paste the link from your pass page or its email.")
        else:
            db.session.commit()
            if booking.status == CONFIRMED:
                flash(_("Booked: your seats are confirmed."), "success")
            else:
                flash(_("The session is full: you are number %(n)d on the waitlist.", n=svc.waitlist_position(booking)), "success")
            return redirect(url_for("registrations.pass_page", token=token, _anchor=f"booking-{booking.id}"), 303)
    return render_template(
        "registrations/book.html",
        session=session,
        festival=festival,
        error=error,
        rule=seats.rule(session),
        starts=local(session.starts_at, festival.timezone),
    ), status


def register(bp):
    bp.add_url_rule("/festivals/<slug>/signup", "signup", signup, methods=["GET", "POST"])
    bp.add_url_rule("/passes/<token>", "pass_page", pass_page)
    bp.add_url_rule("/passes/<token>/qr.png", "pass_qr", pass_qr)
    bp.add_url_rule("/passes/<token>/bookings/<int:booking_id>/cancel", "cancel_booking", cancel_booking,
                    methods=["GET", "POST"])
    bp.add_url_rule("/passes/<token>/cancel", "cancel_pass", cancel_pass, methods=["GET", "POST"])
    bp.add_url_rule("/sessions/<int:session_id>/book", "book_session", book_session, methods=["GET", "POST"])
