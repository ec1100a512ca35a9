"""Build one report: compile the figures in a snapshot, write the files, record progress on the way.

A build owns its transactions: the status and progress are committed as it goes
(on their own short transactions), so that the page polling the report sees them
while the figures are read on another connection. Running it again for a
finished report whose files exist does nothing.
"""
import logging
import os
import tempfile
from pathlib import Path

import sqlalchemy as sa
from flask_babel import force_locale

from app.database import db, now_utc
from app.outbox import emit
from reports.compile import compile_figures
from reports.formats.csv_zip import write_csv_zip
from reports.formats.pdf import write_pdf
from reports.formats.xlsx import write_xlsx
from reports.models import FAILED, FINISHED, STARTED, Report
from reports.storage import file_name, store, stored

log = logging.getLogger(__name__)

# Where the progress bar stands after each part (compiling the figures takes it to COMPILED).
COMPILED = 60
WRITERS = (("csv", 70), ("xlsx", 82), ("pdf", 97))


def _update(report_id, **values):
    """Write status or progress at once, on a connection of its own, committed."""
    with db.engine.begin() as conn:
        conn.execute(sa.update(Report).where(Report.id == report_id).values(**values))


def _write(fmt, figures, path, report):
    temporary = path.with_name(path.name + ".part")
    if fmt == "csv":
        write_csv_zip(figures, report.id, temporary)
    elif fmt == "xlsx":
        write_xlsx(figures, temporary, report.locale)
    else:
        write_pdf(figures, temporary, report.locale, report.id)
    os.replace(temporary, path)  # a file is either whole or absent


def _finished(report):
    return report.status == FINISHED and all(stored(report, fmt) for fmt in report.formats)


def build_report(report_id, progress=None):
    """Build report `report_id`; progress(percent) is called as parts finish. Returns the report, or None if gone."""
    report = db.session.get(Report, report_id)
    if report is None:
        return None
    if _finished(report):
        return report

    def step(percent):
        _update(report_id, progress=percent)
        if progress is not None:
            progress(percent)

    _update(report_id, status=STARTED, started_at=now_utc(), progress=1, error=None)
    try:
        figures = compile_figures(report.festival_id, step, start=2, end=COMPILED)
        files, written = {}, {}
        # The writers want paths: a folder of this process's own, gone once the bytes are read.
        with tempfile.TemporaryDirectory(prefix=f"report-{report.id}-") as directory, force_locale(report.locale):
            for fmt, percent in WRITERS:
                if fmt in report.formats:
                    name = file_name(report, fmt)
                    path = Path(directory) / name
                    _write(fmt, figures, path, report)
                    files[fmt], written[fmt] = name, path.read_bytes()
                    step(percent)
    except Exception as error:
        db.session.rollback()
        log.exception("report %s failed", report_id)
        _update(report_id, status=FAILED, error=f"{type(error).__name__}: {error}"[:2000], finished_at=now_utc())
        raise
    db.session.expire(report)
    # The files and the finished status in one commit: a report is finished with its files or not at all.
    for fmt, data in written.items():
        store(report, fmt, data)
    report.files = files
    report.scans = figures.scans
    report.summary = figures.summary
    report.compiled_at = figures.compiled_at
    report.status = FINISHED
    report.progress = 100
    report.finished_at = now_utc()
    # In the same transaction as the status: partners hear of a finished report only once it is.
    emit("report.finished", report_id=report.id, festival_id=report.festival_id)
    db.session.commit()
    if progress is not None:
        progress(100)
    return report
