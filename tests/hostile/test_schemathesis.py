"""Schemathesis against the app's own OpenAPI document: no 5xx, and every answer as documented.

Every operation gets its explicit examples, the coverage phase (boundary and invalid values
for each field) and a bounded, seeded fuzzing phase. Path parameters mostly name real rows
(a published festival with venues, sessions, a booth, checkpoints, a pass with a booking,
a report), so the calls reach the services and the database rather than stopping at 404.
Calls to protected operations carry a real bearer token: usually an admin's, sometimes
the festival's organiser's or staff's, another city's organiser's, a bad token or none.
"""
import zlib

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.core import NotSet

MAX_EXAMPLES = 25
SEED = 20261121

CONFIG = {
    "seed": SEED,
    "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
    "phases": {"stateful": {"enabled": False}},
    "checks": {
        # Every built-in check but one: a request can fit the schema and still break a rule the
        # schema cannot say (dates in order, a venue already taken, an unknown city), so 422 and
        # 409 are right answers to schema-valid data here.
        "positive_data_acceptance": {"enabled": False},
    },
}


def _pick(case, options, path=True):
    """A choice that is a function of the generated data: the same case always picks the same."""
    body = None if isinstance(case.body, NotSet) else case.body  # NotSet's repr carries its address
    parameters = case.path_parameters if path else None  # path=False: after real (random) tokens went in
    key = repr((case.operation.label, parameters, case.query, body)).encode("utf-8", "surrogatepass")
    return options[zlib.crc32(key) % len(options)]


@pytest.fixture
def api_schema(app, world):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=SchemathesisConfig.from_dict(CONFIG))
    ids = world.ids
    real = {
        "slug": world.slug,
        "venue_id": ids["room"],
        "session_id": ids["workshop"],
        "booth_id": ids["booth"],
        "checkpoint_id": ids["door"],
        "token": ids["manage_token"],
        "manage_token": ids["manage_token"],
        "booking_id": ids["booking"],
        "report_id": ids["report"],
    }
    # Operations that destroy or rename what they name get objects of their own.
    spare = {
        "PATCH /api/v1/festivals/{slug}": {"slug": ids["scratch_slug"]},
        "DELETE /api/v1/passes/{token}": {"token": ids["spare_token"]},
        "DELETE /api/v1/passes/{token}/personal-data": {"token": ids["spare_token"]},
        "DELETE /api/v1/sessions/{session_id}": {"session_id": ids["talk"]},
    }
    tokens = world.tokens
    callers = [tokens["admin"]] * 5 + [tokens["organiser"], tokens["staff"], tokens["other"], "tsk_not-a-token", None]

    @schema.hook
    def map_case(context, case):
        # Two calls in three name real rows; the rest keep what was generated (mostly unknown rows).
        if case.path_parameters and _pick(case, (True, True, False)):
            chosen = {**real, **spare.get(case.operation.label, {})}
            case.path_parameters = {name: chosen.get(name, value) for name, value in case.path_parameters.items()}
        return case

    @schema.auth(refresh_interval=None)
    class Caller:
        """Explicit credentials, so that schemathesis also probes each protected operation without them."""

        def get(self, case, context):
            return _pick(case, callers, path=False)

        def set(self, case, token, context):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}

    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


# Answered by the app or its extensions around any view, and documented once under `default`.
UNDER_DEFAULT = {405, 429, 503}


def explicitly_documented_status(ctx, response, case):
    """Stricter than status_code_conformance, which any status passes through `default`."""
    if case.method.upper() != case.operation.method.upper():
        return  # the coverage phase's undeclared methods: unsupported_method judges those
    documented = {str(status) for status in case.operation.definition.raw.get("responses", {})}
    status = response.status_code
    if str(status) not in documented and status not in UNDER_DEFAULT:
        raise AssertionError(
            f"{case.operation.label} answered {status}, which its OpenAPI entry does not list "
            f"(it lists {', '.join(sorted(documented))}): {response.text[:300]}"
        )


@schema.parametrize()
def test_the_api_answers_as_documented_and_never_fails(case):
    case.call_and_validate(additional_checks=[explicitly_documented_status])
