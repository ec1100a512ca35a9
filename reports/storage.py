"""Where a report's files live: in the database (app/files.py), one stored file per format.

The worker that builds a report may run on any machine, and any web node may serve the
download, so nothing is kept on one machine's disk: the writers work in a temporary
folder and the bytes are stored with the report's finishing commit. Files are kept
KEEP_FILES, then the schedule purges them (the report's figures stay; ask again for files).
"""
from datetime import timedelta

from app import files

MIME = {
    "csv": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
KEEP_FILES = timedelta(days=90)


def key(report_id, fmt):
    return f"report:{int(report_id)}:{fmt}"


def file_name(report, fmt):
    slug = report.festival.slug
    return {
        "csv": f"{slug}-report-{report.id}-csv.zip",
        "xlsx": f"{slug}-report-{report.id}.xlsx",
        "pdf": f"{slug}-report-{report.id}-{report.locale}.pdf",
    }[fmt]


def store(report, fmt, data):
    """Keep the bytes of one format (in the caller's transaction)."""
    return files.put(key(report.id, fmt), file_name(report, fmt), MIME[fmt], data, keep=KEEP_FILES)


def stored(report, fmt):
    """The stored file of a format this report has, or None (not built, or purged)."""
    if not (report.files or {}).get(fmt):
        return None
    return files.get(key(report.id, fmt))


def read(report, fmt):
    found = stored(report, fmt)
    return found.content if found is not None else None
