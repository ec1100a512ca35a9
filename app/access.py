"""Who may call what, enforced in one place before any request body is read.

A view declares its roles with app.auth.require_roles; everything else must be
named below as public, visitor (acts through a secret token in the URL),
signed-in (any console user) or development-only. tests/trust/test_access_map.py
walks the URL map and fails for an endpoint that has no rule, so a new endpoint
cannot ship unguarded by accident.

For role-guarded views this hook also resolves the city behind every resource
named in the URL (a festival slug, a session, a checkpoint, ...) and refuses a
caller from another city with 403 before the view runs: the views check again,
this is the net under them.
"""
import sqlalchemy as sa
from flask import current_app, request
from flask_login import current_user

from app.auth import current_principal
from app.database import db
from app.errors import DomainError, Forbidden
from app.extensions import login_manager
from app.users import ADMIN

PUBLIC = frozenset(
    {
        "static", "events.static", "registrations.static", "checkin.static", "reports.static",
        "api-docs.openapi_json", "health.healthz", "login.login",
        "events.festival_list", "events.festival_programme",
        "events_api.list_cities", "events_api.list_festivals", "events_api.get_festival",
        "events_api.list_venues", "events_api.get_venue", "events_api.list_sessions",
        "events_api.get_session", "events_api.list_booths", "events_api.get_booth",
        "events_api.template_csv", "events_api.template_xlsx",
        "feeds.festival_programme", "feeds.venue_programme",
        "registrations.signup", "registrations_api.sign_up", "registrations.book_session",
        # The scanner's shell page (it signs in or pairs from there) and pairing by one-time code.
        "checkin.scanner", "checkin_api.pair_device",
        # A poster opened by a visitor's phone: the code in the URL is signed.
        "checkin.poster_visit",
        # "Your data has been deleted": says so, and nothing else.
        "registrations.pass_deleted",
    }
)

# Act through a secret token in the URL: an unknown token is 404 and shows nothing.
VISITOR = frozenset(
    {
        "registrations.pass_page", "registrations.pass_qr", "registrations.cancel_booking",
        "registrations.cancel_pass", "registrations_api.get_pass", "registrations_api.pass_qr",
        "registrations_api.book", "registrations_api.cancel_booking", "registrations_api.cancel_pass",
        "checkin_api.visit", "checkin.stamp_card_fragment", "feeds.agenda",
        # PDPA: a visitor's own data, exported or deleted through their pass.
        "registrations_api.export_personal_data", "registrations_api.delete_personal_data",
        "registrations.delete_personal_data",
    }
)

# Any signed-in console user (the view checks the rest).
SIGNED_IN = frozenset({"login.home", "login.logout", "checkin.signed_in_device"})

# Development only: 404 unless DEV_MAILBOX is on (never in production).
DEVELOPMENT = frozenset(
    {
        "mail.mailbox.index", "mail.mailbox.show", "mail.mailbox.html",
        "mail.mailbox.raw", "mail.mailbox.attachment",
    }
)


def declared_roles(endpoint):
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "required_roles", None)


def rule_for(endpoint):
    """'roles', 'public', 'visitor', 'signed-in', 'development', or None when undeclared."""
    if declared_roles(endpoint) is not None:
        return "roles"
    for name, group in (("public", PUBLIC), ("visitor", VISITOR), ("signed-in", SIGNED_IN), ("development", DEVELOPMENT)):
        if endpoint in group:
            return name
    return None


def _city_queries():
    t = db.metadata.tables
    festivals = t["festivals"]

    def through_festival(table, column):
        return lambda value: (
            sa.select(festivals.c.city_id)
            .join(t[table], t[table].c.festival_id == festivals.c.id)
            .where(t[table].c[column] == value)
        )

    passes = t["passes"]
    bookings = t["bookings"]
    return {
        "slug": lambda value: sa.select(festivals.c.city_id).where(festivals.c.slug == value),
        "session_id": through_festival("sessions", "id"),
        "venue_id": through_festival("venues", "id"),
        "booth_id": through_festival("booths", "id"),
        "checkpoint_id": through_festival("checkpoints", "id"),
        "import_id": through_festival("programme_imports", "id"),
        "report_id": through_festival("reports", "id"),
        "device_id": through_festival("scanner_devices", "id"),
        "booking_id": lambda value: (
            sa.select(festivals.c.city_id)
            .join(passes, passes.c.festival_id == festivals.c.id)
            .join(bookings, bookings.c.pass_id == passes.c.id)
            .where(bookings.c.id == value)
        ),
    }


MAX_ROW_ID = 2**31 - 1  # primary keys are PostgreSQL `integer`


def _lookupable(value):
    """Values the database can be asked about; the rest are app.input_guard's to refuse."""
    if isinstance(value, int):
        return 0 < value <= MAX_ROW_ID
    return isinstance(value, str) and "\x00" not in value and len(value) <= 200


def cities_in_url(view_args):
    """The cities of the resources this URL names (unknown ones are left to the view's 404)."""
    queries = _city_queries()
    cities = set()
    for name, value in (view_args or {}).items():
        query = queries.get(name)
        if query is None or not _lookupable(value):
            continue
        city = db.session.execute(query(value)).scalar()
        if city is not None:
            cities.add(city)
    return cities


def enforce():
    """before_request: declared roles, then the city of every resource in the URL."""
    endpoint = request.endpoint
    if endpoint is None:
        return None
    roles = declared_roles(endpoint)
    if roles is None:
        if endpoint in SIGNED_IN and not request.path.startswith("/api/") and not current_user.is_authenticated:
            return login_manager.unauthorized()
        return None
    user = current_principal()
    if user is None:
        if request.path.startswith("/api/"):
            raise DomainError("unauthorized", "Sign in or send a bearer token.", status=401)
        return login_manager.unauthorized()
    if user.role != ADMIN and user.role not in roles:
        raise DomainError("forbidden_role", f"This needs one of the roles: {', '.join(roles) or 'admin'}.", status=403)
    if user.role != ADMIN and any(city != user.city_id for city in cities_in_url(request.view_args)):
        raise Forbidden()
    return None
