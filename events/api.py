"""JSON API for the programme: parse, call a service, commit, render."""
from flask import request
from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import CombinedMultiDict, FileStorage

from app.auth import current_principal, ensure_city, public, require_roles
from app.conditional import PRIVATE_REVALIDATE, PUBLIC_REVALIDATE, conditional
from app.database import db
from app.downloads import download
from app.errors import ErrorSchema, Invalid, NotFound, N_
from events import services
from events.importing import programme as programme_import
from events.programme_store import answer_response, takes_gzip
from events.importing import template as import_template
from events.schemas import (
    BoothFieldsSchema,
    BoothSchema,
    CitySchema,
    FestivalCreateSchema,
    FestivalFieldsSchema,
    FestivalQuerySchema,
    FestivalSchema,
    ImportRequestSchema,
    ImportResultSchema,
    ProgrammeQuerySchema,
    SessionCreateSchema,
    SessionPatchSchema,
    SessionSchema,
    VenuePatchSchema,
    VenueSchema,
    session_payload,
)


class MultipartParser(FlaskParser):
    """`files` reads the whole multipart body: the uploaded file and the form fields beside it."""

    def load_files(self, req, schema):
        return MultiDictProxy(CombinedMultiDict([req.files, req.form]), schema)


class EventsBlueprint(Blueprint):
    ARGUMENTS_PARSER = MultipartParser()


blp = EventsBlueprint("events_api", __name__, description="Cities, festivals, venues, sessions and booths")

BEARER = [{"bearerAuth": []}]


def _writer(description):
    """Document a write: bearer auth and the refusals it can answer."""

    def decorate(view):
        view = blp.doc(security=BEARER, description=description)(view)
        for status, text in ((401, "no or bad token"), (403, "another city's festival, or not an organiser"), (404, "not found")):
            view = blp.alt_response(status, schema=ErrorSchema, description=text)(view)
        return view

    return decorate


# --- cities -----------------------------------------------------------------


@blp.route("/cities", methods=["GET"])
@blp.response(200, CitySchema(many=True))
@public
def list_cities():
    """The learning cities of the network."""
    return services.list_cities()


@blp.route("/cities", methods=["POST"])
@_writer("Admins only.")
@require_roles("admin")
@blp.arguments(CitySchema)
@blp.response(201, CitySchema)
@blp.alt_response(409, schema=ErrorSchema, description="`duplicate`: the slug is taken")
def create_city(fields):
    """Add a city."""
    city = services.create_city(**fields)
    db.session.commit()
    return city


# --- festivals --------------------------------------------------------------


@blp.route("/festivals", methods=["GET"])
@blp.arguments(FestivalQuerySchema, location="query")
@blp.response(200, FestivalSchema(many=True))
@public
def list_festivals(query):
    """Published festivals (with a token: also the drafts of your city; every draft for an admin)."""
    return services.visible_festivals(query.get("city"), current_principal())


@blp.route("/festivals", methods=["POST"])
@_writer("An organiser of the festival's city, or an admin. A new festival is a draft.")
@require_roles("organiser")
@blp.arguments(FestivalCreateSchema)
@blp.response(201, FestivalSchema)
@blp.alt_response(409, schema=ErrorSchema, description="`duplicate`: the slug is taken")
def create_festival(fields):
    """Create a festival."""
    city = services.city_by_slug(fields.pop("city"))
    if city is None:
        raise Invalid("city", N_("No such city."), code="not_found")
    ensure_city(city.id)
    festival = services.create_festival(city.id, **fields)
    db.session.commit()
    return festival


@blp.route("/festivals/<slug>", methods=["GET"])
@blp.response(200, FestivalSchema)
@blp.alt_response(404, schema=ErrorSchema, description="no such festival, or a draft")
@public
def get_festival(slug):
    """One festival."""
    return services.festival_by_slug(slug, current_principal())


@blp.route("/festivals/<slug>", methods=["PATCH"])
@_writer("Publishing (`status: published`) announces the programme.")
@require_roles("organiser")
@blp.arguments(FestivalFieldsSchema)
@blp.response(200, FestivalSchema)
@blp.alt_response(409, schema=ErrorSchema, description="`duplicate`: the slug is taken")
def patch_festival(fields, slug):
    """Change a festival: dates, names, venue, status."""
    festival = services.festival_by_slug(slug, current_principal(), for_edit=True)
    services.update_festival(festival, **fields)
    db.session.commit()
    return festival


# --- venues -----------------------------------------------------------------


@blp.route("/festivals/<slug>/venues", methods=["GET"])
@blp.response(200, VenueSchema(many=True))
@public
def list_venues(slug):
    """Stages, rooms and zones."""
    return services.festival_by_slug(slug, current_principal()).venues


