"""Abuse limits (Flask-Limiter on Redis): each domain declares its own next to its views
(`@rate_limit(rule, per=...)`), counted per the actor they protect against; a breach
answers 429 `rate_limited` with Retry-After.

Limits fail open: Redis is a store of counters here, and a festival whose Redis is
down or hung must still sign families up, book and scan. While the store does not
answer, requests are let through uncounted, the log says so once per outage (and
once when it answers again), and the limiter's own connection gives up within a
second instead of the shared pool's five.
"""
import hashlib
import logging
import math
import threading
import time
import uuid
from dataclasses import dataclass

from flask import request
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from limits.storage import RedisStorage
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from app.auth import current_principal
from app.errors import http_error_response
from app.extensions import limiter

log = logging.getLogger(__name__)

# One unanswered call costs at most this; then the store is left alone for PROBE_SECONDS.
SOCKET_TIMEOUT = 1.0
PROBE_SECONDS = 2.0
FAIL_OPEN_PREFIX = "failopen+"


def storage_uri(redis_url):
    """The limiter's storage for REDIS_URL: the same Redis, through the fail-open storage below."""
    if not redis_url:
        return "memory://"
    if redis_url.startswith("unix://"):
        return FAIL_OPEN_PREFIX + "redis+unix://" + redis_url[len("unix://"):]
    return FAIL_OPEN_PREFIX + redis_url


class FailOpenRedisStorage(RedisStorage):
    """The limits package's Redis storage, letting requests through while Redis does not answer.

    Registered under its own URI schemes (limits' storage registry), so Flask-Limiter
    uses it like any other storage. After a failure the store is not asked again for
    PROBE_SECONDS, so that a hung Redis costs one short timeout per probe, not one per request.
    """

    STORAGE_SCHEME = [FAIL_OPEN_PREFIX + scheme for scheme in ("redis", "rediss", "redis+unix")]

    def __init__(self, uri, **options):
        options.setdefault("socket_timeout", SOCKET_TIMEOUT)
        options.setdefault("socket_connect_timeout", SOCKET_TIMEOUT)
        # redis-py retries a timed-out call three times by default: one try, then fail open.
        options.setdefault("retry", Retry(NoBackoff(), 0))
        super().__init__(uri[len(FAIL_OPEN_PREFIX):], **options)
        self._lock = threading.Lock()
        self.down_since = None  # time.time() of the first failure of the current outage
        self._next_probe = 0.0
        self.outages = 0  # since start: a metric for the operator (app.limits.outage_stats)
        self.uncounted = 0  # calls let through uncounted, over all outages

    # --- the guard -----------------------------------------------------------------

    def _guarded(self, call, fallback, limit_call=True):
        if self.down_since is not None and time.monotonic() < self._next_probe:
            self.uncounted += limit_call
            return fallback
        try:
            result = call()
        except RedisError as error:
            self._failed(error)
            self.uncounted += limit_call
            return fallback
        if self.down_since is not None:
            self._recovered()
        return result

    def _failed(self, error):
        with self._lock:
            self._next_probe = time.monotonic() + PROBE_SECONDS
            if self.down_since is not None:
                return
            self.down_since = time.time()
            self.outages += 1
        log.warning(
            "rate limits are not counted: their Redis store does not answer (%s: %s); "
            "requests are let through until it does", type(error).__name__, error,
        )

    def _recovered(self):
        with self._lock:
            if self.down_since is None:
                return
            down_for, self.down_since = time.time() - self.down_since, None
        log.warning("rate limits are counted again: their Redis store answers after %.0f s", down_for)

    # --- the storage calls Flask-Limiter makes, each failing open ----------------------

    def incr(self, key, expiry, amount=1):
        return self._guarded(lambda: super(FailOpenRedisStorage, self).incr(key, expiry, amount), 0)

    def get(self, key):
        return self._guarded(lambda: super(FailOpenRedisStorage, self).get(key), 0)

    def get_expiry(self, key):
        return self._guarded(lambda: super(FailOpenRedisStorage, self).get_expiry(key), time.time())

    def acquire_entry(self, key, limit, expiry, amount=1):
        return self._guarded(lambda: super(FailOpenRedisStorage, self).acquire_entry(key, limit, expiry, amount), True)

    def get_moving_window(self, key, limit, expiry):
        return self._guarded(lambda: super(FailOpenRedisStorage, self).get_moving_window(key, limit, expiry),
                             (time.time(), 0))

    def acquire_sliding_window_entry(self, key, limit, expiry, amount=1):
        return self._guarded(
            lambda: super(FailOpenRedisStorage, self).acquire_sliding_window_entry(key, limit, expiry, amount), True)

    def get_sliding_window(self, key, expiry):
        return self._guarded(lambda: super(FailOpenRedisStorage, self).get_sliding_window(key, expiry),
                             (0, 0.0, 0, 0.0))

    def clear(self, key):
        return self._guarded(lambda: super(FailOpenRedisStorage, self).clear(key), None)

    def reset(self):
        return self._guarded(lambda: super(FailOpenRedisStorage, self).reset(), None)

    def check(self):
        return self._guarded(lambda: super(FailOpenRedisStorage, self).check(), False)


# --- generations: what a process may keep, kept valid across processes --------------------
# A process that keeps an answer (say, whether any webhook endpoint of a festival listens to
# scans) keeps it with the generation token it read before asking the database; whoever changes
# what the answer depends on replaces the token after committing. The token lives beside the
# counters and is read through the same guard: a store that does not answer costs a request no
# more than the limiter already allows, and the caller asks the database instead.


def generation(key):
    """The current token of `key` (a str), made if missing; None when the store is not Redis or does not answer."""
    storage = limiter.storage
    if not isinstance(storage, FailOpenRedisStorage):
        return None
    client = storage.storage

    def read():
        token = client.get(key)
        if token is None:
            # Missing (a fresh or flushed Redis): a new random token, never one a process may still hold.
            client.set(key, uuid.uuid4().hex, nx=True)
            token = client.get(key)
        return token

    token = storage._guarded(read, None, limit_call=False)
    return token.decode() if isinstance(token, bytes) else token


def new_generation(key):
    """Replace the token of `key`: every process's answers kept under the old one are asked again."""
    storage = limiter.storage
    if not isinstance(storage, FailOpenRedisStorage):
        return False
    done = storage._guarded(lambda: bool(storage.storage.set(key, uuid.uuid4().hex)), False, limit_call=False)
    if not done:
        log.warning("generation %s not replaced: its Redis store does not answer", key)
    return done


def outage_stats():
    """How often the limiter's store was unreachable in this process, and how many calls went uncounted."""
    storage = limiter.storage
    return {
        "down": getattr(storage, "down_since", None) is not None,
        "outages": getattr(storage, "outages", 0),
        "uncounted": getattr(storage, "uncounted", 0),
    }


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
