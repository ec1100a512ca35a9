"""Hostile JSON bodies, content types, numbers, dates and NUL characters: each answer's code and
field, and that nothing was stored."""
import json

import pytest

SIGNUP = {"name": "Somsri", "email": "somsri@example.org", "age_group": "adult", "consent": True}
PASSES = "/api/v1/festivals/{slug}/passes"


def refused(answer, status, code, field=None):
    body = answer.get_json()
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert answer.mimetype == "application/json"
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    if field is not None:
        assert body["field"] == field, body
        assert field in body["errors"], body
    return body


def signup(client, world, **kwargs):
    return client.post(f"/api/v1/festivals/{world.slug}/passes", **kwargs)


# --- size, content type, syntax ----------------------------------------------------


def test_a_body_over_the_limit_is_413_too_large(app, client, world, row_counts, conforms):
    before = row_counts()
    limit = app.config["MAX_CONTENT_LENGTH"]
    padded = json.dumps({**SIGNUP, "name": "x" * (limit + 1)})
    answer = signup(client, world, data=padded, content_type="application/json")
    refused(answer, 413, "too_large")
    conforms("POST", PASSES, answer)
    assert row_counts() == before


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (json.dumps(SIGNUP), "text/plain"),
        ("name=Somsri&email=somsri%40example.org&age_group=adult&consent=true", "application/x-www-form-urlencoded"),
        (json.dumps(SIGNUP), "application/xml"),
        (json.dumps(SIGNUP), None),
    ],
    ids=["text-plain", "form", "xml", "no-content-type"],
)
def test_json_operations_refuse_other_content_types_with_415(client, world, row_counts, conforms, data, content_type):
    before = row_counts()
    answer = signup(client, world, data=data, content_type=content_type)
    refused(answer, 415, "unsupported_media_type")
    conforms("POST", PASSES, answer)
    assert row_counts() == before


def test_multipart_to_a_json_operation_is_415(client, world, row_counts):
    before = row_counts()
    answer = client.patch(f"/api/v1/venues/{world.ids['room']}", headers=world.admin,
                          data={"capacity": "3"}, content_type="multipart/form-data")
    refused(answer, 415, "unsupported_media_type")
    assert row_counts() == before


def test_json_with_a_charset_or_a_json_suffix_is_json(client, world):
    answer = signup(client, world, data=json.dumps(SIGNUP), content_type="application/json; charset=utf-8")
    assert answer.status_code == 201, answer.get_json()
    other = signup(client, world, data=json.dumps({**SIGNUP, "email": "b@example.org"}),
                   content_type="application/merge-patch+json")
    assert other.status_code == 201, other.get_json()


@pytest.mark.parametrize(
    "data",
    [b'{"name": ', b"{'name': 'single quotes'}", b'{"name": "x",}', b"\xff\xfe{\x00}", b'{"name": "\xe0\xb8"}',
     b'{"name": NaN}', b'{"capacity": Infinity}'],
    ids=["truncated", "single-quotes", "trailing-comma", "utf16-bom", "broken-utf8", "nan", "infinity"],
)
def test_malformed_json_is_400_bad_json(client, world, row_counts, conforms, data):
    before = row_counts()
    answer = signup(client, world, data=data, content_type="application/json")
    refused(answer, 400, "bad_json", "body")
    conforms("POST", PASSES, answer)
    assert row_counts() == before


def test_deep_nesting_is_400_bad_json_not_a_crash(client, world, row_counts):
    before = row_counts()
    deep = "[" * 100_000 + "]" * 100_000
    refused(signup(client, world, data=deep, content_type="application/json"), 400, "bad_json", "body")
    nested_party = {**SIGNUP, "party": [{"name": {"a": [[[[[[[[[[[[{"b": 1}]]]]]]]]]]]]}, "age_group": "child"}]}
    answer = signup(client, world, json=nested_party)
    refused(answer, 422, "validation_error", "party")
    assert row_counts() == before


@pytest.mark.parametrize("data", ["[]", "[1, 2]", '"a string"', "null", "42", "true"],
                         ids=["empty-list", "list", "string", "null", "number", "boolean"])