@blp.route("/festivals/<slug>/venues", methods=["POST"])
@_writer("An organiser of the festival's city.")
@require_roles("organiser")
@blp.arguments(VenueSchema)
@blp.response(201, VenueSchema)
@blp.alt_response(409, schema=ErrorSchema, description="`duplicate`: a venue has this name")
def create_venue(fields, slug):
    """Add a stage, room or zone."""
    festival = services.festival_by_slug(slug, current_principal(), for_edit=True)
    venue = services.create_venue(festival, **fields)
    db.session.commit()
    return venue


@blp.route("/venues/<int:venue_id>", methods=["GET"])
@blp.response(200, VenueSchema)
@blp.alt_response(404, schema=ErrorSchema)
@public
def get_venue(venue_id):
    """One venue."""
    return services.venue_by_id(venue_id, current_principal())


@blp.route("/venues/<int:venue_id>", methods=["PATCH"])
@_writer("Renaming a venue raises the SEQUENCE of its sessions in the calendar feeds.")
@require_roles("organiser")
@blp.arguments(VenuePatchSchema)
@blp.response(200, VenueSchema)
@blp.alt_response(409, schema=ErrorSchema, description="`duplicate`: a venue has this name")
def patch_venue(fields, venue_id):
    """Change a venue."""
    venue = services.venue_by_id(venue_id, current_principal(), for_edit=True)
    services.update_venue(venue, **fields)
    db.session.commit()
    return venue


# --- sessions ---------------------------------------------------------------


ETAG_HEADER = {"ETag": {"description": "the programme's version: send it back as If-None-Match", "schema": {"type": "string"}}}


@blp.route("/festivals/<slug>/sessions", methods=["GET"])
@blp.arguments(ProgrammeQuerySchema(), location="query")
@blp.response(200, SessionSchema(many=True), headers=ETAG_HEADER)
@blp.alt_response(304, description="unchanged since If-None-Match: no body")
@blp.alt_response(404, schema=ErrorSchema)
@public
def list_sessions(query, slug):
    """The programme, by start time then venue; cancelled sessions are included, marked `cancelled`.

    The answer carries an ETag; sent back as If-None-Match, it gets a 304 while nothing shown has changed.
    """
    # The festival comes with its version, in one statement: a kept answer needs nothing else.
    festival, versions = services.api_versions(slug, query)
    services.reachable(festival, current_principal(), for_edit=False)
    filters = {
        "day": query.get("day"), "kind": query.get("kind"), "theme": query.get("theme"),
        "age_group": query.get("age_group"), "venue_id": query.get("venue"),
    }
    # A draft is only for its organisers: no shared cache may keep it, and nobody stores it.
    cache = PUBLIC_REVALIDATE if festival.is_published else PRIVATE_REVALIDATE

    def answer():
        found = services.programme_answer(festival, filters, versions, session_payload, takes_gzip(request))
        return answer_response(found, "application/json")

    # The same validator for the gzipped and the plain answer: weak, as RFC 9110 allows for one content coded two ways.
    return conditional(versions[0], answer, cache, vary=("Accept-Encoding",))


@blp.route("/festivals/<slug>/sessions", methods=["POST"])
@_writer(
    "Times without an offset are read in the festival's zone. 422 codes: `outside_festival`, "
    "`ends_before_start`, `venue_not_in_festival`, `invalid_choice`, `required`; 409 `clash` names `session_id`."
)
@require_roles("organiser")
@blp.arguments(SessionCreateSchema)
@blp.response(201, SessionSchema)
@blp.alt_response(409, schema=ErrorSchema, description="`clash`: the venue is taken; `session_id` names the other session")
def create_session(fields, slug):
    """Add a session to the programme."""
    festival = services.festival_by_slug(slug, current_principal(), for_edit=True)
    session = services.create_session(festival, **fields)
    db.session.commit()
    return session


@blp.route("/sessions/<int:session_id>", methods=["GET"])
@blp.response(200, SessionSchema)
@blp.alt_response(404, schema=ErrorSchema)
@public
def get_session(session_id):
    """One session, with seats left and the waitlist's length."""
    return services.session_by_id(session_id, current_principal())


@blp.route("/sessions/<int:session_id>", methods=["PATCH"])
@_writer(
    "A move (time or venue) of a published session notifies booked visitors; `status: cancelled` cancels it "
    "and `status: scheduled` reinstates it."
)
@require_roles("organiser")
@blp.arguments(SessionPatchSchema)
@blp.response(200, SessionSchema)
@blp.alt_response(409, schema=ErrorSchema, description="`clash`: the venue is taken; `session_id` names the other session")
def patch_session(fields, session_id):
    """Change a session."""
    session = services.session_by_id(session_id, current_principal(), for_edit=True)
    services.update_session(session, **fields)
    db.session.commit()
    return session


