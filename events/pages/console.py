"""The organiser console: festivals, venues, sessions and booths of the organiser's city.

Each handler parses a form, calls a service, commits at the boundary and redirects
(303) with a flash; on a refusal it re-renders the form with the service's message
next to its field and answers 422, having rolled back whatever was half-done.
"""
from itertools import groupby

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from wtforms import SelectChoice

from app.auth import current_principal, ensure_city, require_roles
from app.database import db
from app.errors import DomainError, NotFound
from app.i18n import local
from events import services
from events import validation as check
from events.console_messages import translate
from events.forms import BoothForm, ConfirmForm, FestivalForm, SessionForm, StatusForm, VenueForm
from events.models import Booth, ProgrammeSession, Venue
from events.programme_page import host_names

REFUSED = 422


def organiser_page(view):
    """Signed in (else /login), an organiser or admin (else 403)."""
    return login_required(require_roles("organiser")(view))


def console_festival_for(slug):
    """The festival by slug, drafts included; 403 outside the user's city, 404 when there is none."""
    return services.festival_by_slug(slug, current_principal(), for_edit=True)


def _owned(model, thing_id, festival, what):
    """A venue, session or booth of this festival by id (ids past an integer column are simply not found)."""
    thing = db.session.get(model, thing_id) if 0 < thing_id <= check.MAX_INT else None
    if thing is None or thing.festival_id != festival.id:
        raise NotFound(what)
    return thing


def refuse(form, error):
    """Show a service's refusal on the form; re-raise what is not about the input."""
    if error.status in (401, 403, 404) and not error.field:
        raise error
    db.session.rollback()
    form.add_error(error.field, translate(error))


def _done(message, endpoint, **values):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(endpoint, **values), code=303)


# --- festivals ----------------------------------------------------------------


@organiser_page
def console_home():
    user = current_principal()
    form = FestivalForm()
    cities = services.list_cities() if user.is_admin else []
    form.city_id.choices = [SelectChoice(str(city.id), f"{city.name_th} · {city.name_en}") for city in cities]
    if form.validate_on_submit():
        city_id = form.city_id.data if user.is_admin else user.city_id
        try:
            ensure_city(city_id)
            festival = services.create_festival(city_id, **form.values(creating=True))
        except DomainError as error:
            refuse(form, error if error.field != "city" else _with_field(error, "city_id"))
        else:
            return _done(_("Festival created as a draft. Add venues and sessions, then publish it."),
                         "events.console_festival", slug=festival.slug)
    festivals = [f for f in services.visible_festivals(user=user) if user.may_act_in(f.city_id)]
    status = REFUSED if request.method == "POST" else 200
    return render_template("events/console/home.html", festivals=festivals, form=form, admin=user.is_admin), status


def _with_field(error, field):
    error.field = field
    return error


def _sessions_by_day(festival):
    sessions = services.programme(festival)
    return [
        (day, list(group))
        for day, group in groupby(sessions, key=lambda s: local(s.starts_at, festival.timezone).date())
    ]


def render_festival(festival, form=None, status=200):
    form = form or FestivalForm(obj=festival, formdata=None)
    return render_template(
        "events/console/festival.html",
        festival=festival,
        form=form,
        status_form=StatusForm(formdata=None),
        confirm_form=ConfirmForm(formdata=None),
        days=_sessions_by_day(festival),
        venues=list(festival.venues),
        booths=list(festival.booths),
    ), status


@organiser_page
def console_festival(slug):
    festival = console_festival_for(slug)
    if request.method == "GET":
        return render_festival(festival)
    form = FestivalForm()
    if form.validate_on_submit():
        try:
            services.update_festival(festival, **form.values(creating=False))
        except DomainError as error:
            refuse(form, error)
        else:
            return _done(_("Festival saved."), "events.console_festival", slug=festival.slug)
    db.session.refresh(festival)
    return render_festival(festival, form, REFUSED)


@organiser_page
def console_festival_status(slug):
    festival = console_festival_for(slug)
    form = StatusForm()
    if form.validate_on_submit():
        try:
            services.update_festival(festival, status=form.status.data)
        except DomainError as error:
            refuse(form, error)
        else:
            message = _("Published: the programme is public.") if form.status.data == "published" else _(
                "Unpublished: the festival is a draft again."
            )
            return _done(message, "events.console_festival", slug=festival.slug)
    for message in form.errors.get("status", []) + form.form_errors:
        flash(message, "error")
    db.session.refresh(festival)
    return render_festival(festival, status=REFUSED)


# --- venues -------------------------------------------------------------------