def test_json_that_is_not_an_object_is_422_naming_the_body(client, world, row_counts, conforms, data):
    before = row_counts()
    answer = signup(client, world, data=data, content_type="application/json")
    refused(answer, 422, "validation_error", "body")
    conforms("POST", PASSES, answer)
    assert row_counts() == before


def test_no_body_where_one_is_required_is_422_naming_the_body(client, world, row_counts):
    before = row_counts()
    refused(signup(client, world), 422, "validation_error", "body")
    refused(client.patch(f"/api/v1/sessions/{world.ids['talk']}", headers=world.admin,
                         content_type="application/json"), 422, "validation_error", "body")
    assert row_counts() == before
    # Where the body is optional (a report: {} means every format), no body is fine.
    answer = client.post(f"/api/v1/festivals/{world.slug}/reports", headers=world.admin)
    assert answer.status_code == 202 and answer.get_json()["formats"] == ["csv", "xlsx", "pdf"]


def test_unknown_fields_are_422_naming_them(client, world, row_counts):
    before = row_counts()
    refused(signup(client, world, json={**SIGNUP, "is_admin": True}), 422, "validation_error", "is_admin")
    assert row_counts() == before


# --- NUL characters and broken Unicode ----------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "field", "who"),
    [
        ("POST", "/api/v1/festivals/{slug}/passes", {**SIGNUP, "name": "Som\x00sri"}, "name", None),
        ("POST", "/api/v1/festivals/{slug}/passes",
         {**SIGNUP, "party": [{"name": "Nok", "age_group": "child"}, {"name": "\x00", "age_group": "teen"}]},
         "party.1.name", None),
        ("POST", "/api/v1/cities", {"slug": "nan", "name_th": "น่าน", "name_en": "Nan\x00"}, "name_en", "admin"),
        ("POST", "/api/v1/festivals/{slug}/sessions",
         {"title_en": "Talk\x00", "kind": "talk", "starts_at": "2027-08-22T15:00:00", "ends_at": "2027-08-22T16:00:00"},
         "title_en", "admin"),
        ("PATCH", "/api/v1/sessions/{talk}", {"hosts": ["Khru Boonmee", "Khru\x00"]}, "hosts.1", "admin"),
        ("POST", "/api/v1/festivals/{slug}/checkpoints", {"name": "Gate\x00B", "kind": "gate"}, "name", "admin"),
        ("POST", "/api/v1/checkpoints/{gate}/scans", {"code": "ABC", "device_id": "phone\x00"}, "device_id", "staff"),
        ("POST", "/api/v1/checkpoints/{gate}/scans/batch",
         {"device_id": "phone-1", "scans": [{"local_id": "1\x00", "code": "X", "scanned_at": "2027-08-22T10:00:00+07:00"}]},
         "scans.0.local_id", "staff"),
        ("POST", "/api/v1/festivals/{slug}/passes", {**SIGNUP, "na\x00me": "Somsri"}, "body", None),
    ],
    ids=["signup-name", "party-member", "city", "session-title", "session-host", "checkpoint", "scan", "batch", "key"],
)
def test_nul_characters_are_422_naming_the_field_and_store_nothing(client, world, row_counts,
                                                                    method, path, body, field, who):
    before = row_counts()
    url = path.format(slug=world.slug, talk=world.ids["talk"], gate=world.ids["gate"])
    headers = {"admin": world.admin, "staff": world.staff}.get(who, {})
    answer = client.open(url, method=method, json=body, headers=headers)
    refused(answer, 422, "invalid", field)
    assert row_counts() == before


def test_a_lone_surrogate_is_422_not_an_encoding_crash(client, world, row_counts):
    before = row_counts()
    data = json.dumps({**SIGNUP, "name": "PLACEHOLDER"}).replace("PLACEHOLDER", "\\ud800")
    refused(signup(client, world, data=data, content_type="application/json"), 422, "invalid", "name")
    assert row_counts() == before


