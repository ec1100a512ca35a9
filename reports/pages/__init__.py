"""Pages: a city team's festivals, one festival's reports (request, progress, files), and the network."""
from flask import flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.auth import current_principal, require_roles
from app.blueprints import pages_blueprint
from app.database import db
from app.errors import DomainError
from events.vocabulary import AGE_GROUPS, label
from reports import services
from reports.models import FORMATS, LOCALES
from reports.network import network_summary
from reports.presenters import page_report, summary_tiles
from reports.storage import MIME

bp = pages_blueprint("reports", __name__, static_url_path="/static/reports")


@bp.get("/reports/")
@login_required
@require_roles(*services.REPORT_ROLES)
def index():
    user = current_principal()
    festivals = services.festivals_for(user)
    latest = {festival.id: services.latest_finished(festival) for festival in festivals}
    return render_template("reports/index.html", festivals=festivals, latest=latest)


def _festival_page(festival, status=200, chosen=None):
    reports = services.reports_of(festival)
    latest = services.latest_finished(festival)
    return render_template(
        "reports/festival.html",
        festival=festival,
        reports=[page_report(report) for report in reports],
        tiles=summary_tiles(latest),
        latest=latest,
        formats=FORMATS,
        locales=LOCALES,
        chosen=chosen or {"formats": list(FORMATS), "locale": None},
    ), status


@bp.get("/reports/festivals/<slug>")
@login_required
@require_roles(*services.REPORT_ROLES)
def festival(slug):
    return _festival_page(services.festival_for_reports(slug, current_principal()))


@bp.post("/reports/festivals/<slug>")
@login_required
@require_roles(*services.REPORT_ROLES)
def request_report(slug):
    user = current_principal()
    festival_ = services.festival_for_reports(slug, user)
    formats = request.form.getlist("formats")
    locale = request.form.get("locale") or None
    try:
        report = services.request_report(festival_, user, formats=formats, locale=locale)
    except DomainError as error:
        db.session.rollback()
        flash(_("Choose at least one format.") if error.field == "formats" else error.message, "error")
        return _festival_page(festival_, 422, {"formats": formats, "locale": locale})
    db.session.commit()
    flash(_("Report no. %(id)s is being compiled. This page shows its progress.", id=report.id))
    return redirect(url_for("reports.festival", slug=slug, _anchor=f"report-{report.id}"))


@bp.get("/reports/<int:report_id>/status.json")
@login_required
@require_roles(*services.REPORT_ROLES)
def status(report_id):
    """What the progress script polls (session cookie, same origin)."""
    return jsonify(page_report(services.report_for(report_id, current_principal())))


@bp.get("/reports/<int:report_id>/files/<any(csv, xlsx, pdf):fmt>")
@login_required
@require_roles(*services.REPORT_ROLES)
def download(report_id, fmt):
    report = services.report_for(report_id, current_principal())
    path = services.downloadable(report, fmt)
    return send_file(path, mimetype=MIME[fmt], as_attachment=True, download_name=path.name)


@bp.get("/network")
@login_required
@require_roles()
def network():
    summary = network_summary()
    return render_template(
        "reports/network.html",
        summary=summary,
        cities={city["slug"]: city for city in summary["cities"]},
        age_groups=AGE_GROUPS,
        label=label,
    )
