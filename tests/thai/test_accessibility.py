"""WCAG 2.2 AA (axe-core) on every HTML page of the URL map, in Thai on a 390 px phone, for the seeded festival:
a full session and its booking page, a pass with a waitlisted and a confirmed booking, the console as an admin."""
from tests.accessibility import axe_violations, new_context
from tests.thai.test_thai_everywhere import html_pages, world  # noqa: F401  (world: a fixture)

# Pages whose subject is a picture or a printout rather than a screen (the A4 poster is checked as a PDF).
NOT_SCREENS = {"checkin.poster_pdf"}


def test_every_page_has_no_wcag_violation(app, live_server, chromium, world):  # noqa: F811
    context = new_context(chromium)
    page = context.new_page()
    page.goto(f"{live_server.url}/login?lang=th")
    page.fill("input[name=email]", "admin@example.org")
    page.fill("input[name=password]", "pw-admin-1")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    found, seen = {}, 0
    for url, endpoint in html_pages(app, world):
        if endpoint in NOT_SCREENS or url.endswith((".csv", ".pdf", ".xlsx", ".ics", ".png", ".json", ".zip", ".svg")):
            continue
        kind = page.request.head(f"{live_server.url}{url}")
        if "text/html" not in (kind.headers.get("content-type") or ""):
            continue  # a file to download, not a screen
        answer = page.goto(f"{live_server.url}{url}")
        if answer is None or answer.status >= 300 or "text/html" not in (answer.headers.get("content-type") or ""):
            continue
        page.wait_for_load_state("networkidle")
        if not page.evaluate("document.doctype !== null"):
            continue  # a fragment a page loads into itself (checked inside that page)
        seen += 1
        violations = axe_violations(page)
        if violations:
            found[f"{endpoint} {url}"] = [
                f"{v['id']} ({v['impact']}): {v['help']} :: {' | '.join(v['nodes'][:2])}" for v in violations
            ]
    context.close()
    assert seen >= 25
    assert found == {}, "\n".join(f"{where}:\n  " + "\n  ".join(items) for where, items in found.items())


def test_every_booking_link_on_the_programme_names_its_session(client, world):  # noqa: F811
    """A screen reader's list of links reads "จอง: <title>", not a column of identical "จอง"."""
    import re

    page = client.get(f"/festivals/{world['slug']}?lang=th").get_data(as_text=True)
    links = re.findall(r'<a class="button[^"]*" href="/sessions/(\d+)/book">([^<]*)<span class="visually-hidden">: ([^<]+)</span></a>', page)
    assert links and all(title.strip() for _, _, title in links)
    assert not re.search(r'href="/sessions/\d+/book">[^<]*</a>', page)