def test_nul_in_the_url_and_query(client, world, row_counts):
    before = row_counts()
    refused(client.get("/api/v1/festivals/hostile%00days"), 404, "not_found")
    refused(client.get(f"/api/v1/passes/{world.ids['manage_token']}%00"), 404, "not_found")
    refused(client.get(f"/api/v1/festivals/{world.slug}/sessions?kind=talk%00"), 422, "invalid", "kind")
    refused(client.get("/api/v1/festivals?city=%00"), 422, "invalid", "city")
    refused(client.get(f"/api/v1/festivals/{world.slug}/sessions?x%00y=1"), 422, "invalid", "query")
    assert row_counts() == before


# --- long strings, numbers, dates -----------------------------------------------------


def test_very_long_strings_are_422_naming_the_field(client, world, row_counts):
    before = row_counts()
    refused(signup(client, world, json={**SIGNUP, "name": "ส" * 100_000}), 422, "validation_error", "name")
    refused(client.post(f"/api/v1/checkpoints/{world.ids['gate']}/scans", headers=world.staff,
                        json={"code": "A" * 1_000_000}), 422, "validation_error", "code")
    refused(client.patch(f"/api/v1/festivals/{world.slug}", headers=world.admin,
                         json={"description_en": "x" * 20_001}), 422, "validation_error", "description_en")
    assert row_counts() == before


@pytest.mark.parametrize("number", [2**63, -(2**63) - 1, 10**100], ids=["2^63", "-2^63-1", "googol"])
def test_numbers_beyond_64_bits_are_422_out_of_range(client, world, row_counts, number):
    before = row_counts()
    answer = client.post(f"/api/v1/passes/{world.ids['manage_token']}/bookings",
                         json={"session_id": world.ids["workshop"], "seats": number})
    refused(answer, 422, "out_of_range", "seats")
    answer = client.post(f"/api/v1/festivals/{world.slug}/checkpoints", headers=world.admin,
                         json={"name": "Door", "kind": "session", "session_id": number})
    refused(answer, 422, "out_of_range", "session_id")
    assert row_counts() == before


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/venues/{room}", {"capacity": 2**31}, "capacity"),
        ("/api/v1/venues/{room}", {"sort_order": -(2**40)}, "sort_order"),
        ("/api/v1/sessions/{talk}", {"venue_id": 2**40}, "venue_id"),
        ("/api/v1/sessions/{workshop}/capacity", {"capacity": 2**40}, "capacity"),
        ("/api/v1/festivals/{slug}", {"stamp_goal": 2**40}, "stamp_goal"),
        ("/api/v1/bookings/{booking}", {"session_id": 2**40}, "session_id"),
    ],
    ids=["venue-capacity", "sort-order", "session-venue", "session-capacity", "stamp-goal", "booking-move"],
)
def test_numbers_past_a_postgresql_integer_are_4xx_naming_the_field(client, world, row_counts, path, body, field):
    before = row_counts()
    url = path.format(slug=world.slug, room=world.ids["room"], talk=world.ids["talk"],
                      workshop=world.ids["workshop"], booking=world.ids["booking"])
    method = "POST" if url.endswith("/capacity") else "PATCH"
    answer = client.open(url, method=method, json=body, headers=world.admin)
    assert answer.status_code == 422, answer.get_json()
    assert answer.get_json()["field"] == field
    assert row_counts() == before


def test_floats_beyond_range_and_numbers_deep_in_lists_are_422(client, world, row_counts):
    before = row_counts()
    answer = client.patch(f"/api/v1/venues/{world.ids['room']}", headers=world.admin,
                          data='{"capacity": 1e400}', content_type="application/json")
    refused(answer, 422, "out_of_range", "capacity")
    batch = {"device_id": "p1", "scans": [{"local_id": "1", "code": "X", "scanned_at": "2027-08-22T10:00:00+07:00"},
                                          {"local_id": 10**40, "code": "X", "scanned_at": "2027-08-22T10:00:00+07:00"}]}
    answer = client.post(f"/api/v1/checkpoints/{world.ids['gate']}/scans/batch", headers=world.staff, json=batch)
    refused(answer, 422, "out_of_range", "scans.1.local_id")
    answer = signup(client, world, data='{"name": "' + "9" * 5000 + '"}', content_type="application/json")
    assert answer.status_code == 422  # a long string of digits is text, not a number
    answer = signup(client, world, data='{"name": ' + "9" * 5000 + "}", content_type="application/json")
    refused(answer, 400, "bad_json", "body")  # past Python's 4,300-digit limit for int()
    assert row_counts() == before


