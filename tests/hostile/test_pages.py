"""Garbage into the HTML forms (visitors' sign-up, the organiser console): a 4xx page or the form
again with its errors (422), never a 500, and nothing stored."""
import re

import pytest

from app.database import db
from tests.conftest import csrf_from, login
from webhooks.models import WebhookDelivery, WebhookEndpoint

SIGNUP_FORM = {"name": "Somsri", "email": "somsri@example.org", "age_group": "adult", "consent": "y"}


@pytest.fixture
def organiser_client(app, make_user, world):
    client = app.test_client()
    make_user("organiser", city_id=world.city_id, password="correct horse battery", email="noi@kk.example")
    assert login(client, "noi@kk.example", "correct horse battery").status_code in (302, 303)
    return client


def form_token(client, url):
    page = client.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    return csrf_from(page.get_data(as_text=True))


def is_a_page_refusal(answer):
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.get_data(as_text=True)[:300])
    assert answer.mimetype == "text/html"
    return answer.get_data(as_text=True)


@pytest.mark.parametrize(
    "changes",
    [
        {"name": "Som\x00sri"},
        {"email": "a\x00@example.org"},
        {"name": "ส" * 50_000},
        {"email": "not an email"},
        {"age_group": "toddler"},
        {"phone": "=HYPERLINK(1)"},
        {"party_name": ["Nok", "Noi"] * 20, "party_age_group": ["child"] * 40},
        {"party_name": "Nok", "party_age_group": "dinosaur"},
        {"consent": ""},
        {"consent_version": "1999-01\x00"},
        {"consent_version": "no-such-version"},
    ],
    ids=["nul-name", "nul-email", "long-name", "bad-email", "bad-age", "formula-phone", "party-of-40", "bad-party-age",
         "no-consent", "nul-version", "unknown-version"],
)
def test_signup_page_garbage_is_a_4xx_page_and_stores_nothing(client, world, row_counts, changes):
    url = f"/festivals/{world.slug}/signup"
    token = form_token(client, url)
    before = row_counts()
    answer = client.post(url, data={**SIGNUP_FORM, **changes, "csrf_token": token})
    html = is_a_page_refusal(answer)
    assert "<form" in html or answer.status_code in (400, 413, 422)
    assert row_counts() == before


def test_signup_page_odd_requests(client, world, row_counts):
    url = f"/festivals/{world.slug}/signup"
    token = form_token(client, url)
    before = row_counts()
    is_a_page_refusal(client.post(url, data={**SIGNUP_FORM}))  # no CSRF token
    is_a_page_refusal(client.post(url, data="name=x", content_type="text/plain"))
    is_a_page_refusal(client.post(url, json={**SIGNUP_FORM, "csrf_token": token}))
    is_a_page_refusal(client.post(url, data={**SIGNUP_FORM, "csrf_token": token, "x" * 10: "y" * (11 * 1024 * 1024)}))
    assert client.get(f"/festivals/{world.slug}/signup?session=%00").status_code == 200  # ignored, like any bad filter
    assert client.get(f"/festivals/{world.slug}/signup?session={2**80}").status_code == 200
    is_a_page_refusal(client.get("/festivals/%00/signup"))
    is_a_page_refusal(client.get(f"/passes/{world.ids['manage_token']}%00"))
    assert client.get(f"/passes/{world.ids['manage_token']}?book={2**80}").status_code == 200
    assert row_counts() == before


@pytest.mark.parametrize(
    "changes",
    [
        {"title_en": "Talk\x00"},
        {"title_en": "x" * 100_000},
        {"capacity": str(2**70)},
        {"capacity": "-1"},
        {"capacity": "lots"},
        {"venue_id": str(2**70)},
        {"venue_id": "abc"},
        {"day": "9999-12-31"},
        {"day": "0001-01-01"},
        {"starts": "25:00"},
        {"kind": "party"},
        {"themes": ["happiness"]},
        {"hosts": "A\nB\x00"},
    ],
    ids=["nul-title", "long-title", "huge-capacity", "negative-capacity", "word-capacity", "huge-venue", "word-venue",
         "year-9999", "year-1", "hour-25", "bad-kind", "bad-theme", "nul-host"],
)
def test_console_session_form_garbage_is_a_4xx_page_and_stores_nothing(organiser_client, world, row_counts, changes):
    url = f"/organiser/festivals/{world.slug}/sessions/new?lang=en"
    token = form_token(organiser_client, url)
    before = row_counts()
    form = {"title_en": "Evening talk", "kind": "talk", "venue_id": "", "day": "2027-08-22", "starts": "18:00",
            "ends": "19:00", "language": "th", "csrf_token": token}
    answer = organiser_client.post(url, data={**form, **changes})
    is_a_page_refusal(answer)
    assert row_counts() == before


@pytest.mark.parametrize(
    "changes",
    [
        {"name_en": "Fair\x00"},
        {"starts_on": "9999-12-30", "ends_on": "9999-12-31"},
        {"starts_on": "0001-01-01"},
        {"stamp_goal": str(2**70)},
        {"timezone": "Mars/Olympus_Mons"},
        {"timezone": "Asia/Bangkok\x00"},
    ],
    ids=["nul-name", "year-9999", "year-1", "huge-stamp-goal", "bad-zone", "nul-zone"],
)
def test_console_festival_form_garbage_is_a_4xx_page_and_stores_nothing(organiser_client, world, row_counts, changes):
    url = f"/organiser/festivals/{world.slug}?lang=en"
    token = form_token(organiser_client, url)
    before = row_counts()
    form = {"name_th": "วันเรียนรู้", "name_en": "Learning Days", "starts_on": "2027-08-22", "ends_on": "2027-08-23",
            "timezone": "Asia/Bangkok", "stamp_goal": "5", "csrf_token": token}
    answer = organiser_client.post(url, data={**form, **changes})
    is_a_page_refusal(answer)
    assert row_counts() == before


