"""A report compiled by a real RQ worker against a real Redis, from the outbox message to the files."""
from rq import Queue
from rq.job import Job

from app import relay
from app.database import db
from app.queues import REPORTS, make_worker
from app.redis_conn import connection
from reports.models import Report
from reports.storage import stored
from tests.conftest import bearer
from workers.jobs.reports import build_report as build_report_job


def test_a_requested_report_is_built_by_the_worker(app, client, seed, people):
    answer = client.post(f"/api/v1/festivals/{seed.slug}/reports", json={}, headers=bearer(people.organiser[1]))
    report_id = answer.get_json()["id"]
    # The commit handed report.requested to RQ; dispatch turns it into the build job on the reports queue.
    with app.app_context():
        relay.settle(app=app)  # what was committed is in RQ before the worker looks
        make_worker(app).work(burst=True)
        report = db.session.get(Report, report_id)
        assert report.status == "finished" and report.progress == 100 and report.error is None
        assert all(stored(report, fmt) for fmt in ("csv", "xlsx", "pdf"))
        assert report.scans == len(seed.scans)
        jobs = [Job.fetch(job_id, connection=connection(app))
                for job_id in Queue(REPORTS, connection=connection(app)).finished_job_registry.get_job_ids()]
        built = [job for job in jobs if job.func_name == "workers.jobs.reports.build_report"]
        assert len(built) == 1 and built[0].kwargs == {"report_id": report_id}
        assert built[0].meta["progress"] == 100
    done = client.get(f"/api/v1/reports/{report_id}", headers=bearer(people.organiser[1])).get_json()
    assert set(done["files"]) == {"csv", "xlsx", "pdf"}


def test_running_the_job_again_or_for_a_vanished_report_changes_nothing(app, seed, people):
    with app.app_context():
        report = Report(festival_id=seed.festival_id, formats=["csv"], locale="th", status="queued", progress=0, files={})
        db.session.add(report)
        db.session.commit()
        queue = Queue(REPORTS, connection=connection(app))
        first = queue.enqueue(build_report_job, report_id=report.id)
        make_worker(app, [REPORTS]).work(burst=True)
        db.session.expire_all()  # the work-horse wrote the report in its own process
        stamp = stored(db.session.get(Report, report.id), "csv").id
        second = queue.enqueue(build_report_job, report_id=report.id)
        gone = queue.enqueue(build_report_job, report_id=987654)
        make_worker(app, [REPORTS]).work(burst=True)
        db.session.expire_all()
        assert stored(db.session.get(Report, report.id), "csv").id == stamp  # not written again
        for job in (first, second, gone):
            job.refresh()
            assert job.get_status() == "finished"
        assert gone.return_value() is None
