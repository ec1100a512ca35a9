"""Hostile input stopped at the door, before any handler, lookup or access check reads it.

What no handler should have to think about, checked once for every request (pages and API):

- a NUL character in the URL path (404), an API query string, a form or a JSON body (422
  naming the field): PostgreSQL refuses it in text, so it would fail in the database as a 500.
  Pages ignore query values they cannot read, a NUL included, as they ignore unknown filters;
- a text that is not valid Unicode (a lone surrogate escaped in JSON, `"\\ud800"`): 422;
- a row id in the URL beyond PostgreSQL's `integer`: no such row, 404;
- a JSON body that does not parse, is not UTF-8, uses NaN/Infinity, or nests so deeply
  that the parser gives up: 400 `bad_json`; a whole number beyond 64 bits: 422 `out_of_range`;
- an API operation that takes JSON (as its OpenAPI document says) answers a body of
  another content type with 415 `unsupported_media_type`, a JSON value that is not an
  object with 422 naming `body`, and no body at all (where one is required) likewise;
  one that takes a multipart upload answers other content types with 415.

Bodies above MAX_CONTENT_LENGTH are refused by Werkzeug as 413 `too_large` when read.
"""
import json
import math

from flask import current_app, request

from app.errors import DomainError, Invalid, NotFound, N_

MAX_ROW_ID = 2**31 - 1  # primary keys are PostgreSQL `integer`
MAX_JSON_INT = 2**63 - 1  # nothing we store is wider than `bigint`
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORM_MIMETYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})


def install(app):
    app.before_request(check_request)


def check_request():
    _check_url()
    if request.method not in BODY_METHODS:
        return None
    declared = _declared_body()
    if declared is not None:
        location, required = declared
        if location == "json":
            _check_json_operation(required)
            return None
        if location in ("files", "form"):
            _check_form_operation()
    if _is_json(request.mimetype):
        data = request.get_data(cache=True)
        if data:
            _check_json(data)
    elif request.mimetype in FORM_MIMETYPES:
        _check_form()
    return None


# --- URL ----------------------------------------------------------------------


def _check_url():
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and "\x00" in value:
            raise NotFound("page", N_("Nothing is found at this address."))
        if isinstance(value, int) and not isinstance(value, bool) and value > MAX_ROW_ID:
            what = name[:-3] if name.endswith("_id") else name
            raise NotFound(what, N_("Nothing is found at this address."))
    if not request.path.startswith("/api/"):
        return  # pages ignore a filter they cannot read (a stray %00 included), as they ignore unknown ones
    for name, value in request.args.items(multi=True):
        _text("query", name)
        _text(name, value)


# --- bodies -------------------------------------------------------------------


def _declared_body():
    """(location, required) of the body this API operation documents, or None (pages, no body)."""
    if request.endpoint is None or not request.path.startswith("/api/"):
        return None
    view = current_app.view_functions.get(request.endpoint)
    # flask-smorest keeps each @blp.arguments on the view, as it documents it in the OpenAPI.
    for parameter in (getattr(view, "_apidoc", None) or {}).get("arguments", {}).get("parameters", []):
        if isinstance(parameter, dict) and parameter.get("in") in ("json", "form", "files"):
            return parameter["in"], parameter.get("required", True)
    return None


def _is_json(mimetype):
    return mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))


def _check_json_operation(required):
    data = request.get_data(cache=True)
    if not data:
        if required:
            raise Invalid("body", N_("Send a JSON object in the request body."), code="validation_error")
        return
    if not _is_json(request.mimetype):
        raise DomainError(
            "unsupported_media_type",
            N_("Send the body as JSON, with Content-Type: application/json."),
            status=415,
        )
    body = _check_json(data)
    if not isinstance(body, dict):
        raise Invalid("body", N_("Send a JSON object: {\"field\": value, ...}."), code="validation_error")


def _check_form_operation():
    if request.get_data(cache=True) and request.mimetype != "multipart/form-data":
        raise DomainError(
            "unsupported_media_type",
            N_("Send the file as multipart/form-data."),
            status=415,
        )
    _check_form()


def _check_form():
    for name, value in request.form.items(multi=True):
        _text("form", name)
        _text(name, value)
    for name, upload in request.files.items(multi=True):
        _text("form", name)
        _text(name, upload.filename or "")


def _check_json(data):
    """The parsed body, walked for what the database cannot take when its text shows any sign of it.

    Walking a large document costs far more than parsing it, and most bodies hold nothing to
    find: a NUL or a surrogate can only come in as a `\\u` escape, and the parser reports each
    number too wide or too large as it reads it.
    """
    wide = []

    def parse_int(text):
        if len(text) > 18:  # 2**63 has 19 digits
            wide.append(text)
        return int(text)

    def parse_float(text):
        value = float(text)
        if not math.isfinite(value):
            wide.append(text)
        return value

    try:
        text = data.decode("utf-8")
        body = json.loads(text, parse_constant=_refuse_constant, parse_int=parse_int, parse_float=parse_float)
    except (ValueError, UnicodeDecodeError):
        message = N_("The body is not valid JSON (UTF-8).")
    except RecursionError:
        message = N_("The JSON body is nested too deeply.")
    else:
        if wide or "\\u0000" in text or "\\ud" in text or "\\uD" in text:
            _walk(body, "body")
        return body
    raise DomainError("bad_json", message, field="body", status=400)


def _refuse_constant(name):
    raise ValueError(f"{name} is not JSON")


def _walk(value, where):
    """Every string, key and number of a JSON document, without recursion (depth is the attacker's)."""
    stack = [(value, where)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, str):
            _text(where, value)
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int):
            if abs(value) > MAX_JSON_INT:
                raise Invalid(_field(where), N_("This number is too large."), code="out_of_range")
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise Invalid(_field(where), N_("This number is too large."), code="out_of_range")
        elif isinstance(value, dict):
            for key in value:
                _text(where, key)  # a bad name is reported at its parent: it cannot name itself
            # Reversed onto the stack, so that the first field at fault in the document is the one named.
            stack.extend((item, key if where == "body" else f"{where}.{key}") for key, item in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend((item, f"{where}.{index}") for index, item in reversed(list(enumerate(value))))


def _field(where):
    return where or "body"


def _text(field, value):
    if "\x00" in value:
        raise Invalid(_field(field), N_("Must not contain NUL characters."), code="invalid")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise Invalid(_field(field), N_("Must be valid Unicode text."), code="invalid") from None
