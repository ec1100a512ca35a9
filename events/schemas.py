"""marshmallow schemas of the programme API: types in, plain values to the services, CONTRACT.md fields out.

Input schemas check types and vocabularies (so the OpenAPI document names the
allowed words); the rules between fields (dates in order, clashes, venues of the
same festival) live in the services. Times go out as ISO 8601 with the offset of
the festival's zone; times coming in without an offset are read in that zone.
"""
import marshmallow as ma
from marshmallow import fields, validate
from flask_smorest.fields import Upload

from events.models import DEFAULT_SIGNUPS_PER_HOUR, MAX_SIGNUPS_PER_HOUR
from events.validation import MAX_CAPACITY, MAX_INT
from events.vocabulary import (
    AGE_GROUPS,
    FESTIVAL_STATUSES,
    LANGUAGES,
    SESSION_KINDS,
    SESSION_STATUSES,
    THEMES,
    VENUE_KINDS,
)

SLUG = validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", error="Use lowercase letters, digits and single hyphens.")
ID = validate.Range(min=1, max=MAX_INT)


def _local(attribute):
    def render(obj):
        value = getattr(obj, attribute)
        return value.astimezone(obj.festival.zone).isoformat() if value is not None else None

    return render


class StrictSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE
        ordered = True


# --- cities -----------------------------------------------------------------


class CitySchema(StrictSchema):
    id = fields.Integer(dump_only=True)
    slug = fields.String(required=True, validate=[validate.Length(max=60), SLUG])
    name_th = fields.String(required=True, validate=validate.Length(max=200))
    name_en = fields.String(required=True, validate=validate.Length(max=200))
    province_th = fields.String(load_default="", validate=validate.Length(max=200))
    province_en = fields.String(load_default="", validate=validate.Length(max=200))
    member_since = fields.Integer(allow_none=True, load_default=None, metadata={"description": "GNLC membership year (CE)"})
    unit = fields.String(load_default="", validate=validate.Length(max=60), metadata={"description": "city municipality, province, ..."})


# --- festivals --------------------------------------------------------------


class FestivalFieldsSchema(StrictSchema):
    slug = fields.String(validate=[validate.Length(max=80), SLUG], metadata={"description": "default: from name_en and the year"})
    name_th = fields.String(validate=validate.Length(max=300))
    name_en = fields.String(validate=validate.Length(max=300))
    description_th = fields.String(validate=validate.Length(max=20_000))
    description_en = fields.String(validate=validate.Length(max=20_000))
    starts_on = fields.Date()
    ends_on = fields.Date()
    timezone = fields.String(validate=validate.Length(max=64), metadata={"description": "IANA zone, default Asia/Bangkok"})
    venue_th = fields.String(validate=validate.Length(max=300))
    venue_en = fields.String(validate=validate.Length(max=300))
    address = fields.String(validate=validate.Length(max=500))
    status = fields.String(validate=validate.OneOf(FESTIVAL_STATUSES), metadata={"description": "a new festival is a draft"})
    stamp_goal = fields.Integer(validate=validate.Range(min=0, max=1000))
    allow_walk_ins = fields.Boolean()
    allow_self_checkin = fields.Boolean()
    signups_per_hour = fields.Integer(
        validate=validate.Range(min=1, max=MAX_SIGNUPS_PER_HOUR),
        metadata={"description": "new passes the festival takes in an hour before sign-ups are refused "
                                 f"(429 rate_limited): a ceiling against scripts; default {DEFAULT_SIGNUPS_PER_HOUR}"},
    )


class FestivalCreateSchema(FestivalFieldsSchema):
    city = fields.String(required=True, validate=[validate.Length(max=60), SLUG], metadata={"description": "the city's slug"})
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)


class FestivalSchema(StrictSchema):
    id = fields.Integer()
    slug = fields.String()
    city = fields.Function(lambda f: f.city.slug, metadata={"description": "the city's slug"})
    city_name_th = fields.Function(lambda f: f.city.name_th)
    city_name_en = fields.Function(lambda f: f.city.name_en)
    name_th = fields.String()
    name_en = fields.String()
    description_th = fields.String()
    description_en = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    timezone = fields.String()
    venue_th = fields.String()
    venue_en = fields.String()
    address = fields.String()
    status = fields.String(metadata={"enum": list(FESTIVAL_STATUSES)})
    stamp_goal = fields.Integer()
    allow_walk_ins = fields.Boolean()
    allow_self_checkin = fields.Boolean()
    signups_per_hour = fields.Integer()


