"""/admin/jobs: the queues, failed jobs (retry one or all), the outbox backlog and uncertain mails."""
from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required
from rq import Queue, Worker
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry

from app import relay
from app.auth import require_roles
from app.queues import QUEUES
from app.redis_conn import connection
from mail.services import ledger

bp = Blueprint("admin", __name__, url_prefix="/admin/jobs")

FAILED_SHOWN = 50


def error_of(job):
    result = job.latest_result()
    text = (result.exc_string if result is not None else None) or getattr(job, "_exc_info", None) or ""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return (lines[-1] if lines else ""), text


def queue_figures(conn):
    figures = []
    for name in QUEUES:
        queue = Queue(name, connection=conn)
        figures.append(
            {
                "name": name,
                "queued": queue.count,
                "started": queue.started_job_registry.count,
                "scheduled": queue.scheduled_job_registry.count,
                "failed": queue.failed_job_registry.count,
            }
        )
    return figures


def failed_jobs(conn):
    jobs = []
    for name in QUEUES:
        registry = FailedJobRegistry(name, connection=conn)
        ids = registry.get_job_ids(0, FAILED_SHOWN - 1)
        for job in Job.fetch_many(ids, connection=conn):
            if job is None:
                continue
            summary, trace = error_of(job)
            jobs.append(
                {
                    "id": job.id,
                    "queue": name,
                    "func": job.func_name,
                    "description": job.description,
                    "ended_at": job.ended_at,
                    "error": summary,
                    "trace": trace,
                }
            )
    jobs.sort(key=lambda job: job["ended_at"] or 0, reverse=True)
    return jobs


@bp.get("")
@login_required
@require_roles("admin")
def jobs():
    conn = connection()
    pending, oldest = relay.backlog()
    return render_template(
        "workers/jobs.html",
        queues=queue_figures(conn),
        failed=failed_jobs(conn),
        workers=Worker.count(connection=conn),
        backlog=pending,
        oldest=oldest,
        uncertain=ledger.uncertain(),
    )


@bp.post("/failed/<queue_name>/<job_id>/retry")
@login_required
@require_roles("admin")
def retry(queue_name, job_id):
    if queue_name not in QUEUES:
        return redirect(url_for(".jobs"))
    try:
        FailedJobRegistry(queue_name, connection=connection()).requeue(job_id)
        flash(_("Job %(id)s is queued again.", id=job_id), "success")
    except (NoSuchJobError, InvalidJobOperation):
        flash(_("Job %(id)s is no longer in the failed list.", id=job_id), "error")
    return redirect(url_for(".jobs"))


@bp.post("/failed/retry-all")
@login_required
@require_roles("admin")
def retry_all():
    conn = connection()
    count = 0
    for name in QUEUES:
        registry = FailedJobRegistry(name, connection=conn)
        for job_id in registry.get_job_ids():
            try:
                registry.requeue(job_id)
                count += 1
            except (NoSuchJobError, InvalidJobOperation):
                continue
    flash(_("%(count)s failed jobs are queued again.", count=count), "success")
    return redirect(url_for(".jobs"))


@bp.post("/outbox/sweep")
@login_required
@require_roles("admin")
def sweep():
    count = relay.sweep(older_than=timedelta(0))
    flash(_("%(count)s outbox messages handed over.", count=count), "success")
    return redirect(url_for(".jobs"))
