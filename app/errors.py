"""One error shape for the whole API: a machine-readable `code`, a message, and the fields at fault."""
import logging

import marshmallow as ma
from flask import current_app, jsonify, render_template, request
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule of the festival world was broken. Services raise it; handlers turn it into 4xx."""

    status = 409

    def __init__(self, code, message, *, field=None, status=None, **details):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        if status is not None:
            self.status = status
        self.details = details

    def body(self):
        body = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
            body["errors"] = {self.field: [self.message]}
        body.update(self.details)
        return body


class NotFound(DomainError):
    status = 404

    def __init__(self, what, message=None, **details):
        super().__init__("not_found", message or f"{what} not found", status=404, **details)


class Forbidden(DomainError):
    status = 403

    def __init__(self, message="You may not act on another city's festivals.", **details):
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
    response = render_template("error.html", status=error.code, message=error.description)
    return current_app.make_response((response, error.code, headers))


def register_error_handlers(app):
    @app.errorhandler(DomainError)
    def domain_error(error):
        if wants_json():
            return jsonify(error.body()), error.status
        return render_template("error.html", status=error.status, message=error.message), error.status

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
            response = app.make_response((render_template("error.html", status=503, message=body["message"]), 503))
        response.status_code = 503
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(Exception)
    def unexpected(error):
        log.exception("unhandled error on %s %s", request.method, request.path)
        if wants_json():
            return jsonify({"code": "server_error", "message": "Something went wrong on our side."}), 500
        return render_template("error.html", status=500, message="Something went wrong on our side."), 500