def test_console_urls_with_garbage_ids_are_404_pages(organiser_client, world):
    for url in (f"/organiser/festivals/{world.slug}/sessions/{2**70}", f"/organiser/festivals/{world.slug}/venues/{2**40}",
                f"/organiser/festivals/{world.slug}/booths/99999999999999999999999", "/organiser/festivals/a%00b"):
        answer = organiser_client.get(url)
        assert answer.status_code == 404, (url, answer.status_code)
        assert answer.mimetype == "text/html"


def test_the_scanner_pages_json_call_takes_garbage_without_a_crash(organiser_client, world, row_counts):
    page = organiser_client.get("/scan").get_data(as_text=True)
    token = re.search(r'data-csrf="([^"]+)"', page).group(1)
    before = row_counts()
    headers = {"X-CSRFToken": token, "Accept": "application/json"}  # as the scanner page sends it
    for data in ("[1, 2]", '"hostile-days"', "null", "{", "[" * 50_000):
        answer = organiser_client.post("/scan/device", data=data, content_type="application/json", headers=headers)
        assert 400 <= answer.status_code < 500, (data[:20], answer.status_code)
    answer = organiser_client.post("/scan/device", json={"festival": "hostile\x00days"}, headers=headers)
    assert answer.status_code == 422 and answer.get_json()["field"] == "festival"
    assert row_counts() == before
    made = organiser_client.post("/scan/device", json={"festival": world.slug, "label": ["not", "text"]}, headers=headers)
    assert made.status_code == 201 and made.get_json()["festival"] == world.slug


GARBAGE = ["x" * 5000, str(2**70), "-1", "9999-12-31", "0001-01-01", "=HYPERLINK(\"http://evil\")", "",
           "../../etc/passwd", "<script>alert(1)</script>", "\u202e\ufeff\u200b", "Robert'); DROP TABLE passes;--"]
FORM_PAGES = ["/organiser/festivals/{slug}", "/organiser/festivals/{slug}/sessions/new", "/organiser/festivals/{slug}/venues/new",
              "/organiser/festivals/{slug}/booths/new", "/organiser/festivals/{slug}/checkpoints",
              "/organiser/festivals/{slug}/import", "/festivals/{slug}/signup", "/reports/festivals/{slug}",
              "/passes/{token}", "/organiser/cities/{city_slug}/team", "/password/forgot",
              "/organiser/cities/{city_slug}/webhooks"]


def _webhook(app, world):
    """A partner's endpoint of the city with one delivery (made directly: its URL needs no DNS here)."""
    with app.app_context():
        endpoint = WebhookEndpoint(city_id=world.city_id, url="https://partner.example/hook",
                                   topics=["pass.created"], secret="whsec_x")
        db.session.add(endpoint)
        db.session.flush()
        delivery = WebhookDelivery(endpoint_id=endpoint.id, event_id="evt_1", topic="pass.created", body="{}")
        db.session.add(delivery)
        db.session.commit()
        return {"webhook_id": endpoint.id, "delivery_id": delivery.id}


def test_every_page_form_takes_garbage_in_every_field_without_a_5xx(app, client, world, make_user):
    """Every POST page of the URL map, every field name any form shows, each garbage value in turn."""
    make_user("admin", password="correct horse battery", email="boss@kk.example")
    assert login(client, "boss@kk.example", "correct horse battery").status_code in (302, 303)
    values = {"slug": world.slug, "venue_id": world.ids["room"], "session_id": world.ids["workshop"],
              "booth_id": world.ids["booth"], "checkpoint_id": world.ids["door"], "booking_id": world.ids["booking"],
              "token": world.ids["spare_token"], "import_id": 1, "device_id": 1, "queue_name": "default", "job_id": "x",
              "city_slug": "khon-kaen", "member_id": make_user("staff", world.city_id)[0], **_webhook(app, world)}
    fields, token = {"name", "email"}, None
    for page in FORM_PAGES:
        html = client.get(page.format(**values)).get_data(as_text=True)
        fields |= set(re.findall(r'name="([a-z_]+)"', html))
        token = token or csrf_from(html)
    fields.discard("csrf_token")
    routes = [rule for rule in app.url_map.iter_rules()
              if "POST" in rule.methods and not rule.rule.startswith("/api/") and "static" not in rule.endpoint
              and rule.endpoint not in ("login.logout", "login.login")]
    assert len(routes) > 25 and len(fields) > 30
    for rule in routes:
        url = rule.rule
        for name in rule.arguments:
            url = re.sub(r"<(?:[a-z]+:)?" + name + ">", str(values[name]), url)
        for garbage in GARBAGE:
            answer = client.post(url, data={**{name: garbage for name in fields}, "csrf_token": token})
            assert answer.status_code < 500, (url, garbage[:20], answer.status_code)