def test_ids_past_any_row_in_the_url_are_404(client, world, row_counts):
    before = row_counts()
    for path in ("/api/v1/venues/{n}", "/api/v1/sessions/{n}", "/api/v1/booths/{n}", "/api/v1/checkpoints/{n}",
                 "/api/v1/reports/{n}", "/api/v1/imports/{n}", "/api/v1/sessions/{n}/bookings"):
        for number in (2**31, 2**63, 10**30):
            answer = client.get(path.format(n=number), headers=world.admin)
            refused(answer, 404, "not_found")
    refused(client.delete(f"/api/v1/passes/{world.ids['manage_token']}/bookings/{2**64}"), 404, "not_found")
    refused(client.get(f"/api/v1/audit?before_id={2**70}", headers=world.admin), 422, "validation_error", "before_id")
    assert row_counts() == before


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"starts_on": "0000-01-01"}, "starts_on", "validation_error"),
        ({"ends_on": "10000-01-01"}, "ends_on", "validation_error"),
        ({"starts_on": "0001-01-01"}, "starts_on", "out_of_range"),
        ({"starts_on": "9999-12-30", "ends_on": "9999-12-31"}, "starts_on", "out_of_range"),
        ({"ends_on": "2027-02-30"}, "ends_on", "validation_error"),
    ],
    ids=["year-0", "year-10000", "year-1", "year-9999", "30-february"],
)
def test_festival_dates_out_of_range_are_422(client, world, row_counts, body, field, code):
    before = row_counts()
    refused(client.patch(f"/api/v1/festivals/{world.slug}", headers=world.admin, json=body), 422, code, field)
    assert row_counts() == before


def test_session_times_and_filters_out_of_range_are_422(client, world, row_counts):
    before = row_counts()
    base = f"/api/v1/festivals/{world.slug}/sessions"
    for starts_at, ends_at in (("0001-01-01T00:00:00", "0001-01-01T01:00:00"),
                               ("9999-12-31T22:00:00", "9999-12-31T23:00:00"),
                               ("9999-12-31T23:00:00-12:00", "9999-12-31T23:30:00-12:00")):
        answer = client.post(base, headers=world.admin,
                             json={"title_en": "Late", "kind": "talk", "starts_at": starts_at, "ends_at": ends_at})
        assert answer.status_code == 422, answer.get_json()
        assert answer.get_json()["field"] in ("starts_at", "ends_at")
    for day in ("0001-01-01", "9999-12-31"):
        refused(client.get(f"{base}?day={day}"), 422, "out_of_range", "day")
    refused(client.get(f"{base}?day=10000-01-01"), 422, "validation_error", "day")
    assert row_counts() == before


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00", "1900-01-01T00:00:00Z"],
                         ids=["year-1", "year-9999", "1900"])
def test_scan_and_checkpoint_times_out_of_range_are_422(client, world, row_counts, when):
    before = row_counts()
    refused(client.post(f"/api/v1/checkpoints/{world.ids['gate']}/scans", headers=world.staff,
                        json={"code": world.ids["code"], "scanned_at": when}), 422, "validation_error", "scanned_at")
    refused(client.post(f"/api/v1/checkpoints/{world.ids['gate']}/scans/batch", headers=world.staff,
                        json={"device_id": "p1", "scans": [{"local_id": "1", "code": "X", "scanned_at": when}]}),
            422, "validation_error", "scans")
    refused(client.post(f"/api/v1/festivals/{world.slug}/checkpoints", headers=world.admin,
                        json={"name": "Gate B", "kind": "gate", "opens_at": when}), 422, "validation_error", "opens_at")
    assert row_counts() == before


def test_a_method_the_path_does_not_have_is_405_with_allow(client, world):
    answer = client.put("/api/v1/cities", json={})
    refused(answer, 405, "method_not_allowed")
    assert set(answer.headers["Allow"].split(", ")) >= {"GET", "POST"}
    page = client.delete(f"/festivals/{world.slug}")
    assert page.status_code == 405 and page.mimetype == "text/html" and "GET" in page.headers["Allow"]
