"""Who may call what, enforced in one place before any request body is read.

Each view declares its rule next to its route, with the decorators of app.auth:
require_roles(...), public, visitor (acts through a secret token in the URL),
signed_in (any console user) or dev_only(setting). tests/trust/test_access_map.py
walks the URL map and fails for an endpoint that declares none, so a new endpoint
cannot ship unguarded by accident.

For role-guarded views this hook also resolves the city behind every resource
named in the URL (a festival slug, a session, a checkpoint, ...) and refuses a
caller from another city with 403 before the view runs: the views check again,
this is the net under them. Each domain registers, with city_resolver, how to
find the city of the resources it owns.
"""
from flask import abort, current_app, g, request
from flask_login import current_user

from app.auth import DEVELOPMENT, PUBLIC, SIGNED_IN, current_principal
from app.database import db
from app.errors import DomainError, Forbidden, N_
from app.extensions import login_manager
from app.users import ADMIN, read_beside

# The app's own machinery, public by nature: static files and the OpenAPI document.
MACHINERY_PUBLIC = frozenset({"static", "api-docs.openapi_json"})

_city_resolvers = {}  # URL argument -> function(value) -> SELECT of the city id [, its parameters]
_beside_caller = set()  # URL arguments whose city app.users reads beside the caller (read_beside)


def city_resolver(argument, beside_caller=None):
    """Register `function(value) -> SELECT city_id` for a URL argument (`slug`, `session_id`, ...).

    The function may answer `(SELECT, parameters)` instead: a statement built once, with bound
    parameters, for the arguments of hot paths (a gate scan names its checkpoint).

    `beside_caller(select) -> select`, for the hottest (a gate scan): the caller's own lookup by
    bearer token (app.users) with this resource's city added as the next column, outer-joined, its
    value bound as `argument`: a call with a token then finds its caller and the resource's city
    in one round trip. It is built once, and app.users keeps what it reads per process until a
    commit changes a row of it.
    """

    def register(function):
        _city_resolvers[argument] = function
        if beside_caller is not None:
            _beside_caller.add(argument)
            read_beside(argument, beside_caller)
        return function

    return register


def city_of(argument, value):
    """The city of the resource this argument names, or None (unknown, or no resolver)."""
    resolver = _city_resolvers.get(argument)
    if resolver is None or not _lookupable(value):
        return None
    found = resolver(value)
    statement, parameters = found if isinstance(found, tuple) else (found, None)
    return db.session.execute(statement, parameters).scalar()


def _view(endpoint):
    return current_app.view_functions.get(endpoint)


def declared_roles(endpoint):
    return getattr(_view(endpoint), "required_roles", None)


def rule_for(endpoint):
    """'roles', 'public', 'visitor', 'signed-in', 'development', or None when undeclared."""
    if declared_roles(endpoint) is not None:
        return "roles"
    if endpoint in MACHINERY_PUBLIC or endpoint.endswith(".static"):
        return PUBLIC
    return getattr(_view(endpoint), "access_rule", None)


MAX_ROW_ID = 2**31 - 1  # primary keys are PostgreSQL `integer`


def _lookupable(value):
    """Values the database can be asked about; the rest are app.input_guard's to refuse."""
    if isinstance(value, int):
        return 0 < value <= MAX_ROW_ID
    return isinstance(value, str) and "\x00" not in value and len(value) <= 200


def cities_in_url(view_args, known=None):
    """The cities of the resources this URL names (unknown ones are left to the view's 404).
    `known`: {argument: city} read already (beside the caller)."""
    known = known or {}
    cities = {city for city in known.values() if city is not None}
    for name, value in (view_args or {}).items():
        city = city_of(name, value) if name not in known else None
        if city is not None:
            cities.add(city)
    return cities


def _read_beside_caller(view_args):
    """(argument, current_principal's `beside`) for the first URL argument whose city can be read with
    the caller's token; (None, None) when none can."""
    for name, value in (view_args or {}).items():
        if name in _beside_caller and _lookupable(value):
            return name, (name, {name: value})
    return None, None


def enforce():
    """before_request: declared roles, then the city of every resource in the URL."""
    endpoint = request.endpoint
    if endpoint is None:
        return None
    roles = declared_roles(endpoint)
    if roles is None:
        rule = rule_for(endpoint)
        if rule == SIGNED_IN and not request.path.startswith("/api/") and not current_user.is_authenticated:
            return login_manager.unauthorized()
        if rule == DEVELOPMENT and not current_app.config.get(_view(endpoint).development_setting):
            abort(404)
        return None
    argument, beside = _read_beside_caller(request.view_args)
    user = current_principal(beside=beside)
    if user is None:
        if request.path.startswith("/api/"):
            raise DomainError("unauthorized", N_("Sign in or send a bearer token."), status=401)
        return login_manager.unauthorized()
    if user.role != ADMIN and user.role not in roles:
        raise DomainError("forbidden_role", N_("This needs one of the roles: %(roles)s."), params={"roles": list(roles) or ["admin"]}, status=403)
    read = g.pop("beside_principal", None)  # absent when the caller came by cookie, or was known already
    known = {argument: read[0]} if read else None
    if user.role != ADMIN and any(city != user.city_id for city in cities_in_url(request.view_args, known)):
        raise Forbidden()
    return None
