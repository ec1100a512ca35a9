"""Pages: the staff scanner (/scan), what a visitor's phone opens at a poster (/p/...), the stamp
card fragment of a pass page, and the organiser's checkpoints console (checkin/pages/console.py)."""
from flask import jsonify, render_template, request
from flask_login import login_required

from app.auth import current_principal, public, signed_in, visitor
from app.blueprints import pages_blueprint
from app.conditional import no_store
from app.database import db
from app.errors import DomainError
from checkin import devices
from checkin.checkpoints import festivals_to_scan, may_scan
from checkin.models import BOOTH
from checkin.pages import console
from checkin.posters import checkpoint_for_poster
from checkin.visits import stamp_card
from events.services import find_festival
from registrations.services import pass_for_manage_token

bp = pages_blueprint("checkin", __name__, static_url_path="/static/checkin")

console.register(bp)


@bp.get("/scan")
@public
def scanner():
    """The scanner page. It works signed in (it asks for a device token once) or paired by a QR."""
    user = current_principal()
    festivals = festivals_to_scan(user) if user is not None and user.role in ("admin", "organiser", "staff") else []
    return render_template("checkin/scan.html", user=user, festivals=festivals)


@bp.post("/scan/device")
@login_required
@signed_in
def signed_in_device():
    """A device token for the signed-in user's phone (CSRF-checked: X-CSRFToken header)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):  # a list, a string or null is no request for a device
        body = {}
    festival = find_festival(str(body.get("festival") or ""))
    user = current_principal()
    if not may_scan(user, festival):
        raise DomainError("forbidden", "You may not scan at this festival.", status=403)
    device, token, user, festival = devices.device_for_signed_in(festival, user, str(body.get("label") or "")[:100])
    db.session.commit()
    return jsonify(device_id=device.id, token=token, festival=festival.slug, user=user.email, role=user.role), 201


@bp.get("/p/<poster_code>")
@public
@no_store  # it shows (and records) this phone's own pass at the poster
def poster_visit(poster_code):
    """A visitor's phone opened a poster's QR: the page finds their pass and records the visit."""
    try:
        checkpoint = checkpoint_for_poster(poster_code)
    except DomainError as error:
        return render_template("checkin/poster_visit.html", refusal=error, checkpoint=None), error.status
    target = checkpoint.booth if checkpoint.kind == BOOTH else checkpoint.session
    return render_template("checkin/poster_visit.html", refusal=None, checkpoint=checkpoint, target=target,
                           festival=checkpoint.festival, poster_code=poster_code)


@bp.get("/passes/<manage_token>/stamp-card")
@visitor
def stamp_card_fragment(manage_token):
    """The stamp card panel that the pass page loads into <section data-fragment=...>."""
    pass_ = pass_for_manage_token(manage_token)
    return render_template("checkin/stamp_card.html", card=stamp_card(pass_), festival=pass_.festival)
