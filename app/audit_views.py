"""The audit log, for the city's organisers (and admins, every city)."""
import marshmallow as ma
from flask import Blueprint, render_template, request
from flask_login import login_required
from flask_smorest import Blueprint as ApiBlueprint

from app.audit import entries_for_city
from app.auth import current_principal, require_roles

bp = Blueprint("audit", __name__)
blp = ApiBlueprint("audit_api", __name__, description="Audit log of organiser and admin actions")


class AuditEntrySchema(ma.Schema):
    id = ma.fields.Integer()
    at = ma.fields.DateTime()
    user_email = ma.fields.String()
    role = ma.fields.String()
    city_id = ma.fields.Integer(allow_none=True)
    action = ma.fields.String()
    entity = ma.fields.String()
    entity_id = ma.fields.Integer(allow_none=True)
    before = ma.fields.Dict(allow_none=True)
    after = ma.fields.Dict(allow_none=True)
    path = ma.fields.String()


class AuditQuerySchema(ma.Schema):
    before_id = ma.fields.Integer(load_default=None, validate=ma.validate.Range(min=1, max=2**31 - 1))
    limit = ma.fields.Integer(load_default=100, validate=ma.validate.Range(min=1, max=500))


def _scope(user):
    return None if user.is_admin else user.city_id


@blp.route("/audit", methods=["GET"])
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, AuditEntrySchema(many=True))
@blp.doc(security=[{"bearerAuth": []}])
@require_roles("organiser")
def audit_api(args):
    """Organiser and admin actions in the caller's city (admins: all cities), newest first."""
    return entries_for_city(_scope(current_principal()), limit=args["limit"], before_id=args["before_id"])


@bp.get("/organiser/audit")
@login_required
@require_roles("organiser")
def audit_page():
    before_id = request.args.get("before_id", type=int)
    entries = entries_for_city(_scope(current_principal()), limit=100, before_id=before_id)
    return render_template("audit.html", entries=entries)
