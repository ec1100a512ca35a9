"""Every kind of page in a real Chromium, under the app's own Content-Security-Policy, with a visitor,
a session and a booth whose names are script: nothing runs, nothing the policy blocks is asked for,
and no page throws. A page that needed an inline script or a foreign host would show up here as a
violation; a template that forgot to escape would show up as a dialog or a changed title."""
import pytest

from app.database import db
from app.users import User
from tests.conftest import bearer

pytestmark = pytest.mark.browser

SCRIPT_NAME = '<img src=x onerror="alert(1)"><script>alert(2)</script>"\'><svg onload=alert(3)>'

# Collects what the browser refused under the policy, from the first line of every page.
WATCH_POLICY = """
window.__violations = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__violations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + e.sourceFile));
"""


@pytest.fixture
def poisoned(client, world):
    """A pass, a session and a booth named with script, seen by visitors, organisers and scanners."""
    admin = world.admin
    passed = client.post(f"/api/v1/festivals/{world.slug}/passes", json={
        "name": SCRIPT_NAME, "email": "xss@example.org", "age_group": "adult", "consent": True, "locale": "en",
        "party": [{"name": SCRIPT_NAME, "age_group": "child"}],
    })
    assert passed.status_code == 201, passed.get_json()
    patched = client.patch(f"/api/v1/sessions/{world.ids['workshop']}", headers=admin,
                           json={"title_en": SCRIPT_NAME, "description_en": SCRIPT_NAME})
    assert patched.status_code == 200, patched.get_json()
    booked = client.post(f"/api/v1/passes/{passed.get_json()['manage_token']}/bookings",
                         json={"session_id": world.ids["workshop"]})
    assert booked.status_code == 201, booked.get_json()
    assert client.patch(f"/api/v1/booths/{world.ids['booth']}", headers=admin,
                        json={"name_en": SCRIPT_NAME}).status_code == 200
    return passed.get_json()["manage_token"]


def _tour(page, base_url, paths):
    """Open each path; return {path: problems} for the pages that had any."""
    dialogs, errors, problems = [], [], {}
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and "Content Security Policy" in message.text
            and errors.append(message.text))
    for path in paths:
        dialogs.clear()
        errors.clear()
        answer = page.goto(base_url + path, wait_until="networkidle")
        found = []
        if answer is None or answer.status >= 400:
            found.append(f"status {answer.status if answer else None}")
        found += [f"policy: {v}" for v in page.evaluate("window.__violations")]
        found += [f"dialog: {d}" for d in dialogs] + [f"error: {e}" for e in errors]
        injected = page.locator("svg[onload], img[src='x'], [onerror]").count()
        if injected:
            found.append(f"{injected} elements made from a name's markup")
        if found:
            problems[path] = found
    return problems


def test_visitor_pages_run_under_the_policy_and_keep_script_names_inert(live_server, chromium, world, poisoned):
    context = chromium.new_context(locale="th-TH")
    context.add_init_script(WATCH_POLICY)
    page = context.new_page()
    paths = ["/", f"/festivals/{world.slug}", f"/festivals/{world.slug}?lang=en", f"/festivals/{world.slug}/signup",
             f"/passes/{poisoned}", f"/passes/{poisoned}?lang=en", f"/passes/{poisoned}/delete", "/login"]
    assert _tour(page, live_server.url, paths) == {}
    # The name is on the pass page as the text it is, not as markup.
    page.goto(f"{live_server.url}/passes/{poisoned}?lang=en", wait_until="networkidle")
    assert page.get_by_text(SCRIPT_NAME).count() >= 1
    context.close()


def test_console_report_and_scanner_pages_run_under_the_policy(app, live_server, chromium, world, poisoned, make_user):
    make_user("organiser", world.city_id, password="correct horse battery", email="noi@kk.example")
    # A team member whose name is markup: the Team page and its remove page show it as text.
    member_id, _ = make_user("staff", world.city_id, email="poisoned@kk.example")
    with app.app_context():
        db.session.get(User, member_id).name = SCRIPT_NAME
        db.session.commit()
    context = chromium.new_context(locale="en-GB")
    context.add_init_script(WATCH_POLICY)
    page = context.new_page()
    page.goto(f"{live_server.url}/login", wait_until="networkidle")
    page.fill("input[name=email]", "noi@kk.example")
    page.fill("input[name=password]", "correct horse battery")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/login" not in page.url
    slug, ids = world.slug, world.ids
    paths = [
        "/organiser/", f"/organiser/festivals/{slug}", f"/organiser/festivals/{slug}/sessions/new",
        f"/organiser/festivals/{slug}/sessions/{ids['workshop']}", f"/organiser/festivals/{slug}/venues/{ids['room']}",
        f"/organiser/festivals/{slug}/booths/{ids['booth']}", f"/organiser/festivals/{slug}/bookings",
        f"/organiser/festivals/{slug}/bookings/{ids['workshop']}", f"/organiser/festivals/{slug}/checkpoints",
        f"/organiser/festivals/{slug}/checkpoints/live", f"/organiser/festivals/{slug}/import", "/organiser/audit",
        "/reports/", f"/reports/festivals/{slug}", "/scan", "/organiser/teams", "/organiser/cities/khon-kaen/team",
        f"/organiser/team/{member_id}/remove",
    ]
    assert _tour(page, live_server.url, paths) == {}
    context.close()


def test_the_policy_is_the_one_the_tour_ran_under(client, world):
    """The tour proves something only while the policy forbids inline script and foreign hosts."""
    policy = client.get(f"/festivals/{world.slug}").headers["Content-Security-Policy"]
    directives = dict((part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert "'unsafe-inline'" not in directives.get("default-src", "") and "*" not in policy
    assert directives["frame-ancestors"] == "'none'"
    # The API answers the organiser's changes with the same policy (a JSON answer is never a page to frame).
    assert "default-src" in client.get("/api/v1/festivals", headers=bearer(world.tokens["admin"])).headers[
        "Content-Security-Policy"]
