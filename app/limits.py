"""Abuse limits (Flask-Limiter on Redis): each domain declares its own next to its views
(`@rate_limit(rule, per=...)`), counted per the actor they protect against; a breach
answers 429 `rate_limited` with Retry-After.

Limits fail open (app/limit_store.py): a festival whose Redis is down or hung must
still sign families up, book and scan.
"""
import hashlib
import math
import time
from dataclasses import dataclass

from flask import request
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded

from app.auth import current_principal
from app.errors import http_error_response
from app.extensions import limiter

# --- who is counted -------------------------------------------------------------------
# Keys name the actor a limit protects against. E-mail addresses and secret tokens are
# hashed: the limiter's store keeps no personal data and no usable secret.


def _digest(value):
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def actor(kind, value):
    """A limiter key for an actor whose name is personal or secret: kept hashed."""
    return f"{kind}:{_digest(str(value))}"


def by_address():
    """The client's address (behind TRUSTED_PROXIES, the visitor's): only ever a high ceiling."""
    return f"ip:{request.remote_addr}"


def _sent(field):
    body = request.get_json(silent=True) if request.is_json else None
    value = body.get(field) if isinstance(body, dict) else request.form.get(field)
    return value.strip().lower() if isinstance(value, str) and value.strip() else None


def by_field(field, *view_args):
    """A field of the JSON body or form (an e-mail address, lower-cased), with these view
    arguments (a festival's slug); a request without the field is counted by its address."""

    def key():
        value = _sent(field)
        if value is None:
            return f"{field}-missing:{by_address()}"
        scope = ":".join(str((request.view_args or {}).get(name)) for name in view_args)
        return f"{field}:{_digest(scope + '|' + value)}"

    key.__name__ = f"by_{field}"
    return key


def by_view_arg(name):
    """A view argument: a pass's manage token, a festival's slug."""

    def key():
        value = (request.view_args or {}).get(name)
        return f"{name}:{_digest(str(value))}" if value is not None else by_address()

    key.__name__ = f"by_{name}"
    return key


def by_caller():
    """The phone or person calling: its bearer token (each paired phone has its own), else the
    signed-in user, else the address. Scanners share the venue's Wi-Fi and so one address."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer ") and header[7:].strip():
        return f"token:{_digest(header[7:].strip())}"
    try:
        user = current_principal()
    except Exception:  # noqa: BLE001 - a bad token is answered by the view, not here
        user = None
    return f"user:{user.id}" if user is not None else by_address()


# --- declaring limits next to the views --------------------------------------------------

_DECLARED = "_rate_limits"


def rate_limit(rule, per, methods=("POST",), counts=None, message=None):
    """Declare a limit on a view, next to it: `rule` ("30/minute;200/hour", or a callable
    giving one per request) counted per `per()`. Stack one per actor the view protects against;
    apply_limits() puts them on the app.

    counts(response): count only the requests whose answer it accepts (say, a new pass), so
    that refused or repeated requests do not use up an allowance others share.
    message(): what a refusal says instead of the general sentence (translated at request time).
    """

    def decorate(view):
        view.__dict__.setdefault(_DECLARED, []).append(Declared(rule, per, tuple(methods), counts, message))
        return view

    return decorate


@dataclass(frozen=True)
class Declared:
    rule: object
    per: object
    methods: tuple
    counts: object = None
    message: object = None


def declared(view):
    """The limits declared on a view, found through the wrappers of flask-smorest and friends."""
    seen = []
    while view is not None:
        for entry in view.__dict__.get(_DECLARED, []):
            if entry not in seen:
                seen.append(entry)
        view = getattr(view, "__wrapped__", None)
    return seen


def declared_limits(app):
    """endpoint -> [(rule, key function name, methods)]: the whole policy, read from the views."""
    return {
        endpoint: [(entry.rule, entry.per.__name__, entry.methods) for entry in declared(view)]
        for endpoint, view in app.view_functions.items()
        if declared(view)
    }


# --- the refusal ------------------------------------------------------------------------


def retry_after():
    """Seconds until the breached limit's window ends (at least 1)."""
    breached = limiter.current_limit
    if breached is None:
        return 60
    return max(1, math.ceil(breached.reset_at - time.time()))


def refused(error):
    """429 `rate_limited` with Retry-After, the only answer whose Retry-After the limiter sets.

    Flask-Limiter's own headers are off (app/extensions.py): they would put a Retry-After
    on every answer of a limited endpoint, a 201 or a 503 `busy` with its own value included.
    """
    seconds = retry_after()
    message = getattr(error.limit, "error_message", None)
    error.description = (message() if callable(message) else message) or _(
        "Too many tries in a short time. Please wait a moment and try again.")
    response = http_error_response(error, retry_after=seconds)
    response.headers["Retry-After"] = str(seconds)
    return response


def apply_limits(app):
    app.register_error_handler(RateLimitExceeded, refused)
    for endpoint, view in list(app.view_functions.items()):
        limited = view
        for entry in declared(view):
            limited = limiter.limit(entry.rule, key_func=entry.per, methods=list(entry.methods),
                                    deduct_when=entry.counts, error_message=entry.message)(limited)
        app.view_functions[endpoint] = limited
