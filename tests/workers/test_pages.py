"""/dev/mailbox in development (404 in production) and /admin/jobs for admins only."""
import re

import pytest
from rq import Queue

from app import relay
from app.database import db
from app.outbox import emit
from app.queues import DEFAULT
from app.redis_conn import connection
from tests.conftest import csrf_from, login


@pytest.fixture
def production_config(app):
    saved = app.config["DEV_MAILBOX"]
    app.config["DEV_MAILBOX"] = False
    yield
    app.config["DEV_MAILBOX"] = saved


def test_the_dev_mailbox_shows_the_confirmation_a_sign_up_caused(app, client, festival, sign_up, run_jobs):
    assert not app.config.get("SMTP_HOST")  # no SMTP: the Maildir
    sign_up(locale="en", name="Jane")
    run_jobs()
    listing = client.get("/dev/mailbox?lang=en")
    assert listing.status_code == 200
    page = listing.get_data(as_text=True)
    assert "Your pass for Learning City Days" in page and "Jane" in page
    key = re.search(r'href="/dev/mailbox/([^"]+)"', page).group(1)

    message = client.get(f"/dev/mailbox/{key}?lang=en").get_data(as_text=True)
    assert "Hello Jane," in message  # the plain-text part
    assert f'<iframe sandbox="" src="/dev/mailbox/{key}/html"' in message
    assert "agenda.ics" in message

    html = client.get(f"/dev/mailbox/{key}/html")
    assert html.status_code == 200
    assert "script-src" not in html.headers["Content-Security-Policy"]
    assert "default-src 'none'" in html.headers["Content-Security-Policy"]
    body = html.get_data(as_text=True)
    assert 'src="data:image/png;base64,' in body and "cid:" not in body  # the QR code, inline

    ics = client.get(f"/dev/mailbox/{key}/attachments/0")
    assert ics.status_code == 200 and ics.get_data(as_text=True).startswith("BEGIN:VCALENDAR")
    assert client.get("/dev/mailbox/..%2Fsecret").status_code == 404


def test_the_dev_mailbox_is_404_in_production(client, production_config):
    assert client.get("/dev/mailbox").status_code == 404
    assert client.get("/dev/mailbox/anything/html").status_code == 404


def failing_job(app):
    """A message whose topic's job fails: pass.created for a pass id with no payload field."""
    with app.app_context():
        message = emit("pass.created", festival_id=1)  # lacks pass_id: handle_message raises
        db.session.commit()
        job_id = f"outbox-{message.id}"
        db.session.remove()
    return job_id


def test_admins_see_failed_jobs_with_their_error_and_can_retry_them(app, client, make_user, run_jobs):
    job_id = failing_job(app)
    run_jobs(fast_forward=3600)  # first try and every retry
    make_user("admin", password="correct horse", email="boss@example.org")
    assert login(client, "boss@example.org", "correct horse").status_code == 302
    page = client.get("/admin/jobs?lang=en")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f'data-job="{job_id}"' in text
    assert "KeyError" in text and "lacks pass_id" in text
    assert re.search(r'data-queue="default"><td>Other work</td><td>0</td><td>0</td><td>\d+</td>\s*<td><span class="badge bad">1</span>', text)

    refused = client.post(f"/admin/jobs/failed/{DEFAULT}/{job_id}/retry")
    assert refused.status_code == 400  # no CSRF token
    answer = client.post(f"/admin/jobs/failed/{DEFAULT}/{job_id}/retry", data={"csrf_token": csrf_from(text)})
    assert answer.status_code == 302
    with app.app_context():
        queue = Queue(DEFAULT, connection=connection())
        assert queue.job_ids == [job_id] and queue.failed_job_registry.count == 0
    assert "queued again" in client.get("/admin/jobs?lang=en").get_data(as_text=True)


def test_retry_all_requeues_every_failed_job(app, client, make_user, run_jobs):
    first, second = failing_job(app), failing_job(app)
    run_jobs(fast_forward=3600)
    make_user("admin", password="correct horse", email="boss@example.org")
    login(client, "boss@example.org", "correct horse")
    token = csrf_from(client.get("/admin/jobs").get_data(as_text=True))
    client.post("/admin/jobs/failed/retry-all", data={"csrf_token": token})
    with app.app_context():
        assert sorted(Queue(DEFAULT, connection=connection()).job_ids) == sorted([first, second])


def test_the_jobs_page_is_for_admins_only(app, client, make_user, make_city):
    assert client.get("/admin/jobs").status_code == 302  # to the login page
    city_id = make_city()
    make_user("organiser", city_id=city_id, password="correct horse", email="noi@example.org")
    login(client, "noi@example.org", "correct horse")
    assert client.get("/admin/jobs").status_code == 403
    assert client.post("/admin/jobs/failed/retry-all").status_code in (400, 403)


def test_the_jobs_page_shows_the_outbox_backlog_in_thai(app, client, make_user):
    with app.app_context():
        relay.pause()
        emit("programme.changed", festival_id=1)
        db.session.commit()
        relay.resume()
        db.session.remove()
    make_user("admin", password="correct horse", email="boss@example.org")
    login(client, "boss@example.org", "correct horse")
    page = client.get("/admin/jobs?lang=th").get_data(as_text=True)
    assert "งานเบื้องหลัง" in page
    assert '<strong id="outbox-backlog">1</strong>' in page
    with app.app_context():
        assert Queue(DEFAULT, connection=connection()).count == 0  # nothing handed over yet
