"""The development mailbox in a real browser: the confirmation's HTML renders, QR code included, under the CSP."""
import re

import pytest

pytestmark = pytest.mark.browser


def test_a_newcomer_sees_the_confirmation_with_its_qr_code(app, live_server, chromium, client, festival, sign_up, run_jobs):
    sign_up(locale="en", name="Jane")
    run_jobs()
    key = re.search(r'href="/dev/mailbox/([^"]+)"', client.get("/dev/mailbox").get_data(as_text=True)).group(1)
    page = chromium.new_page()
    violations = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None)
    page.goto(f"{live_server.url}/dev/mailbox/{key}?lang=en")
    frame = page.frame_locator("iframe[sandbox]")
    frame.get_by_text("Your pass is ready").wait_for()
    image = frame.locator("img").first
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")  # the QR code, from a data: URL
    assert page.locator("iframe[sandbox]").get_attribute("sandbox") == ""
    assert violations == []
    page.close()
