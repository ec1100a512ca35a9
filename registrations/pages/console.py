"""The organiser console's bookings pages: sessions with their seats and waitlists, moving and
cancelling bookings, capacity, and the attendee lists as CSV. Signed in, CSRF on every form,
one city only."""
from itertools import groupby

import sqlalchemy as sa
from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.auth import current_principal, require_roles
from app.database import db
from app.errors import DomainError, NotFound
from app.i18n import local
from events import services as events_services
from events.models import ProgrammeSession
from registrations import services as svc
from registrations.page_messages import explain
from registrations.services.locks import MAX_ID


def organiser_page(view):
    """Signed in (else /login), an organiser or admin (else 403)."""
    return login_required(require_roles("organiser")(view))


def _festival(slug):
    return events_services.festival_by_slug(slug, user=current_principal(), for_edit=True)


def _session_of(festival, session_id):
    session = svc.find_session(session_id)
    if session.festival_id != festival.id:
        raise NotFound("session")
    return session


def _bookable(festival):
    return list(
        db.session.scalars(
            sa.select(ProgrammeSession)
            .where(ProgrammeSession.festival_id == festival.id, ProgrammeSession.capacity.is_not(None))
            .order_by(ProgrammeSession.starts_at, ProgrammeSession.id)
        )
    )


def _csv(body, filename):
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@organiser_page
def festival_bookings(slug):
    festival = _festival(slug)
    sessions = _bookable(festival)
    days = [
        (day, list(group))
        for day, group in groupby(sessions, key=lambda s: local(s.starts_at, festival.timezone).date())
    ]
    return render_template("registrations/console/festival.html", festival=festival, days=days)


@organiser_page
def session_bookings(slug, session_id):
    festival = _festival(slug)
    session = _session_of(festival, session_id)
    confirmed, waitlist = svc.session_bookings(session.id)
    targets = [s for s in _bookable(festival) if s.id != session.id and s.status != "cancelled"]
    return render_template(
        "registrations/console/session.html",
        festival=festival,
        session=session,
        confirmed=confirmed,
        waitlist=waitlist,
        targets=targets,
    )


def _back_to(festival, session_id):
    return redirect(url_for("registrations.console_session", slug=festival.slug, session_id=session_id), 303)


def _apply(change, done):
    """Run a change, commit and flash `done`; on a refusal roll back and flash why."""
    try:
        result = change()
    except DomainError as error:
        db.session.rollback()
        flash(explain(error), "error")
        return None
    db.session.commit()
    flash(done, "success")
    return result


def _int(name):
    value = request.form.get(name, type=int)
    return value if value is not None and 0 <= value <= MAX_ID else None


@organiser_page
def set_capacity(slug, session_id):
    festival = _festival(slug)
    session = _session_of(festival, session_id)
    capacity = _int("capacity")
    if capacity is None or capacity > 100_000:
        flash(_("Capacity must be a whole number, 0 or more."), "error")
    else:
        _apply(lambda: svc.set_capacity(session.id, capacity), _("Capacity saved."))
    return _back_to(festival, session.id)


@organiser_page
def cancel_booking(slug, session_id, booking_id):
    festival = _festival(slug)
    session = _session_of(festival, session_id)
    if svc.festival_id_of_booking(booking_id) != festival.id:
        raise NotFound("booking")
    _apply(lambda: svc.cancel_booking_by_organiser(booking_id), _("Booking cancelled; the waitlist moved up."))
    return _back_to(festival, session.id)


@organiser_page
def move_booking(slug, session_id, booking_id):
    festival = _festival(slug)
    session = _session_of(festival, session_id)
    if svc.festival_id_of_booking(booking_id) != festival.id:
        raise NotFound("booking")
    target = _int("session_id")
    if target is None:
        flash(_("Choose the session to move the booking to."), "error")
    else:
        _apply(lambda: svc.move_booking(booking_id, target), _("Booking moved."))
    return _back_to(festival, session.id)


@organiser_page
def session_csv(slug, session_id):
    festival = _festival(slug)
    session = _session_of(festival, session_id)
    body = svc.session_attendees_csv(session)
    db.session.commit()  # who downloaded it goes into the audit log
    return _csv(body, f"{festival.slug}-session-{session.id}-attendees.csv")


@organiser_page
def festival_csv(slug):
    festival = _festival(slug)
    body = svc.festival_attendees_csv(festival)
    db.session.commit()  # who downloaded it goes into the audit log
    return _csv(body, f"{festival.slug}-attendees.csv")


def register(bp):
    prefix = "/organiser/festivals/<slug>"
    one = prefix + "/bookings/<int:session_id>"
    bp.add_url_rule(prefix + "/bookings", "console_festival", festival_bookings)
    bp.add_url_rule(prefix + "/attendees.csv", "console_festival_csv", festival_csv)
    bp.add_url_rule(one, "console_session", session_bookings)
    bp.add_url_rule(one + "/attendees.csv", "console_session_csv", session_csv)
    bp.add_url_rule(one + "/capacity", "console_capacity", set_capacity, methods=["POST"])
    bp.add_url_rule(one + "/<int:booking_id>/cancel", "console_cancel", cancel_booking, methods=["POST"])
    bp.add_url_rule(one + "/<int:booking_id>/move", "console_move", move_booking, methods=["POST"])