@organiser_page
def console_venue(slug, venue_id=None):
    festival = console_festival_for(slug)
    venue = _owned(Venue, venue_id, festival, "venue") if venue_id else None
    form = VenueForm(obj=venue)
    if form.validate_on_submit():
        try:
            if venue is None:
                services.create_venue(festival, **form.values())
            else:
                services.update_venue(venue, **form.values())
        except DomainError as error:
            refuse(form, error)
        else:
            return _done(_("Venue saved."), "events.console_festival", slug=festival.slug, _anchor="venues")
    status = REFUSED if request.method == "POST" else 200
    return render_template("events/console/venue.html", festival=festival, venue=venue, form=form), status


# --- sessions -----------------------------------------------------------------


def _session_form(festival, session):
    form = SessionForm(festival, obj=session)
    if session is not None and request.method == "GET":
        starts, ends = local(session.starts_at, festival.timezone), local(session.ends_at, festival.timezone)
        form.day.data, form.starts.data, form.ends.data = starts.date().isoformat(), starts.time(), ends.time()
        form.hosts.data = "\n".join(host_names(session.hosts))
    if session is not None:
        form.include_day(local(session.starts_at, festival.timezone).date())
    if request.method == "GET" and session is None and request.args.get("day") in form.day_choices:
        form.day.data = request.args["day"]
    return form


@organiser_page
def console_session(slug, session_id=None):
    festival = console_festival_for(slug)
    session = _owned(ProgrammeSession, session_id, festival, "session") if session_id else None
    form = _session_form(festival, session)
    if form.validate_on_submit():
        try:
            if session is None:
                services.create_session(festival, **form.values())
            else:
                services.update_session(session, **form.values())
        except DomainError as error:
            refuse(form, error)
        else:
            return _done(_("Session saved."), "events.console_festival", slug=festival.slug, _anchor="sessions")
    status = REFUSED if request.method == "POST" else 200
    return render_template(
        "events/console/session.html", festival=festival, session=session, form=form,
        confirm_form=ConfirmForm(formdata=None),
    ), status


def _session_action(slug, session_id, action, message):
    festival = console_festival_for(slug)
    session = _owned(ProgrammeSession, session_id, festival, "session")
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            action(session)
        except DomainError as error:
            refuse(form, error)
        else:
            return _done(message, "events.console_festival", slug=festival.slug, _anchor="sessions")
    for problem in form.form_errors:
        flash(problem, "error")
    db.session.refresh(festival)
    return render_festival(festival, status=REFUSED)


@organiser_page
def console_session_cancel(slug, session_id):
    return _session_action(slug, session_id, services.cancel_session,
                           _("Session cancelled. Booked visitors are told."))


@organiser_page
def console_session_delete(slug, session_id):
    return _session_action(slug, session_id, services.delete_session, _("Session deleted."))


# --- booths -------------------------------------------------------------------


@organiser_page
def console_booth(slug, booth_id=None):
    festival = console_festival_for(slug)
    booth = _owned(Booth, booth_id, festival, "booth") if booth_id else None
    form = BoothForm(festival, obj=booth)
    if form.validate_on_submit():
        try:
            if booth is None:
                services.create_booth(festival, **form.values())
            else:
                services.update_booth(booth, **form.values())
        except DomainError as error:
            refuse(form, error)
        else:
            return _done(_("Booth saved."), "events.console_festival", slug=festival.slug, _anchor="booths")
    status = REFUSED if request.method == "POST" else 200
    return render_template("events/console/booth.html", festival=festival, booth=booth, form=form), status


def register(bp):
    both = ["GET", "POST"]
    prefix = "/organiser/festivals/<slug>"
    bp.add_url_rule("/organiser/", "console_home", console_home, methods=both)
    bp.add_url_rule(prefix, "console_festival", console_festival, methods=both)
    bp.add_url_rule(prefix + "/status", "console_festival_status", console_festival_status, methods=["POST"])
    bp.add_url_rule(prefix + "/venues/new", "console_venue_new", console_venue, methods=both)
    bp.add_url_rule(prefix + "/venues/<int:venue_id>", "console_venue", console_venue, methods=both)
    bp.add_url_rule(prefix + "/sessions/new", "console_session_new", console_session, methods=both)
    bp.add_url_rule(prefix + "/sessions/<int:session_id>", "console_session", console_session, methods=both)
    bp.add_url_rule(prefix + "/sessions/<int:session_id>/cancel", "console_session_cancel", console_session_cancel,
                    methods=["POST"])
    bp.add_url_rule(prefix + "/sessions/<int:session_id>/delete", "console_session_delete", console_session_delete,
                    methods=["POST"])
    bp.add_url_rule(prefix + "/booths/new", "console_booth_new", console_booth, methods=both)
    bp.add_url_rule(prefix + "/booths/<int:booth_id>", "console_booth", console_booth, methods=both)
