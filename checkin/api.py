"""JSON API: checkpoints, scans, offline uploads, the scanner bundle, posters and visitor visits.

Handlers parse, call a service, commit, render. Scanner phones authenticate with
`Authorization: Bearer <token>`: a staff user's token, or the token a paired
device received from POST /scanner-devices/pair.
"""
from flask import current_app, request
from flask_smorest import Blueprint
from sqlalchemy.exc import IntegrityError

from app.auth import current_principal, ensure_city, public, require_roles, visitor
from app.database import db
from app.downloads import download
from app.errors import DomainError, ErrorSchema, N_
from app.limits import by_caller, by_view_arg, rate_limit
from checkin import checkpoints as checkpoint_service
from checkin import devices, posters, scanning, stats, visits
from checkin.bundle import scanner_bundle
from checkin.checkpoints import SCANNING_ROLES, checkpoint_for
from checkin.presenters import batch_answer, checkpoint_answer, scan_answer
from checkin.schemas import (
    BatchIn, BatchOut, CheckinStatsOut, CheckpointIn, CheckpointOut, CheckpointPatch, DeviceOut, PairIn, PairingOut, ScanIn, ScanOut,
    ScannerFestivalsOut, VisitIn, VisitOut,
)
from events.services import find_festival
from registrations.services import pass_for_manage_token

blp = Blueprint("checkin_api", __name__, description="Checkpoints and scans")
BEARER = [{"bearerAuth": []}]


# Counted per phone (each paired phone has its own token) or per signed-in staff member:
# a venue's phones share its Wi-Fi, so an address would lock a whole gate out.
SCANS_PER_PHONE = "600/minute"  # a gate phone scans at most a few passes a second
UPLOADS_PER_PHONE = "120/minute"  # offline scans arrive in batches
VISITS_PER_PASS = "60/minute"  # a visitor's phone at the posters


def _festival_for(slug):
    festival = find_festival(slug)
    ensure_city(festival.city_id)
    return festival


@blp.route("/festivals/<slug>/checkpoints", methods=["GET"])
@require_roles("organiser", "staff")
@blp.doc(security=BEARER)
@blp.response(200, CheckpointOut(many=True))
def list_checkpoints(slug):
    """A festival's gates, session doors and booths (organisers and staff of its city)."""
    return [checkpoint_answer(c) for c in checkpoint_service.list_checkpoints(_festival_for(slug))]


@blp.route("/festivals/<slug>/checkpoints", methods=["POST"])
@require_roles("organiser")
@blp.doc(security=BEARER)
@blp.arguments(CheckpointIn)
@blp.response(201, CheckpointOut)
def create_checkpoint(data, slug):
    """A gate, a session door (session_id) or a booth (booth_id), with optional opening hours."""
    checkpoint = checkpoint_service.create_checkpoint(_festival_for(slug), **data)
    db.session.commit()
    return checkpoint_answer(checkpoint)


@blp.route("/checkpoints/<int:checkpoint_id>", methods=["GET"])
@require_roles("organiser", "staff")
@blp.doc(security=BEARER)
@blp.response(200, CheckpointOut)
def get_checkpoint(checkpoint_id):
    return checkpoint_answer(checkpoint_for(current_principal(), checkpoint_id))


@blp.route("/checkpoints/<int:checkpoint_id>", methods=["PATCH"])
@require_roles("organiser")
@blp.doc(security=BEARER)
@blp.arguments(CheckpointPatch)
@blp.response(200, CheckpointOut)
def patch_checkpoint(data, checkpoint_id):
    """Rename a checkpoint, change its opening hours, or whether a gate counts exits. Its kind and
    the session or booth it names do not change (scans recorded there keep their meaning)."""
    checkpoint = checkpoint_service.update_checkpoint(checkpoint_for(current_principal(), checkpoint_id), **data)
    db.session.commit()
    return checkpoint_answer(checkpoint)


# An instance, not the class: webargs makes a schema per request from a class, and a gate scan is
# the busiest request of a festival's day.
SCAN_IN = ScanIn()


