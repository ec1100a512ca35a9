"""Abuse limits on the public and scanning endpoints (Flask-Limiter on Redis): 429 `rate_limited`
with Retry-After, the only answers whose Retry-After the limiter sets.

Declared here as data by endpoint name, so that the domains stay free of the
limiter and the whole policy can be read in one place.

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

    def _guarded(self, call, fallback):
        if self.down_since is not None and time.monotonic() < self._next_probe:
            self.uncounted += 1
            return fallback
        try:
            result = call()
        except RedisError as error:
            self._failed(error)
            self.uncounted += 1
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


def outage_stats():
    """How often the limiter's store was unreachable in this process, and how many calls went uncounted."""
    storage = limiter.storage
    return {
        "down": getattr(storage, "down_since", None) is not None,
        "outages": getattr(storage, "outages", 0),
        "uncounted": getattr(storage, "uncounted", 0),
    }


def by_principal_or_address():
    """Scanners share the venue's Wi-Fi and so one address: limit each scanner by who it is."""
    try:
        user = current_principal()
    except Exception:  # noqa: BLE001 - a bad token is answered by the view, not here
        user = None
    if user is not None:
        return f"user:{user.id}"
    return f"ip:{request.remote_addr}"


def by_pass_token():
    """A visitor acts through their pass: limit each pass, whatever network it comes from."""
    token = (request.view_args or {}).get("token") or (request.view_args or {}).get("manage_token")
    return f"pass:{token}" if token else f"ip:{request.remote_addr}"


def by_address():
    return f"ip:{request.remote_addr}"


def by_email():
    """The e-mail address signing up (hashed: the store keeps no personal data), per festival."""
    body = request.get_json(silent=True) if request.is_json else None
    email = body.get("email") if isinstance(body, dict) else request.form.get("email")
    if not isinstance(email, str) or not email.strip():
        return f"email-missing:{by_address()}"
    slug = (request.view_args or {}).get("slug", "")
    return "email:" + hashlib.sha256(f"{slug}|{email.strip().lower()}".encode()).hexdigest()[:32]


# endpoint -> [(limit, key function, methods)]
LIMITS = {
    # Sign-up: a family signs up once; the same address hammered is refused. One address is
    # only a high ceiling: a registration desk or a venue's Wi-Fi signs up 120 families a minute.
    "registrations_api.sign_up": [("5/minute;20/hour", by_email, ["POST"]), ("300/minute;3000/hour", by_address, ["POST"])],
    "registrations.signup": [("5/minute;20/hour", by_email, ["POST"]), ("300/minute;3000/hour", by_address, ["POST"])],
    # Booking: a pass books a handful of sessions; hammering the rush is refused.
    "registrations_api.book": [("30/minute", by_pass_token, ["POST"])],
    "registrations.book_session": [("30/minute", by_address, ["POST"])],
    # Scanning: a gate scanner does at most a few scans a second.
    "checkin_api.scan": [("600/minute", by_principal_or_address, ["POST"])],
    "checkin_api.scan_batch": [("120/minute", by_principal_or_address, ["POST"])],
    "checkin_api.visit": [("60/minute", by_pass_token, ["POST"])],
    # Console sign-in: slow down password guessing.
    "login.login": [("10/minute;50/hour", by_address, ["POST"])],
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
    error.description = _("Too many tries in a short time. Please wait a moment and try again.")
    response = http_error_response(error, retry_after=seconds)
    response.headers["Retry-After"] = str(seconds)
    return response


def apply_limits(app):
    app.register_error_handler(RateLimitExceeded, refused)
    for endpoint, limits in LIMITS.items():
        view = app.view_functions.get(endpoint)
        if view is None:
            raise RuntimeError(f"rate limit declared for unknown endpoint {endpoint}")
        for rule, key, methods in limits:
            view = limiter.limit(rule, key_func=key, methods=methods)(view)
        app.view_functions[endpoint] = view