class FestivalQuerySchema(StrictSchema):
    city = fields.String(validate=validate.Length(max=80), metadata={"description": "a city's slug"})


# --- venues -----------------------------------------------------------------


class VenueSchema(StrictSchema):
    id = fields.Integer(dump_only=True)
    name_th = fields.String(load_default="", validate=validate.Length(max=200))
    name_en = fields.String(load_default="", validate=validate.Length(max=200))
    kind = fields.String(required=True, validate=validate.OneOf(VENUE_KINDS))
    capacity = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=0, max=MAX_CAPACITY))
    sort_order = fields.Integer(load_default=0, validate=validate.Range(min=-10_000, max=10_000))


class VenuePatchSchema(StrictSchema):
    name_th = fields.String(validate=validate.Length(max=200))
    name_en = fields.String(validate=validate.Length(max=200))
    kind = fields.String(validate=validate.OneOf(VENUE_KINDS))
    capacity = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=MAX_CAPACITY))
    sort_order = fields.Integer(validate=validate.Range(min=-10_000, max=10_000))


class VenueBriefSchema(ma.Schema):
    id = fields.Integer()
    name_th = fields.String()
    name_en = fields.String()
    kind = fields.String()


# --- sessions ---------------------------------------------------------------


ADULT_TAKES_SEAT = (
    "a children's workshop (for children, not adults): whether one accompanying adult of each booking "
    "takes a seat; default false (docs/booking-rules.md)"
)


class SessionFieldsSchema(StrictSchema):
    title_th = fields.String(validate=validate.Length(max=300))
    title_en = fields.String(validate=validate.Length(max=300))
    description_th = fields.String(validate=validate.Length(max=20_000))
    description_en = fields.String(validate=validate.Length(max=20_000))
    kind = fields.String(validate=validate.OneOf(SESSION_KINDS))
    venue_id = fields.Integer(allow_none=True, validate=ID)
    starts_at = fields.DateTime(metadata={"description": "ISO 8601; without an offset, read in the festival's zone"})
    ends_at = fields.DateTime()
    capacity = fields.Integer(
        allow_none=True, validate=validate.Range(min=0, max=MAX_CAPACITY), metadata={"description": "null: open to all, no booking"}
    )
    themes = fields.List(fields.String(validate=validate.OneOf(THEMES)), validate=validate.Length(max=len(THEMES)))
    age_groups = fields.List(fields.String(validate=validate.OneOf(AGE_GROUPS)), validate=validate.Length(max=len(AGE_GROUPS)))
    adult_takes_seat = fields.Boolean(metadata={"description": ADULT_TAKES_SEAT})
    hosts = fields.List(fields.String(validate=validate.Length(max=200)), validate=validate.Length(max=30))
    language = fields.String(validate=validate.OneOf(LANGUAGES))


class SessionCreateSchema(SessionFieldsSchema):
    kind = fields.String(required=True, validate=validate.OneOf(SESSION_KINDS))
    starts_at = fields.DateTime(required=True, metadata={"description": "ISO 8601; without an offset, read in the festival's zone"})
    ends_at = fields.DateTime(required=True)


class SessionPatchSchema(SessionFieldsSchema):
    status = fields.String(
        validate=validate.OneOf(SESSION_STATUSES), metadata={"description": "`cancelled` cancels; `scheduled` reinstates"}
    )


class SessionSchema(ma.Schema):
    class Meta:
        ordered = True

    id = fields.Integer()
    festival = fields.Function(lambda s: s.festival.slug, metadata={"description": "the festival's slug"})
    title_th = fields.String()
    title_en = fields.String()
    description_th = fields.String()
    description_en = fields.String()
    kind = fields.String(metadata={"enum": list(SESSION_KINDS)})
    venue_id = fields.Integer(allow_none=True)
    venue = fields.Nested(VenueBriefSchema, allow_none=True)
    starts_at = fields.Function(_local("starts_at"), metadata={"format": "date-time"})
    ends_at = fields.Function(_local("ends_at"), metadata={"format": "date-time"})
    capacity = fields.Integer(allow_none=True)
    seats_left = fields.Integer(allow_none=True, metadata={"description": "null when the session needs no booking"})
    waitlist_length = fields.Integer()
    themes = fields.List(fields.String())
    age_groups = fields.List(fields.String(), metadata={"description": "who the seats are for; empty: everyone"})
    adult_takes_seat = fields.Boolean(metadata={"description": ADULT_TAKES_SEAT})
    hosts = fields.List(fields.String())
    language = fields.String()
    status = fields.String(metadata={"enum": list(SESSION_STATUSES)})
    sequence = fields.Integer(metadata={"description": "raised on every change visitors can see (iCalendar SEQUENCE)"})


