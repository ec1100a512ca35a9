"""Who is calling: bearer tokens for the API, session cookies for the console, and city scoping."""
from functools import wraps

from flask import abort, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user

from app.conditional import no_store
from app.errors import DomainError, Forbidden
from app.users import ADMIN, user_for_token


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


def current_principal():
    """The user behind this request: a bearer token first, else the console session."""
    if "principal" in g:
        return g.principal
    user = None
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        user = user_for_token(header[7:].strip())
        if user is None:
            raise DomainError("invalid_token", "The bearer token is not valid.", status=401)
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
                    raise DomainError("unauthorized", "Sign in or send a bearer token.", status=401)
                abort(401)
            if user.role != ADMIN and user.role not in roles:
                raise DomainError("forbidden_role", f"This needs one of the roles: {', '.join(roles)}.", status=403)
            return view(*args, **kwargs)

        wrapped.required_roles = roles
        return wrapped

    return decorator


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
