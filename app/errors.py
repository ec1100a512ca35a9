"""One error shape for the whole API: a machine-readable `code`, a message, and the fields at fault.

A message is written once, as a catalogue entry with named parameters
("At most %(n)s characters."), and travels with the error together with those
parameters. The API says it in English; a page says it in the reader's language
through `localized`, so no page ever matches English text to translate it.
"""
import logging

import marshmallow as ma
from flask import current_app, jsonify, render_template, request
from flask_babel import gettext
from sqlalchemy import exc as sa_exc
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


def N_(message):
    """Marks a catalogue message where it is written; it is translated where it is read."""
    return message


def _param(value, locale):
    """A parameter as the reader sees it: {"th": .., "en": ..} picks the language, lists are joined."""
    if isinstance(value, dict) and set(value) <= {"th", "en"}:
        other = "en" if locale == "th" else "th"
        return value.get(locale) or value.get(other) or ""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(_param(item, locale)) for item in value)
    return value


def reader_locale():
    """The reader's language: the page's or a mail's (forced) locale; English where there is none (CLI, logs)."""
    from flask import has_app_context

    from app.i18n import current_locale

    if not has_app_context():
        return "en"
    try:
        return current_locale()
    except RuntimeError:  # an app context with neither a request nor a forced locale
        return "en"


def param_text(value, locale=None):
    """One parameter (or label) in the reader's language."""
    return _param(value, locale or reader_locale())


def render_message(message, params=None, locale=None):
    """A catalogue message with its parameters in `locale` (English: the msgid itself), else the reader's."""
    params = params or {}
    locale = locale or reader_locale()
    if locale == "en":
        return message % {k: _param(v, "en") for k, v in params.items()} if params else message
    values = {k: _param(v, locale) for k, v in params.items()}
    from flask_babel import force_locale

    with force_locale(locale):
        return gettext(message, **values) if values else gettext(message)


def localized(error):
    """What a page shows for a refusal: a DomainError, or an error entry {message_id, params, message}."""
    if isinstance(error, DomainError):
        return render_message(error.message_id, error.params)
    if isinstance(error, dict):
        if error.get("message_id"):
            return render_message(error["message_id"], error.get("params"))
        return error.get("message") or ""
    return str(error)


def public_entry(entry):
    """An error entry as the API shows it (without the catalogue id and parameters pages use)."""
    if not isinstance(entry, dict):
        return entry
    return {key: value for key, value in entry.items() if key not in ("message_id", "params")}


class DomainError(Exception):
    """A rule of the festival world was broken. Services raise it; handlers turn it into 4xx.

    `message` is the catalogue message (mark it with N_), `params` its named parts.
    """

    status = 409

    def __init__(self, code, message, *, field=None, status=None, params=None, **details):
        self.code = code
        self.message_id = message
        self.params = dict(params or {})
        self.message = render_message(message, self.params, locale="en")
        super().__init__(self.message)
        self.field = field
        if status is not None:
            self.status = status
        self.details = details

    def entry(self, **extra):
        """This error as one entry of a list of errors (a spreadsheet's rows), still translatable."""
        return {"field": self.field, "code": self.code, "message": self.message,
                "message_id": self.message_id, "params": self.params, **extra}

    def body(self):
        body = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
            body["errors"] = {self.field: [self.message]}
        body.update(self.details)
        if isinstance(body.get("errors"), list):
            # Entries keep their catalogue id for pages; the API's contract is {row, field, code, message}.
            body["errors"] = [public_entry(entry) for entry in body["errors"]]
        return body


class NotFound(DomainError):
    status = 404

    def __init__(self, what, message=None, **details):
        super().__init__("not_found", message or N_("We could not find that."), status=404, **details)


class Forbidden(DomainError):
    status = 403

    def __init__(self, message=N_("You may not act on another city's festivals."), **details):
        super().__init__("forbidden", message, status=403, **details)


class Invalid(DomainError):
    """Bad input caught by a service: 422 naming the field."""

    status = 422

    def __init__(self, field, message, code="invalid", **details):
        super().__init__(code, message, field=field, status=422, **details)


class ErrorSchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "machine-readable reason"})
    message = ma.fields.String(required=True)
    field = ma.fields.String(metadata={"description": "the first field at fault"})
    errors = ma.fields.Raw(
        metadata={
            "description": "by field: {field: [message, ...]}; for a spreadsheet's `invalid_rows`, "
            "a list of {row, field, code, message}",
            "oneOf": [
                {"type": "object", "additionalProperties": {}},
                {"type": "array", "items": {"type": "object"}},
            ],
        }
    )

    class Meta:
        unknown = ma.INCLUDE


STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}


# What an HTML error page says for each status (werkzeug's own descriptions are English).
PAGE_MESSAGES = {
    400: N_("The request could not be understood. Please go back and try again."),
    401: N_("Please sign in to see this page."),
    403: N_("You may not see this page."),
    404: N_("We could not find this page. The address may be mistyped, or the page has moved."),
    405: N_("This page cannot be used that way."),
    409: N_("This could not be done as things stand now."),
    413: N_("What you sent is too large."),
    415: N_("This kind of file or content is not accepted here."),
    422: N_("Some of what you entered is not valid."),
    429: N_("Too many tries in a short time. Please wait a moment and try again."),
    500: N_("Something went wrong on our side."),
    503: N_("The festival is very busy right now. Please try again in a moment."),
}
CSRF_MESSAGE = N_("This form has expired or was sent from another page (its CSRF token is missing or wrong). "
                  "Please go back, reload the page and try again.")
PAGE_TITLES = {
    404: N_("Page not found"),
    500: N_("Something went wrong"),
    503: N_("Very busy right now"),
}


def error_page(status, message=None):
    """The HTML error page in the reader's language: the refusal's own message, else the status's."""
    text = message or render_message(PAGE_MESSAGES.get(status, PAGE_MESSAGES[400 if status < 500 else 500]))
    title = render_message(PAGE_TITLES[status]) if status in PAGE_TITLES else None
    return render_template("error.html", status=status, message=text, title=title)


def wants_json():
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _flatten(messages):
    """webargs nests messages by location ({'json': {...}}); clients want fields."""
    if isinstance(messages, dict) and set(messages) <= {"json", "query", "form", "files", "headers", "view_args"}:
        merged = {}
        for value in messages.values():
            if isinstance(value, dict):
                merged.update(value)
            else:
                merged.setdefault("_schema", []).extend(value if isinstance(value, list) else [value])
        return merged
    return messages


def http_error_body(error):
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = _flatten(data.get("messages")) if data.get("messages") else None
    body = {"code": STATUS_CODES.get(status, "error"), "message": error.description or error.name}
    if messages:
        if status == 400 and "_schema" in messages and len(messages) == 1:
            body["code"] = "bad_json"
            body["field"] = "body"
        else:
            first = next(iter(messages))
            body["field"] = first
            body["message"] = "Some fields are not valid."
        body["errors"] = messages
    return body


def http_error_response(error, **extra):
    """An HTTP error as our JSON body (with `extra` fields) or as the error page."""
    if wants_json():
        response = jsonify({**http_error_body(error), **extra})
        response.status_code = error.code or 500
        # The error's own headers (Allow on a 405, Retry-After, ...), but our JSON content type.
        for key, value in error.get_headers():
            if key.lower() != "content-type":
                response.headers[key] = value
        # webargs sets data["headers"] to None on a 422: no headers, not a crash.
        for key, value in ((getattr(error, "data", None) or {}).get("headers") or {}).items():
            response.headers[key] = value
        if error.code == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="thetsakan"'
        return response
    headers = [(key, value) for key, value in error.get_headers() if key.lower() != "content-type"]
    message = render_message(CSRF_MESSAGE) if isinstance(error, CSRFError) else None
    return current_app.make_response((error_page(error.code or 500, message), error.code, headers))


def register_error_handlers(app):
    app.jinja_env.globals["error_text"] = localized

    @app.errorhandler(DomainError)
    def domain_error(error):
        if wants_json():
            # `message` stays English for scripts; a page's own script shows `localized_message`.
            return jsonify({**error.body(), "localized_message": localized(error)}), error.status
        return error_page(error.status, localized(error)), error.status

    app.register_error_handler(HTTPException, http_error_response)

    @app.errorhandler(sa_exc.TimeoutError)
    def pool_exhausted(error):
        # Every pooled connection stayed busy past the pool timeout: a rush larger than
        # this process was sized for. Ask the client to retry rather than fail it.
        log.warning("database pool exhausted on %s %s", request.method, request.path)
        body = {"code": "busy", "message": "The festival is very busy right now. Please try again in a moment."}
        if wants_json():
            response = jsonify(body)
        else:
            response = app.make_response((error_page(503), 503))
        response.status_code = 503
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(Exception)
    def unexpected(error):
        log.exception("unhandled error on %s %s", request.method, request.path)
        if wants_json():
            return jsonify({"code": "server_error", "message": "Something went wrong on our side."}), 500
        return error_page(500), 500