class ProgrammeQuerySchema(StrictSchema):
    day = fields.Date(metadata={"description": "a festival day, YYYY-MM-DD (in the festival's zone)"})
    kind = fields.String(validate=validate.OneOf(SESSION_KINDS))
    theme = fields.String(validate=validate.OneOf(THEMES))
    age_group = fields.String(validate=validate.OneOf(AGE_GROUPS))
    venue = fields.Integer(validate=ID, metadata={"description": "a venue id"})


# --- booths -----------------------------------------------------------------


class BoothFieldsSchema(StrictSchema):
    code = fields.String(validate=validate.Length(max=20), metadata={"description": "the number on the map, e.g. A12"})
    name_th = fields.String(validate=validate.Length(max=300))
    name_en = fields.String(validate=validate.Length(max=300))
    exhibitor = fields.String(validate=validate.Length(max=300))
    description_th = fields.String(validate=validate.Length(max=20_000))
    description_en = fields.String(validate=validate.Length(max=20_000))
    themes = fields.List(fields.String(validate=validate.OneOf(THEMES)), validate=validate.Length(max=len(THEMES)))
    age_groups = fields.List(fields.String(validate=validate.OneOf(AGE_GROUPS)), validate=validate.Length(max=len(AGE_GROUPS)))
    venue_id = fields.Integer(allow_none=True, validate=ID)


class BoothSchema(BoothFieldsSchema):
    id = fields.Integer(dump_only=True)
    festival = fields.Function(lambda b: b.festival.slug, dump_only=True)


# --- programme import -------------------------------------------------------


class ImportRequestSchema(StrictSchema):
    file = Upload(required=True, metadata={"description": "a CSV (UTF-8 or Windows-874) or XLSX file"})
    dry_run = fields.Boolean(load_default=False, metadata={"description": "true: check only, store nothing"})


class ImportErrorSchema(ma.Schema):
    row = fields.Integer(metadata={"description": "as the spreadsheet shows it; the header is row 1"})
    field = fields.String()
    code = fields.String()
    message = fields.String()
    session_id = fields.Integer(metadata={"description": "a clash: the session already in the programme"})
    other_row = fields.Integer(metadata={"description": "a clash: the earlier row of this file"})


class ImportResultSchema(ma.Schema):
    class Meta:
        ordered = True

    id = fields.Integer(metadata={"description": "set when the file runs as a job (202)"})
    festival = fields.String()
    status = fields.String(metadata={"enum": ["queued", "started", "finished", "failed"]})
    progress = fields.Integer(metadata={"description": "0-100"})
    status_url = fields.String()
    dry_run = fields.Boolean()
    ok = fields.Boolean(metadata={"description": "no row has an error"})
    total_rows = fields.Integer()
    created_sessions = fields.Integer()
    created_venues = fields.Integer()
    new_venues = fields.List(fields.String(), metadata={"description": "venues the import creates"})
    errors = fields.List(fields.Nested(ImportErrorSchema))
    ignored_columns = fields.List(fields.String(), metadata={"description": "headers that name no column"})
    message = fields.String()


def session_payload(session):
    """SessionSchema's output without marshmallow: a 1,000-session programme in a fraction of the time.

    tests/events/test_api_sessions.py checks that both give the same dictionary.
    """
    festival, venue = session.festival, session.venue
    zone = festival.zone
    return {
        "id": session.id,
        "festival": festival.slug,
        "title_th": session.title_th,
        "title_en": session.title_en,
        "description_th": session.description_th,
        "description_en": session.description_en,
        "kind": session.kind,
        "venue_id": session.venue_id,
        "venue": None if venue is None else {"id": venue.id, "name_th": venue.name_th, "name_en": venue.name_en, "kind": venue.kind},
        "starts_at": session.starts_at.astimezone(zone).isoformat(),
        "ends_at": session.ends_at.astimezone(zone).isoformat(),
        "capacity": session.capacity,
        "seats_left": session.seats_left,
        "waitlist_length": session.waitlist_length,
        "themes": list(session.themes or []),
        "age_groups": list(session.age_groups or []),
        "adult_takes_seat": session.adult_takes_seat,
        "hosts": list(session.hosts or []),
        "language": session.language,
        "status": session.status,
        "sequence": session.sequence,
    }
