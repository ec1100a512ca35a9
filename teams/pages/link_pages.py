"""Pages behind the mailed links: accept an invitation, and forget or reset a password."""
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user

from app.auth import public
from app.database import db
from app.errors import DomainError, localized
from app.i18n import current_locale
from teams.limits import link_limited, reset_request_limited
from teams.pages.forms import ROLE_NAMES, AcceptForm, ForgotForm, ResetForm
from teams.services import invitations, members, passwords
from teams.services.invitations import PASSWORD_MIN


def _refusal(error, template):
    db.session.rollback()
    if error.field:
        return None
    return render_template(template, refusal=localized(error), form=None, link=None), error.status


@public
@link_limited
def invitation(token):
    """The invited person chooses a name and a password, then lands where their role works."""
    try:
        link = invitations.invitation_for(token)
    except DomainError as error:
        return _refusal(error, "teams/accept.html")
    form = AcceptForm(data={"name": link.user.name} if not AcceptForm().is_submitted() else None)
    if form.validate_on_submit():
        try:
            user, _token = invitations.accept(token, form.name.data, form.password.data)
        except DomainError as error:
            answer = _refusal(error, "teams/accept.html")
            if answer is not None:
                return answer
            getattr(form, error.field).errors = [localized(error)]
        else:
            logout_user()
            login_user(user)
            db.session.commit()
            flash(_("Welcome to the team, %(name)s.", name=user.name), "success")
            return redirect(url_for("login.home"), code=303)
    city = members.city_of(link.user)
    status = 422 if form.errors else 200
    # The page speaks the language the inviter chose for this person, until they pick another.
    return render_template("teams/accept.html", form=form, link=link, city=city, refusal=None,
                           role_name=ROLE_NAMES[link.user.role], minimum=PASSWORD_MIN), status


@public
@reset_request_limited
def forgot_password():
    form = ForgotForm()
    if form.validate_on_submit():
        passwords.request_reset(form.email.data, current_locale())
        db.session.commit()
        # The same words whether or not the address is a member's.
        flash(_("If this address belongs to a member, a link to choose a new password is on its way. "
                "It works once, for 24 hours."), "success")
        return redirect(url_for("teams.forgot_password"), code=303)
    return render_template("teams/forgot.html", form=form), 422 if form.errors else 200


@public
@link_limited
def reset_password(token):
    try:
        passwords.reset_for(token)
    except DomainError as error:
        return _refusal(error, "teams/reset.html")
    form = ResetForm()
    if form.validate_on_submit():
        try:
            user = passwords.reset(token, form.password.data)
        except DomainError as error:
            answer = _refusal(error, "teams/reset.html")
            if answer is not None:
                return answer
            form.password.errors = [localized(error)]
        else:
            logout_user()
            login_user(user)
            db.session.commit()
            flash(_("Your new password is set. Other sessions of your account were signed out."), "success")
            return redirect(url_for("login.home"), code=303)
    return render_template("teams/reset.html", form=form, refusal=None, link=True,
                           minimum=PASSWORD_MIN), 422 if form.errors else 200


def register(bp):
    both = ["GET", "POST"]
    bp.add_url_rule("/invitations/<token>", "invitation", invitation, methods=both)
    bp.add_url_rule("/password/forgot", "forgot_password", forgot_password, methods=both)
    bp.add_url_rule("/password/reset/<token>", "reset_password", reset_password, methods=both)