@blp.route("/checkpoints/<int:checkpoint_id>/scans", methods=["POST"])
@require_roles(*SCANNING_ROLES)
@blp.doc(security=BEARER)
@blp.arguments(SCAN_IN)
@blp.response(200, ScanOut)
@rate_limit(SCANS_PER_PHONE, per=by_caller)
def scan(data, checkpoint_id):
    """One scan: admitted, already_admitted, not_booked, waitlisted, cancelled, wrong_festival, invalid or not_open."""
    user = current_principal()
    checkpoint = checkpoint_for(user, checkpoint_id)
    outcome = scanning.scan_code(checkpoint, data["code"], user=user, device_id=data["device_id"],
                                 scanned_at=data["scanned_at"], direction=data["direction"], local_id=data["local_id"])
    answer = scan_answer(outcome, checkpoint.festival)  # before the commit expires what it shows
    db.session.commit()
    return answer


@blp.route("/checkpoints/<int:checkpoint_id>/scans/batch", methods=["POST"])
@require_roles(*SCANNING_ROLES)
@blp.doc(security=BEARER)
@blp.arguments(BatchIn)
@blp.response(200, BatchOut)
@rate_limit(UPLOADS_PER_PHONE, per=by_caller)
def scan_batch(data, checkpoint_id):
    """Scans made offline. Idempotent per (device_id, local_id): sending again changes nothing.

    Where two scanners admitted one pass offline, the earliest scan is the admission
    and the later one is stored as already_admitted, whichever arrives first.
    """
    user = current_principal()
    checkpoint = checkpoint_for(user, checkpoint_id)
    try:
        answer = batch_answer(scanning.scan_batch(checkpoint, data["scans"], user=user, device_id=data["device_id"]),
                              checkpoint.festival)
        db.session.commit()
    except IntegrityError:
        # The same upload arrived twice at once and the other copy stored first: answer from what it stored.
        db.session.rollback()
        checkpoint = checkpoint_for(user, checkpoint_id)
        answer = batch_answer(scanning.scan_batch(checkpoint, data["scans"], user=user, device_id=data["device_id"]),
                              checkpoint.festival)
        db.session.commit()
    return answer


@blp.route("/festivals/<slug>/scanner-bundle", methods=["GET"])
@require_roles(*SCANNING_ROLES)
@blp.doc(security=BEARER)
@blp.doc(responses={"200": {"description": "keys, revocations, bookings per session, checkpoints; ETag"},
                    "304": {"description": "unchanged since If-None-Match"}})
def bundle(slug):
    """What a scanner needs to answer offline: public keys, revoked passes, bookings per session, checkpoints."""
    body, etag = scanner_bundle(_festival_for(slug))
    response = current_app.json.response(body)
    response.set_etag(etag)
    response.headers["Cache-Control"] = "private, no-cache"
    return response.make_conditional(request)


@blp.route("/festivals/<slug>/checkin-stats", methods=["GET"])
@require_roles("organiser", "city-team")
@blp.doc(security=BEARER)
@blp.alt_response(200, schema=CheckinStatsOut, description="live counters")
def checkin_stats(slug):
    """Live counters: admitted per checkpoint, inside now at gates, attendance against bookings per session."""
    return stats.checkin_stats(_festival_for(slug))


@blp.route("/checkpoints/<int:checkpoint_id>/poster", methods=["GET"])
@require_roles("organiser")
@blp.doc(security=BEARER)
@blp.doc(responses={"200": {"description": "A4 PDF", "content": {"application/pdf": {}}}})
@blp.alt_response(409, schema=ErrorSchema, description="`no_poster`: gates have no visitor poster")
def poster(checkpoint_id):
    """The printable A4 poster (Thai and English) that visitors scan with their phones."""
    checkpoint = checkpoint_for(current_principal(), checkpoint_id)
    pdf = posters.poster_pdf(checkpoint)
    return download(pdf, posters.poster_filename(checkpoint), "application/pdf", inline=True)


