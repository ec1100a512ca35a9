"""The console's Team pages: a city's members, inviting, changing roles, removing, resending.

Each handler parses a form, calls a service, commits at the boundary and redirects
(303) with a flash; a refusal re-renders the page with the message beside its field
(422), having rolled back whatever was half-done.
"""
from babel.dates import get_timezone_location
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.auth import current_principal, require_roles
from app.database import db
from app.errors import DomainError, localized
from app.i18n import clock, current_locale, local, long_date
from app.users import ADMIN, ROLES
from events.festivals import list_cities
from teams.pages.forms import ROLE_NAMES, ConfirmForm, InviteForm, RoleForm
from teams.presenters import member_answers
from teams.services import invitations, members, rules

REFUSED = 422


def team_page(view):
    return login_required(require_roles("organiser")(view))


def _roles_for(actor, city):
    """The roles the actor may give in this city's team (admins are invited on the Teams page)."""
    return list(rules.CITY_ROLES) if city is not None else [ADMIN]


def _when(zone):
    """A time as the city reads it: its zone, Buddhist Era in Thai."""
    return lambda dt: f"{long_date(local(dt, zone))} {clock(dt, zone)}" if dt is not None else ""


def _team_context(city, form):
    actor = current_principal()
    users = members.team_of(city.id if city is not None else None)
    role_form = RoleForm(formdata=None).offer(_roles_for(actor, city))
    zone = members.city_zone(city.id if city is not None else None)
    return {
        "city": city,
        "rows": list(zip(users, member_answers(users, city.slug if city else None))),
        "form": form,
        "role_form": role_form,
        # "เวลาไทย", not "Asia/Bangkok": a zone's name in the reader's language.
        "zone": get_timezone_location(zone, locale=current_locale()),
        "when": _when(zone),
        "role_names": ROLE_NAMES,
        "actor": actor,
    }


def _render(city, form, status=200):
    return render_template("teams/team.html", **_team_context(city, form)), status


def _refuse(form, error):
    if error.status in (401, 403, 404) and not error.field:
        raise error
    db.session.rollback()
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = list(field.errors) + [localized(error)]
    else:
        form.form_errors.append(localized(error))


@team_page
def teams_home():
    """An organiser's own Team page; for an admin, every city's team, the admins, and the operator's pages."""
    actor = current_principal()
    if not actor.is_admin:
        city = members.city_of(actor)
        return redirect(url_for("teams.city_team", city_slug=city.slug))
    form = InviteForm().offer([ADMIN])
    if form.validate_on_submit():
        try:
            invitations.invite(actor, None, form.email.data, ADMIN, form.name.data, form.locale.data)
        except DomainError as error:
            _refuse(form, error)
        else:
            db.session.commit()
            flash(_("Invitation sent to %(email)s.", email=form.email.data.strip().lower()), "success")
            return redirect(url_for("teams.teams_home"), code=303)
    cities = list_cities()
    counts = {city.id: sum(1 for u in members.team_of(city.id) if members.status_of(u) != members.REMOVED)
              for city in cities}
    status = REFUSED if request.method == "POST" else 200
    return render_template("teams/teams_home.html", cities=cities, counts=counts, **_team_context(None, form)), status


@team_page
def city_team(city_slug):
    actor = current_principal()
    city = members.city_for_team(city_slug, actor)
    form = InviteForm().offer(_roles_for(actor, city))
    if form.validate_on_submit():
        try:
            user, created = invitations.invite(actor, city.id, form.email.data, form.role.data, form.name.data,
                                               form.locale.data)
        except DomainError as error:
            _refuse(form, error)
        else:
            db.session.commit()
            message = _("Invitation sent to %(email)s.", email=user.email) if created else _(
                "A fresh invitation was sent to %(email)s; the earlier link no longer works.", email=user.email)
            flash(message, "success")
            return redirect(url_for("teams.city_team", city_slug=city.slug), code=303)
    return _render(city, form, REFUSED if request.method == "POST" else 200)


def _back_to(user):
    city = members.city_of(user)
    if city is None:
        return redirect(url_for("teams.teams_home"), code=303)
    return redirect(url_for("teams.city_team", city_slug=city.slug), code=303)


def _refused_action(user, error):
    db.session.rollback()
    if error.status in (401, 403, 404) and not error.field:
        raise error
    flash(localized(error), "error")
    return _back_to(user)


@team_page
def change_role(member_id):
    actor = current_principal()
    user = members.visible_member(actor, member_id)
    form = RoleForm().offer(ROLES)
    if not form.validate_on_submit():
        flash(_("Choose one of the roles offered."), "error")
        return _back_to(user)
    try:
        members.change_role(actor, user, form.role.data)
    except DomainError as error:
        return _refused_action(user, error)
    db.session.commit()
    flash(_("%(email)s is now: %(role)s.", email=user.email, role=ROLE_NAMES[user.role]), "success")
    return _back_to(user)


@team_page
def remove_member(member_id):
    """GET: are you sure (what stops working); POST: removed."""
    actor = current_principal()
    user = members.visible_member(actor, member_id)
    form = ConfirmForm()
    if request.method == "GET" or not form.validate_on_submit():
        return render_template("teams/remove.html", member=user, row=member_answers([user])[0], form=form,
                               city=members.city_of(user), role_names=ROLE_NAMES)
    try:
        members.remove(actor, user)
    except DomainError as error:
        return _refused_action(user, error)
    db.session.commit()
    flash(_("%(email)s was removed: their sign-in, tokens and phones no longer work.", email=user.email), "success")
    return _back_to(user)


@team_page
def resend(member_id):
    actor = current_principal()
    user = members.visible_member(actor, member_id)
    if not ConfirmForm().validate_on_submit():
        return _back_to(user)
    try:
        invitations.resend(actor, user)
    except DomainError as error:
        return _refused_action(user, error)
    db.session.commit()
    flash(_("A fresh invitation was sent to %(email)s; the earlier link no longer works.", email=user.email),
          "success")
    return _back_to(user)


def register(bp):
    both = ["GET", "POST"]
    bp.add_url_rule("/organiser/teams", "teams_home", teams_home, methods=both)
    bp.add_url_rule("/organiser/cities/<city_slug>/team", "city_team", city_team, methods=both)
    bp.add_url_rule("/organiser/team/<int:member_id>/role", "change_role", change_role, methods=["POST"])
    bp.add_url_rule("/organiser/team/<int:member_id>/remove", "remove_member", remove_member, methods=both)
    bp.add_url_rule("/organiser/team/<int:member_id>/invitation", "resend", resend, methods=["POST"])
