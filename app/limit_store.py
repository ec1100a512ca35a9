"""The limiter (its store and its moving windows) and the store's guard: Redis, letting requests
through while it does not answer.

Limits fail open: Redis is a store of counters here, and a festival whose Redis is
down or hung must still sign families up, book and scan. While the store does not
answer, requests are let through uncounted, the log says so once per outage (and
once when it answers again), and the limiter's own connection gives up within a
second instead of the shared pool's five. app.generations reads its tokens through
the same guard.

Apart from app.limits (which declares the limits, names the actors they count and checks them
per request) so that modules below app.auth can use the store: app.limits reads the caller.
"""
import logging
import threading
import time

from limits.storage import RedisStorage, storage_from_string
from limits.strategies import STRATEGIES
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

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

    Registered under its own URI schemes (limits' storage registry), so the limiter
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
        self.outages = 0  # since start: a metric for the operator (outage_stats below)
        self.uncounted = 0  # calls let through uncounted, over all outages

    # --- the guard -----------------------------------------------------------------

    def guarded(self, call, fallback, limit_call=True):
        """call() on the store, or `fallback` while it does not answer (app.generations reads through
        it too, with limit_call=False: a generation read is no request let through uncounted)."""
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

    # --- the storage calls the moving windows make, each failing open -------------------

    def incr(self, key, expiry, amount=1):
        return self.guarded(lambda: super(FailOpenRedisStorage, self).incr(key, expiry, amount), 0)

    def get(self, key):
        return self.guarded(lambda: super(FailOpenRedisStorage, self).get(key), 0)

    def get_expiry(self, key):
        return self.guarded(lambda: super(FailOpenRedisStorage, self).get_expiry(key), time.time())

    def acquire_entry(self, key, limit, expiry, amount=1):
        return self.guarded(lambda: super(FailOpenRedisStorage, self).acquire_entry(key, limit, expiry, amount), True)

    def get_moving_window(self, key, limit, expiry):
        return self.guarded(lambda: super(FailOpenRedisStorage, self).get_moving_window(key, limit, expiry),
                             (time.time(), 0))

    def acquire_sliding_window_entry(self, key, limit, expiry, amount=1):
        return self.guarded(
            lambda: super(FailOpenRedisStorage, self).acquire_sliding_window_entry(key, limit, expiry, amount), True)

    def get_sliding_window(self, key, expiry):
        return self.guarded(lambda: super(FailOpenRedisStorage, self).get_sliding_window(key, expiry),
                             (0, 0.0, 0, 0.0))

    def clear(self, key):
        return self.guarded(lambda: super(FailOpenRedisStorage, self).clear(key), None)

    def reset(self):
        return self.guarded(lambda: super(FailOpenRedisStorage, self).reset(), None)

    def check(self):
        return self.guarded(lambda: super(FailOpenRedisStorage, self).check(), False)


class Limiter:
    """The app's limits store and their windows (the `limits` package), bound by init_app.

    One per process, as the store is: the last app initialised is the one a process serves.
    app.limits checks each request against it; app.generations keeps its tokens in its store.
    """

    def __init__(self):
        self.enabled = True
        self.storage = None
        self.windows = None  # limits' strategy (RATELIMIT_STRATEGY) over the storage

    def init_app(self, app):
        self.enabled = bool(app.config.get("RATELIMIT_ENABLED", True))
        self.storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
        self.windows = STRATEGIES[app.config.get("RATELIMIT_STRATEGY", "moving-window")](self.storage)
        app.extensions["limiter"] = self

    def reset(self):
        """Forget every count (tests start from zero)."""
        self.storage.reset()


limiter = Limiter()


def outage_stats():
    """How often the limiter's store was unreachable in this process, and how many calls went uncounted."""
    storage = limiter.storage
    return {
        "down": getattr(storage, "down_since", None) is not None,
        "outages": getattr(storage, "outages", 0),
        "uncounted": getattr(storage, "uncounted", 0),
    }