@blp.route("/checkpoints/<int:checkpoint_id>/poster/rotate", methods=["POST"])
@require_roles("organiser")
@blp.doc(security=BEARER)
@blp.response(200, CheckpointOut)
@blp.alt_response(409, schema=ErrorSchema, description="`no_poster`: gates have no visitor poster")
def rotate_poster(checkpoint_id):
    """A new poster code: every printed or photographed copy of the old one is refused (poster_retired)."""
    checkpoint = checkpoint_for(current_principal(), checkpoint_id)
    posters.poster_code(checkpoint)  # 409 no_poster for gates
    checkpoint_service.rotate_poster(checkpoint)
    db.session.commit()
    return checkpoint_answer(checkpoint)


@blp.route("/passes/<manage_token>/visits", methods=["POST"])
@blp.arguments(VisitIn)
@blp.response(200, VisitOut)
@blp.alt_response(403, schema=ErrorSchema, description="`self_checkin_off`: this festival checks visitors in at the door")
@blp.alt_response(404, schema=ErrorSchema, description="`not_found`: no such pass; `invalid_poster`: not one of our posters")
@blp.alt_response(410, schema=ErrorSchema, description="`poster_retired`: the poster was replaced")
@visitor
@rate_limit(VISITS_PER_PASS, per=by_view_arg("manage_token"))
def visit(data, manage_token):
    """A visitor's phone at a poster: a booth visit on the stamp card, or self check-in to a booked session."""
    pass_ = pass_for_manage_token(manage_token)
    outcome, checkpoint = visits.visit(pass_, data["poster_code"])
    card = visits.stamp_card(pass_)
    target = checkpoint.booth or checkpoint.session
    answer = scan_answer(outcome, checkpoint.festival)
    answer.update(
        kind=checkpoint.kind,
        place_th=getattr(target, "name_th", None) or getattr(target, "title_th", ""),
        place_en=getattr(target, "name_en", None) or getattr(target, "title_en", ""),
        stamps=card["count"],
        stamp_goal=card["goal"],
    )
    db.session.commit()
    return answer


@blp.route("/scanner-devices/pair", methods=["POST"])
@blp.arguments(PairIn)
@blp.response(201, DeviceOut)
@blp.alt_response(404, schema=ErrorSchema, description="`invalid_pairing`: not a pairing code, or one that no longer applies")
@blp.alt_response(409, schema=ErrorSchema, description="`pairing_used`: the code was used already")
@blp.alt_response(410, schema=ErrorSchema, description="`pairing_expired`: show a new code")
@public
def pair_device(data):
    """Pair a phone with a one-time code from the organiser console; answers the device's bearer token."""
    try:
        device, token, user, festival = devices.pair(data["pairing_code"], data["label"])
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise DomainError("pairing_used", N_("This pairing code was used already: show a new one."), status=409) from error
    return {"device_id": device.id, "token": token, "festival": festival.slug, "user": user.email, "role": user.role}


@blp.route("/festivals/<slug>/scanner-pairings", methods=["POST"])
@require_roles("organiser")
@blp.doc(security=BEARER)
@blp.alt_response(201, schema=PairingOut, description="a one-time pairing code")
def new_pairing(slug):
    """A one-time pairing code (and the /scan address to put in a QR) for the caller's own scanning."""
    festival = _festival_for(slug)
    code = devices.pairing_code(festival, current_principal())
    return {"pairing_code": code, "pairing_url": devices.pairing_url(code),
            "expires_in": devices.PAIRING_MAX_AGE}, 201


@blp.route("/scanner/festivals", methods=["GET"])
@require_roles(*SCANNING_ROLES)
@blp.doc(security=BEARER)
@blp.alt_response(200, schema=ScannerFestivalsOut, description="the festivals the caller may scan at")
def scanner_festivals():
    """The festivals the caller may scan at (their city's; an admin's: all)."""
    user = current_principal()
    return {
        "user": user.email,
        "role": user.role,
        "festivals": [
            {"slug": f.slug, "name_th": f.name_th, "name_en": f.name_en, "starts_on": f.starts_on.isoformat(),
             "ends_on": f.ends_on.isoformat(), "status": f.status}
            for f in checkpoint_service.festivals_to_scan(user)
        ],
    }