@blp.route("/sessions/<int:session_id>", methods=["DELETE"])
@_writer("Only a session nobody booked: otherwise 409 `has_bookings` (cancel it instead).")
@require_roles("organiser")
@blp.response(204)
@blp.alt_response(409, schema=ErrorSchema, description="`has_bookings`: cancel the session instead")
def delete_session(session_id):
    """Delete a session."""
    session = services.session_by_id(session_id, current_principal(), for_edit=True)
    services.delete_session(session)
    db.session.commit()


# --- booths -----------------------------------------------------------------


@blp.route("/festivals/<slug>/booths", methods=["GET"])
@blp.response(200, BoothSchema(many=True))
@blp.alt_response(404, schema=ErrorSchema)
@public
def list_booths(slug):
    """Exhibitor booths."""
    return services.booths(services.festival_by_slug(slug, current_principal()))


@blp.route("/festivals/<slug>/booths", methods=["POST"])
@_writer("An organiser of the festival's city.")
@require_roles("organiser")
@blp.arguments(BoothFieldsSchema)
@blp.response(201, BoothSchema)
@blp.alt_response(409, schema=ErrorSchema, description="`duplicate`: the booth code is taken")
def create_booth(fields, slug):
    """Add a booth."""
    festival = services.festival_by_slug(slug, current_principal(), for_edit=True)
    booth = services.create_booth(festival, **fields)
    db.session.commit()
    return booth


@blp.route("/booths/<int:booth_id>", methods=["GET"])
@blp.response(200, BoothSchema)
@blp.alt_response(404, schema=ErrorSchema)
@public
def get_booth(booth_id):
    """One booth."""
    return services.booth_by_id(booth_id, current_principal())


@blp.route("/booths/<int:booth_id>", methods=["PATCH"])
@_writer("An organiser of the festival's city.")
@require_roles("organiser")
@blp.arguments(BoothFieldsSchema)
@blp.response(200, BoothSchema)
@blp.alt_response(409, schema=ErrorSchema, description="`duplicate`: the booth code is taken")
def patch_booth(fields, booth_id):
    """Change a booth."""
    booth = services.booth_by_id(booth_id, current_principal(), for_edit=True)
    services.update_booth(booth, **fields)
    db.session.commit()
    return booth


# --- programme import -------------------------------------------------------


@blp.route("/festivals/<slug>/import", methods=["POST"])
@_writer(
    "multipart/form-data: `file` (CSV or XLSX, header in row 1) and `dry_run`. A dry run answers 200 and lists "
    "every bad row in `errors` as {row, field, code, message}; a real run adds every row or none (201, or 422 "
    "`invalid_rows` with the same `errors` list). Files above 200 rows run as a job: 202 with `id` and "
    "`status_url`."
)
@require_roles("organiser")
@blp.arguments(ImportRequestSchema, location="files")
@blp.response(200, ImportResultSchema)
@blp.alt_response(201, schema=ImportResultSchema, description="applied")
@blp.alt_response(202, schema=ImportResultSchema, description="queued as a job: poll `status_url`")
@blp.alt_response(422, schema=ErrorSchema, description="`invalid_rows` (with `errors` by row), `bad_file`, `missing_columns`")
def import_programme(fields, slug):
    """Import sessions from a spreadsheet."""
    user = current_principal()
    festival = services.festival_by_slug(slug, user, for_edit=True)
    upload = fields["file"]
    if not isinstance(upload, FileStorage):
        raise Invalid("file", N_("Send the spreadsheet as a file."), code="required")
    summary, status = programme_import.import_file(
        festival, upload.filename, upload.read(), fields["dry_run"], user=user
    )
    if fields["dry_run"] and status == 200:
        db.session.rollback()
    else:
        db.session.commit()
    return {"festival": festival.slug, **summary}, status


@blp.route("/imports/<int:import_id>", methods=["GET"])
@_writer("An organiser of the festival's city.")
@require_roles("organiser")
@blp.response(200, ImportResultSchema)
def get_import(import_id):
    """A queued programme import: status, progress 0-100, errors by row."""
    job = programme_import.import_by_id(import_id)
    if job is None:
        raise NotFound("import")
    ensure_city(job.festival.city_id)
    return programme_import.import_status(job)


@blp.route("/import-template.xlsx", methods=["GET"])
@blp.response(200, description="The XLSX template, with notes in Thai and English", content_type=import_template.XLSX_TYPE)
@public
def template_xlsx():
    """The programme template as XLSX."""
    return download(import_template.template_xlsx(), "thetsakan-programme-template.xlsx", import_template.XLSX_TYPE)


@blp.route("/import-template.csv", methods=["GET"])
@blp.response(200, description="The CSV template (UTF-8); rows starting with # are notes", content_type="text/csv")
@public
def template_csv():
    """The programme template as CSV."""
    return download(import_template.template_csv(), "thetsakan-programme-template.csv", "text/csv")
