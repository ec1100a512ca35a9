"""Where a webhook may point: https in production, and never at this machine or a private network.

An endpoint URL is checked when it is saved and again at every delivery, after DNS
resolution: a name that resolved to a public address yesterday may resolve to
127.0.0.1 or 169.254.169.254 today (DNS rebinding). The delivery then connects to
the very address that was checked (transport.py pins it), not to a second lookup.
"""
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app

from app.errors import Invalid


class Refused(Exception):
    """This URL may not be called; code says why (machine-readable)."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with the query
    address: str  # the resolved IP we connect to


@dataclass(frozen=True)
class Policy:
    """What this installation allows; read from the config in the app, handed to delivery threads."""

    production: bool = True
    allow_private: bool = False

    @classmethod
    def from_config(cls, config=None):
        config = config or current_app.config
        return cls(bool(config.get("PRODUCTION")), bool(config.get("WEBHOOKS_ALLOW_PRIVATE")))


def parse(url, policy):
    """(scheme, host, port, path) of a URL we could call, or Refused."""
    production = policy.production
    if not isinstance(url, str) or not url.strip():
        raise Refused("required", "Give the endpoint's URL.")
    url = url.strip()
    if len(url) > 2000:
        raise Refused("too_long", "The URL is longer than 2,000 characters.")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        # A space or a line break in a request line could smuggle a header: never sent.
        raise Refused("invalid_url", "This is not a valid URL.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Refused("invalid_url", "This is not a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise Refused("scheme", "Only https:// addresses can receive webhooks.")
    if scheme == "http" and production:
        raise Refused("scheme", "Only https:// addresses can receive webhooks.")
    if parts.username or parts.password:
        raise Refused("credentials", "Put no user name or password in the URL: verify our signature instead.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise Refused("invalid_url", "The URL names no host.")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, host, port or (443 if scheme == "https" else 80), path


def allowed_address(address, policy):
    """True for an address on the public internet (unless WEBHOOKS_ALLOW_PRIVATE)."""
    allow_private = policy.allow_private
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_multicast or ip.is_unspecified:
        return False  # never a web server, private or not
    if allow_private:
        return True
    # is_global is False for loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7),
    # link-local (169.254/16: cloud metadata, fe80::/10), shared (100.64/10) and reserved ranges.
    return ip.is_global


def resolve(url, policy):
    """The Target to connect to: the URL parsed, its host resolved, every address it has checked.

    A name with one forbidden address among its answers is refused as a whole: which
    answer a client uses is not ours to choose, and an attacker would list both.
    """
    scheme, host, port, path = parse(url, policy)
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as exc:
        raise Refused("unresolvable", f"The name {host} does not resolve ({exc}).") from None
    addresses = list(dict.fromkeys(answer[4][0] for answer in answers))
    if not addresses:
        raise Refused("unresolvable", f"The name {host} does not resolve.")
    for address in addresses:
        if not allowed_address(address, policy):
            raise Refused(
                "private_address",
                f"{host} is {address}: a loopback, private or link-local address cannot receive webhooks.",
            )
    return Target(scheme, host, port, path, addresses[0])


def check_url(url, field="url"):
    """For saving an endpoint: the URL, stripped, or Invalid (422) naming the field and why."""
    try:
        resolve(url, Policy.from_config())
    except Refused as refusal:
        raise Invalid(field, refusal.message, code=refusal.code) from None
    return url.strip()
