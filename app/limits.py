"""Abuse limits (the `limits` package's moving windows, on Redis): each domain declares its own
next to its views (`@rate_limit(rule, per=...)`), counted per the actor they protect against;
a breach answers 429 `rate_limited` with Retry-After.

Checked by one before_request hook that looks the endpoint up in a table built at start-up:
a request to an endpoint without limits pays one dict lookup, a gate scan one window. (A
general-purpose extension resolved every request's limits anew, twice: a tenth of a scan.)

Limits fail open (app/limit_store.py): a festival whose Redis is down or hung must
still sign families up, book and scan.
"""
import functools
import hashlib
import math
import time
from dataclasses import dataclass

from flask import current_app, request
from flask_babel import gettext as _
from limits import parse_many
from werkzeug.exceptions import TooManyRequests

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


# --- checking a request ----------------------------------------------------------------

_CHECKS = "limits.checks"  # app.extensions: endpoint -> its declared limits
_TO_COUNT = "limits.to_count"  # request.environ: limits counted only if the answer is accepted


class RateLimited(TooManyRequests):
    """A declared limit is used up: 429 `rate_limited`, with the seconds until its window frees a try."""

    def __init__(self, declared, retry_after):
        super().__init__()
        self.declared = declared
        self.retry_after = retry_after


@functools.lru_cache(maxsize=256)
def _items(rule):
    """"30/minute;200/hour" as the `limits` package's items, parsed once per distinct rule."""
    return tuple(parse_many(rule))


def _windows(entries):
    """(item, entry) of every limit that applies to this request, the shortest windows first:
    a burst is refused by its minute before it uses up an hour."""
    method = request.method
    windows = [(item, entry) for entry in entries if method in entry.methods
               for item in _items(entry.rule() if callable(entry.rule) else entry.rule)]
    windows.sort(key=lambda window: window[0].GRANULARITY.seconds)
    return windows


def _check():
    entries = request.endpoint and _checks().get(request.endpoint)
    if not entries or not limiter.enabled:
        return
    windows, scope = limiter.windows, request.endpoint
    to_count, keys = [], {}
    for item, entry in _windows(entries):
        key = keys.get(entry)
        if key is None:
            key = keys[entry] = entry.per()  # once per limit, not per window of it
        if entry.counts is not None:
            # Counted after the answer, if counts() accepts it: here only whether a try is left.
            allowed = windows.test(item, key, scope)
            to_count.append((item, entry, key))
        else:
            allowed = windows.hit(item, key, scope)
        if not allowed:
            reset_at = windows.get_window_stats(item, key, scope).reset_time
            raise RateLimited(entry, max(1, math.ceil(reset_at - time.time())))
    if to_count:
        request.environ[_TO_COUNT] = to_count


def _count_accepted(response):
    for item, entry, key in request.environ.get(_TO_COUNT, ()):
        if entry.counts(response):
            limiter.windows.hit(item, key, request.endpoint)
    return response


def _checks():
    return current_app.extensions[_CHECKS]


# --- the refusal ------------------------------------------------------------------------


def refused(error):
    """429 `rate_limited` with Retry-After, the only answer whose Retry-After the limiter sets.

    No X-RateLimit-* headers on other answers: a Retry-After on a 201, or on a 503 `busy`
    beside its own value, would mislead.
    """
    seconds = error.retry_after
    message = error.declared.message
    error.description = (message() if callable(message) else message) or _(
        "Too many tries in a short time. Please wait a moment and try again.")
    response = http_error_response(error, retry_after=seconds)
    response.headers["Retry-After"] = str(seconds)
    return response


def apply_limits(app):
    """Check every request against the limits declared on its view (after the blueprints)."""
    app.extensions[_CHECKS] = {endpoint: tuple(declared(view)) for endpoint, view in app.view_functions.items()
                               if declared(view)}
    app.register_error_handler(RateLimited, refused)
    app.before_request(_check)
    app.after_request(_count_accepted)
