"""In a real browser: a city team asks for a report, watches its progress, then gets the files."""
import pytest

from app.database import db
from reports.build import build_report
from reports.models import Report

pytestmark = pytest.mark.browser


def test_the_page_follows_the_build_and_then_offers_the_files(app, live_server, chromium, seed, people):
    page = chromium.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/login?lang=en")
    page.fill("input[name=email]", "team@cm.example")
    page.fill("input[name=password]", "pw-cityteam-1")
    page.click("button[type=submit]")
    page.wait_for_url("**/reports/**")

    page.goto(f"{live_server.url}/reports/festivals/{seed.slug}?lang=en")
    page.uncheck("input[name=formats][value=csv]")
    page.select_option("select[name=locale]", "en")
    page.click(f"form[action='/reports/festivals/{seed.slug}'] button[type=submit]")
    page.wait_for_selector("[data-report-status] [data-status-label]")
    assert page.inner_text("[data-status-label]") == "Waiting for a worker"
    assert page.is_visible("[data-report-status] .bar")

    with app.app_context():
        report_id = db.session.query(Report.id).scalar()
        build_report(report_id)  # what the worker does; the page learns of it by polling

    page.wait_for_selector("[data-files] a", timeout=15000)
    links = page.eval_on_selector_all("[data-files] a", "links => links.map(a => [a.textContent, a.getAttribute('href')])")
    assert links == [
        ["Spreadsheet (XLSX)", f"/reports/{report_id}/files/xlsx"],
        ["Printable report (PDF)", f"/reports/{report_id}/files/pdf"],
    ]
    assert page.inner_text("[data-status-label]") == "Ready"
    assert not page.is_visible("[data-report-status] .bar")
    assert "from 39 scans" in page.inner_text("[data-compiled]")
    pdf = page.request.get(f"{live_server.url}/reports/{report_id}/files/pdf")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    assert errors == []
