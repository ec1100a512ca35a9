"""Report jobs: build one report (report.requested), and compile reports after each festival day.

Thin on purpose: they load by id and call reports/, which does the work, records
progress and is safe to run twice (a finished report with its files is left alone).
"""
import logging

from rq import get_current_job

from app.database import db
from reports.build import build_report as build
from reports.services import schedule_daily_reports

log = logging.getLogger(__name__)


def build_report(report_id):
    """RQ job for `report.requested {report_id}`; progress also goes to the job's meta."""
    job = get_current_job()

    def progress(percent):
        if job is not None:
            job.meta["progress"] = percent
            job.save_meta()

    report = build(report_id, progress=progress)
    if report is None:
        log.info("report %s is gone; nothing to build", report_id)
        return None
    return {"report_id": report.id, "status": report.status, "files": sorted(report.files)}


def compile_daily_reports():
    """Recurring (workers/schedule.py): queue a report for each festival whose day just ended.

    Each new report emits report.requested, so dispatch builds it like any other.
    """
    created = schedule_daily_reports()
    db.session.commit()
    return [report.id for report in created]
