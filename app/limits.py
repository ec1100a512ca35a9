"""Abuse limits on the public and scanning endpoints (Flask-Limiter on Redis): 429 with Retry-After.

Declared here as data by endpoint name, so that the domains stay free of the
limiter and the whole policy can be read in one place.
"""
from flask import request

from app.auth import current_principal
from app.extensions import limiter


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


# endpoint -> (limit, key function, methods)
LIMITS = {
    # Sign-up: a family signs up once; a script signing up thousands is abuse.
    "registrations_api.sign_up": ("20/minute;200/hour", by_address, ["POST"]),
    "registrations.signup": ("20/minute;200/hour", by_address, ["POST"]),
    # Booking: a pass books a handful of sessions; hammering the rush is refused.
    "registrations_api.book": ("30/minute", by_pass_token, ["POST"]),
    "registrations.book_session": ("30/minute", by_address, ["POST"]),
    # Scanning: a gate scanner does at most a few scans a second.
    "checkin_api.scan": ("600/minute", by_principal_or_address, ["POST"]),
    "checkin_api.scan_batch": ("120/minute", by_principal_or_address, ["POST"]),
    "checkin_api.visit": ("60/minute", by_pass_token, ["POST"]),
    # Console sign-in: slow down password guessing.
    "login.login": ("10/minute;50/hour", by_address, ["POST"]),
}


def apply_limits(app):
    for endpoint, (rule, key, methods) in LIMITS.items():
        view = app.view_functions.get(endpoint)
        if view is None:
            raise RuntimeError(f"rate limit declared for unknown endpoint {endpoint}")
        app.view_functions[endpoint] = limiter.limit(rule, key_func=key, methods=methods)(view)
