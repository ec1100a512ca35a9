"""JSON API: attendance reports and the network summary (parse, call a service, commit, render)."""
from flask_smorest import Blueprint

from app import files
from app.auth import current_principal, require_roles
from app.database import db
from app.errors import ErrorSchema
from reports import services
from reports.network import network_summary
from reports.schemas import NetworkSummarySchema, ReportRequestSchema, ReportSchema

blp = Blueprint("reports_api", __name__, description="Attendance reports")

BEARER = [{"bearerAuth": []}]


def _guarded(description):
    def decorate(view):
        view = blp.doc(security=BEARER, description=description)(view)
        for status, text in (
            (401, "no or bad token"),
            (403, "another city's festival, or not an organiser, city team or admin"),
            (404, "not found"),
        ):
            view = blp.alt_response(status, schema=ErrorSchema, description=text)(view)
        return view

    return decorate


@blp.route("/festivals/<slug>/reports", methods=["POST"])
@_guarded("Organisers and the city team of the festival's city, and admins. A worker compiles the report.")
@require_roles(*services.REPORT_ROLES)
@blp.arguments(ReportRequestSchema, required=False)  # no body at all means {}
@blp.response(202, ReportSchema)
def request_report(fields, slug):
    """Ask for an attendance report: `{}` for every format, or `formats` and `locale`."""
    user = current_principal()
    festival = services.festival_for_reports(slug, user)
    report = services.request_report(festival, user, formats=fields.get("formats"), locale=fields.get("locale"))
    db.session.commit()
    return report


@blp.route("/festivals/<slug>/reports", methods=["GET"])
@_guarded("The festival's reports, newest first (requested and daily).")
@require_roles(*services.REPORT_ROLES)
@blp.response(200, ReportSchema(many=True))
def list_reports(slug):
    """Earlier reports of a festival."""
    return services.reports_of(services.festival_for_reports(slug, current_principal()))


@blp.route("/reports/<int:report_id>", methods=["GET"])
@_guarded("Status, progress (0-100) and, once finished, the file URLs.")
@require_roles(*services.REPORT_ROLES)
@blp.response(200, ReportSchema)
def get_report(report_id):
    """One report."""
    return services.report_for(report_id, current_principal())


@blp.route("/reports/<int:report_id>/files/<any(csv, xlsx, pdf):fmt>", methods=["GET"])
@_guarded("The CSV zip, the XLSX workbook or the PDF of a finished report.")
@require_roles(*services.REPORT_ROLES)
@blp.response(200, description="the file", content_type="application/octet-stream")
def download(report_id, fmt):
    """Download a report file."""
    report = services.report_for(report_id, current_principal())
    return files.send(services.downloadable(report, fmt))


@blp.route("/network/summary", methods=["GET"])
@_guarded("Admins: every city's festivals side by side.")
@require_roles()
@blp.response(200, NetworkSummarySchema)
def summary():
    """The network at a glance."""
    return network_summary()

