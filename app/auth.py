"""Who is calling: bearer tokens for the API, session cookies for the console, and city scoping."""
from functools import wraps

from flask import abort, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user, login_required

from app.conditional import no_store
from app.errors import DomainError, Forbidden, N_
from app.users import ADMIN, ORGANISER, user_for_token, user_for_token_beside


class ConsoleSessionInterface(SecureCookieSessionInterface):
    """The console's cookie session, kept out of API answers.

    The API never reads the cookie (tokens only, below), but Flask-Login looks into the
    session after every request, and Flask then marks the answer `Vary: Cookie`: a cache
    in front of the app would keep one public programme per visitor's cookie, or none.
    An API answer that changed nothing in the session says nothing about it.
    """

    def save_session(self, app, session, response):
        if request.path.startswith("/api/") and not session.modified:
            return
        super().save_session(app, session, response)


def current_principal(beside=None):
    """The user behind this request: a bearer token first, else the console session.

    `beside`: (key, params) of app.users.user_for_token_beside, for app.access: what it reads
    beside a bearer token's user, in the same statement, is left in g.beside_principal."""
    if "principal" in g:
        return g.principal
    user = None
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        raw = header[7:].strip()
        if beside is None:
            user = user_for_token(raw)
        else:
            user, g.beside_principal = user_for_token_beside(raw, *beside)
        if user is None:
            raise DomainError("invalid_token", N_("The bearer token is not valid."), status=401)
    elif not request.path.startswith("/api/") and current_user.is_authenticated:
        # The API takes tokens only, so that a visitor's browser session can
        # never be ridden by a cross-site request to the API.
        user = current_user._get_current_object()
    g.principal = user
    return user


def require_roles(*roles):
    """Let the call through for these roles (admin always), else 401/403 with a code."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = current_principal()
            if user is None:
                if request.path.startswith("/api/"):
                    raise DomainError("unauthorized", N_("Sign in or send a bearer token."), status=401)
                abort(401)
            if user.role != ADMIN and user.role not in roles:
                raise DomainError("forbidden_role", N_("This needs one of the roles: %(roles)s."), params={"roles": list(roles)}, status=403)
            return view(*args, **kwargs)

        wrapped.required_roles = roles
        return wrapped

    return decorator


def organiser_page(view):
    """A console page for organisers: signed in (else /login), an organiser or admin (else 403)."""
    return login_required(require_roles(ORGANISER)(view))


# Every view declares who may call it, next to its route: require_roles above, or one of the
# rules below. app/access.py enforces them before the body is read, and
# tests/trust/test_access_map.py fails for a view that declares none.
PUBLIC, VISITOR, SIGNED_IN, DEVELOPMENT = "public", "visitor", "signed-in", "development"


def _rule(name):
    def declare(view):
        view.access_rule = name
        return view

    return declare


public = _rule(PUBLIC)
"""Anyone, signed in or not."""


def visitor(view):
    """Acts through a secret token in the URL: an unknown token is 404 and shows nothing, and
    no answer goes into a shared cache."""
    view.access_rule = VISITOR
    return no_store(view)


signed_in = _rule(SIGNED_IN)
"""Any signed-in console user (the view checks the rest)."""


OPERATOR = "operator"
operator = _rule(OPERATOR)
"""Operators' machinery (GET /metrics): loopback that no proxy forwarded, or an admin's token; the view checks."""


def dev_only(setting):
    """Development only: 404 unless the app's config turns `setting` on (never in production)."""

    def declare(view):
        view.access_rule = DEVELOPMENT
        view.development_setting = setting
        return view

    return declare


def ensure_city(city_id, user=None):
    """Refuse unless the caller acts for this city (admins act for all)."""
    user = user or current_principal()
    if user is None or not user.may_act_in(city_id):
        raise Forbidden()
    return user
