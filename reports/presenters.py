"""Reports as pages show them: translated status, times in the festival's zone, file links, headline tiles."""
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.i18n import clock, current_locale, long_date
from reports.formats.cells import integer, percent
from reports.models import FORMATS

STATUS_LABELS = {
    "queued": _l("Waiting for a worker"),
    "started": _l("Being compiled"),
    "finished": _l("Ready"),
    "failed": _l("Failed"),
}
FORMAT_LABELS = {"csv": _l("CSV tables (zip)"), "xlsx": _l("Spreadsheet (XLSX)"), "pdf": _l("Printable report (PDF)")}
TRIGGER_LABELS = {"requested": _l("Requested"), "daily": _l("After the festival day")}


def _when(moment, festival):
    if moment is None:
        return ""
    return f"{long_date(moment.astimezone(festival.zone))} {clock(moment, festival.timezone)}"


def page_report(report):
    festival = report.festival
    files = []
    if report.status == "finished":
        files = [
            {"format": fmt, "label": str(FORMAT_LABELS[fmt]),
             "url": url_for("reports.download", report_id=report.id, fmt=fmt)}
            for fmt in FORMATS
            if fmt in (report.files or {})
        ]
    return {
        "id": report.id,
        "status": report.status,
        "status_label": str(STATUS_LABELS.get(report.status, report.status)),
        "progress": report.progress,
        "trigger": str(TRIGGER_LABELS.get(report.trigger, report.trigger)),
        "day": long_date(report.scheduled_for) if report.scheduled_for else "",
        "locale": report.locale,
        "created": _when(report.created_at, festival),
        "compiled": _when(report.compiled_at, festival),
        "scans": integer(report.scans) if report.scans is not None else "",
        "compiled_text": _("Compiled %(when)s from %(scans)s scans.", when=_when(report.compiled_at, festival),
                           scans=integer(report.scans)) if report.compiled_at else "",
        "files": files,
        "error": report.error or "",
        "done": report.status in ("finished", "failed"),
        "status_url": url_for("reports.status", report_id=report.id),
    }


def summary_tiles(report):
    """The headline figures of a finished report, for the festival's page."""
    if report is None or not report.summary:
        return []
    s = report.summary
    locale = current_locale()
    return [
        (integer(s.get("people")), _("people signed up"), _("on %(n)s passes", n=integer(s.get("passes")))),
        (integer(s.get("visitor_people")), _("people came through the gates"),
         _("%(n)s unique passes", n=integer(s.get("visitors")))),
        (percent(s.get("no_show_rate"), locale), _("no-show rate"),
         _("%(n)s passes never came", n=integer(s.get("no_show_passes")))),
        (integer(s.get("sessions_held")), _("sessions held"),
         _("%(n)s people attended", n=integer(s.get("session_attended_people")))),
        (integer(s.get("booth_visits")), _("booth visits"), _("by %(n)s passes", n=integer(s.get("booth_visitors")))),
        (integer(s.get("returning_visitors")), _("returning visitors"),
         _("%(p)s of those admitted", p=percent(s.get("returning_share"), locale))),
    ]
