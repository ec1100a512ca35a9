"""Where a report's files live: instance/reports/<id>/, one file per format."""
from pathlib import Path

from flask import current_app

MIME = {
    "csv": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def report_dir(report_id):
    return Path(current_app.config["INSTANCE_DIR"]) / "reports" / str(int(report_id))


def file_name(report, fmt):
    slug = report.festival.slug
    return {
        "csv": f"{slug}-report-{report.id}-csv.zip",
        "xlsx": f"{slug}-report-{report.id}.xlsx",
        "pdf": f"{slug}-report-{report.id}-{report.locale}.pdf",
    }[fmt]


def stored_path(report, fmt):
    """The file of a format this report has, or None (not built, or gone from the disk)."""
    name = (report.files or {}).get(fmt)
    if not name:
        return None
    path = report_dir(report.id) / name
    return path if path.is_file() else None
