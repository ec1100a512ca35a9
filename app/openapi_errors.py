"""The refusals every operation can answer, written into the OpenAPI document once for all.

The domains document their own answers (`@blp.alt_response(409, ...)` for a clash); this
apispec plugin adds, where an operation does not say it already, what the app itself
answers before or around any view: app/input_guard.py (400, 404, 413, 415, 422), the bearer
token check (401) and the role and city checks (403). The body is always `ErrorSchema`.
Rate limits (429), an exhausted database pool (503) and a method the path does not have (405)
stay under `default`.
"""
from apispec import BasePlugin

ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}

EVERY_OPERATION = {
    "401": "`invalid_token`: a bearer token was sent and is not valid (or `unauthorized`: none was sent)",
    "422": "`invalid`: a NUL character or invalid Unicode in a query parameter, naming it",
}
WITH_PATH_PARAMETERS = {
    "404": "`not_found`: nothing has this address (or an id beyond any row)",
}
WITH_SECURITY = {
    "403": "`forbidden`: another city's data; `forbidden_role`: not a role this operation allows",
}
WITH_BODY = {
    "400": "`bad_json`: the body is not JSON (UTF-8, no NaN), or nests too deeply",
    "413": "`too_large`: the body is larger than the server accepts (MAX_UPLOAD_BYTES)",
    "415": "`unsupported_media_type`: the body is not of the content type documented here",
    "422": "`validation_error` (with `errors` by field), or `invalid`/`out_of_range` naming the field: "
    "a NUL character, invalid Unicode or a number beyond 64 bits",
}


class ErrorResponses(BasePlugin):
    def operation_helper(self, path=None, operations=None, **kwargs):
        for method, operation in (operations or {}).items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            added = dict(EVERY_OPERATION)
            if "{" in (path or ""):
                added.update(WITH_PATH_PARAMETERS)
            if operation.get("security"):
                added.update(WITH_SECURITY)
            if "requestBody" in operation:
                added.update(WITH_BODY)
            for status, description in added.items():
                if status not in responses and int(status) not in responses:
                    responses[status] = {"description": description, "content": ERROR}
