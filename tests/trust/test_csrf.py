"""Every form a browser can post (every non-API POST in the URL map) refuses a request without its
CSRF token, signed in as an admin who could otherwise do anything, and stores nothing."""
import re

import sqlalchemy as sa

from app.database import db
from tests.conftest import login

SAMPLE = {"slug": "learning-city-days", "session_id": 1, "venue_id": 1, "booth_id": 1, "checkpoint_id": 1,
          "booking_id": 1, "import_id": 1, "device_id": 1, "token": "x" * 43, "manage_token": "x" * 43,
          "poster_code": "x", "report_id": 1, "queue_name": "default", "job_id": "x", "key": "x",
          "city_slug": "bangkok", "member_id": 1,
          "webhook_id": 1, "delivery_id": 1}


def _row_counts():
    return {table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


def test_every_browser_post_without_its_csrf_token_is_refused_and_stores_nothing(app, client, make_city, make_user,
                                                                                  make_festival, make_session):
    city = make_city()
    make_festival(city)
    make_user("admin", password="correct horse battery", email="boss@example.org")
    assert login(client, "boss@example.org", "correct horse battery").status_code in (302, 303)
    with app.app_context():
        before = _row_counts()
    routes = [rule for rule in app.url_map.iter_rules()
              if "POST" in rule.methods and not rule.rule.startswith("/api/") and rule.endpoint != "static"]
    assert len(routes) > 25
    accepted = []
    for rule in routes:
        url = rule.rule
        for name in rule.arguments:
            url = re.sub(r"<(?:[a-z]+:)?" + name + ">", str(SAMPLE[name]), url)
        for kwargs in ({"data": {"name": "x"}}, {"json": {"name": "x"}}):
            answer = client.post(url, **kwargs)
            if answer.status_code != 400 or "CSRF" not in answer.get_data(as_text=True):
                accepted.append((url, sorted(kwargs), answer.status_code))
    assert accepted == []
    with app.app_context():
        assert _row_counts() == before
