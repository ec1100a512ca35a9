"""The signature partners verify: `Thetsakan-Signature: t=UNIX_SECONDS,v1=HEX[,v1=HEX]`.

HEX is HMAC-SHA256 with the endpoint's secret over "{t}.{raw body}" (Stripe's scheme).
During the day after a rotation a second v1 made with the previous secret follows,
so a partner who has not yet switched secrets still finds one that matches.
"""
import hashlib
import hmac
import secrets

HEADER = "Thetsakan-Signature"
SECRET_PREFIX = "whsec_"


def new_secret():
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret, timestamp, body):
    if isinstance(body, str):
        body = body.encode("utf-8")
    return hmac.new(secret.encode("utf-8"), f"{int(timestamp)}.".encode() + body, hashlib.sha256).hexdigest()


def header(secrets_, timestamp, body):
    """The header value, signed with each of these secrets (the current one first)."""
    parts = [f"t={int(timestamp)}"] + [f"v1={signature(secret, timestamp, body)}" for secret in secrets_ if secret]
    return ",".join(parts)


def verify(secret, value, body, now, tolerance=300):
    """What a partner does (docs/webhooks.md): True when one v1 matches and t is recent."""
    fields = [part.split("=", 1) for part in value.split(",") if "=" in part]
    stamps = [v for k, v in fields if k == "t"]
    if not stamps or not stamps[0].isdigit():
        return False
    timestamp = int(stamps[0])
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, v) for k, v in fields if k == "v1")
