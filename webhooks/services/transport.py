"""One POST to a partner, guarded: the address checked after DNS and pinned for the connection,
a deadline over the whole exchange, the answer read up to a cap, redirects never followed.

http.client does no redirects and no proxying of its own; HTTPS still verifies the
certificate against the URL's host name (SNI and the check use the name, the socket
the checked address).
"""
import http.client
import socket
import ssl
import time
from dataclasses import dataclass

from webhooks.services.addresses import Refused, resolve

MAX_ANSWER_BYTES = 64 * 1024  # what we read of a partner's answer; the rest is dropped
USER_AGENT = "Thetsakan-Webhooks/1"


@dataclass
class Answer:
    ok: bool
    status_code: int | None
    duration_ms: int
    error: str | None = None  # timeout, refused, connection, redirect, status, blocked_address, tls, ...
    detail: str = ""
    # A failure that says the endpoint itself is unreachable (not one event's problem):
    # the other events waiting for it are not tried in this pass.
    unreachable: bool = False


class _Deadline:
    def __init__(self, seconds):
        self.ends = time.monotonic() + seconds

    def left(self):
        left = self.ends - time.monotonic()
        if left <= 0:
            raise socket.timeout("the endpoint took too long")
        return left


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target, deadline):
        super().__init__(target.host, target.port, timeout=deadline.left())
        self.target, self.deadline = target, deadline

    def connect(self):
        self.sock = socket.create_connection((self.target.address, self.target.port), timeout=self.deadline.left())


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target, deadline):
        super().__init__(target.host, target.port, timeout=deadline.left(), context=ssl.create_default_context())
        self.target, self.deadline = target, deadline

    def connect(self):
        raw = socket.create_connection((self.target.address, self.target.port), timeout=self.deadline.left())
        self.sock = self._context.wrap_socket(raw, server_hostname=self.target.host)


def post(url, body, headers, timeout, policy):
    """POST `body` (bytes) to `url`; an Answer, never an exception for the partner's faults."""
    started = time.monotonic()

    def answer(ok, status=None, error=None, detail="", unreachable=False):
        return Answer(ok, status, int((time.monotonic() - started) * 1000), error, str(detail)[:500], unreachable)

    try:
        target = resolve(url, policy)
    except Refused as refusal:
        return answer(False, error="blocked_address" if refusal.code == "private_address" else refusal.code,
                      detail=refusal.message, unreachable=True)
    deadline = _Deadline(timeout)
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = None
    try:
        connection = kind(target, deadline)
        connection.putrequest("POST", target.path, skip_accept_encoding=True)
        for name, value in {**headers, "User-Agent": USER_AGENT, "Content-Length": str(len(body)),
                            "Connection": "close"}.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        connection.sock.settimeout(deadline.left())
        response = connection.getresponse()
        read = 0
        while read < MAX_ANSWER_BYTES:
            if connection.sock is not None:
                connection.sock.settimeout(deadline.left())
            # read1: at most one read from the socket, so the deadline is checked between drips.
            chunk = response.read1(min(8192, MAX_ANSWER_BYTES - read))
            if not chunk:
                break
            read += len(chunk)
        status = response.status
    except (socket.timeout, TimeoutError) as exc:
        return answer(False, error="timeout", detail=exc, unreachable=True)
    except ConnectionRefusedError as exc:
        return answer(False, error="refused", detail=exc, unreachable=True)
    except ssl.SSLError as exc:
        return answer(False, error="tls", detail=exc, unreachable=True)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return answer(False, error="connection", detail=f"{type(exc).__name__}: {exc}", unreachable=True)
    finally:
        if connection is not None:
            connection.close()
    if 200 <= status < 300:
        return answer(True, status)
    if 300 <= status < 400:
        return answer(False, status, error="redirect", detail="Redirects are not followed: give the final URL.")
    return answer(False, status, error="status")
