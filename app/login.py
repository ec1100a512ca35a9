"""Console sign-in with a session cookie; the API uses bearer tokens instead."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email

from app.auth import public, signed_in
from app.database import db
from app.limits import by_address, by_field, rate_limit
from app.users import authenticate

bp = Blueprint("login", __name__)


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email()])
    password = PasswordField("Password", validators=[DataRequired()])


def _safe_next(target):
    # Only same-site paths: an open redirect would let a phishing link pass through our login.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return None


# Password guessing, counted per account and per address (counted where the password is checked:
# a request without its CSRF token is refused before).
SIGN_IN_PER_ACCOUNT = "10/minute;50/hour"
SIGN_IN_PER_ADDRESS = "10/minute;50/hour"


@bp.route("/login", methods=["GET", "POST"])
@public
@rate_limit(SIGN_IN_PER_ACCOUNT, per=by_field("email"))
@rate_limit(SIGN_IN_PER_ADDRESS, per=by_address)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            login_user(user)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")) or url_for("login.home"))
        flash(_("Email or password is not right."), "error")
    return render_template("login.html", form=form), 200 if request.method == "GET" else 422


@bp.post("/logout")
@login_required
@signed_in
def logout():
    logout_user()
    return redirect(url_for("login.login"))


@bp.get("/console")
@login_required
@signed_in
def home():
    """Where a signed-in user lands: the console of their role."""
    targets = {
        "staff": "/scan",
        "city-team": "/reports/",
    }
    return redirect(targets.get(current_user.role, "/organiser/"))
