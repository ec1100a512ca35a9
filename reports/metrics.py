"""Figures for operators (app/metrics.py): how long reports took to build, and how many wait or failed.

Read from the reports table on each scrape, so the figure is the same whichever worker
built the report and whichever web node is asked.
"""
import sqlalchemy as sa
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily

from app import metrics
from app.database import db
from reports.models import FINISHED, STATUSES, Report

BUCKETS = (5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)


@metrics.add_collector
def report_metrics():
    statuses = GaugeMetricFamily("thetsakan_reports", "Reports by status (queued, started, finished, failed).",
                                 labels=["status"])
    counts = dict(db.session.execute(sa.select(Report.status, sa.func.count()).group_by(Report.status)).all())
    for status in STATUSES:
        statuses.add_metric([status], counts.get(status, 0))
    rows = db.session.execute(
        sa.select(Report.started_at, Report.finished_at).where(
            Report.status == FINISHED, Report.started_at.is_not(None), Report.finished_at.is_not(None)
        )
    ).all()
    seconds = [max(0.0, (finished - started).total_seconds()) for started, finished in rows]
    buckets = [(str(bound), sum(1 for s in seconds if s <= bound)) for bound in BUCKETS]
    buckets.append(("+Inf", len(seconds)))
    build = HistogramMetricFamily("thetsakan_report_build_seconds", "Time from a report's start to its files, finished reports.")
    build.add_metric([], buckets, sum_value=sum(seconds))
    return [statuses, build]
