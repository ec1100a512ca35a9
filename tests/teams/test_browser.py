"""A city brings its team in, walked in Chromium in Thai on a 390 px phone and a desktop: the organiser
invites a staff member, the mail arrives at the real SMTP server (a worker runs the job), the staff
member opens the link, chooses a password, lands on the scanner, names the phone and makes a first scan;
the organiser then sees the member active with the phone's name. axe-core checks every page and state."""
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.database import db
from checkin.checkpoints import create_checkpoint
from events.models import Festival
from registrations import pass_codes
from registrations import services as registrations
from tests.accessibility import DESKTOP, PHONE, assert_accessible, new_context
from tests.teams.conftest import link_in


@pytest.fixture
def gate_and_pass(app, team):
    """A gate at the Chiang Mai festival and a visitor's pass code."""
    with app.app_context():
        festival = db.session.scalar(sa.select(Festival).where(Festival.slug == "cm-days"))
        create_checkpoint(festival, name="ประตูหลัก", kind="gate")
        result = registrations.sign_up("cm-days", name="มาลี ศรีสุข", email="malee@example.org", age_group="adult",
                                       consent=True, locale="th")
        db.session.commit()
        return pass_codes.issue(result.pass_)


def shot(page, name):
    folder = Path(os.environ.get("SCREENSHOT_DIR") or "/tmp/thetsakan-screens/teams")
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_organiser_invites_staff_who_accepts_and_makes_a_first_scan(
    app, chromium, live_server, team, gate_and_pass, smtp, run_jobs, viewport
):
    size = "phone" if viewport == PHONE else "desktop"
    base = live_server.url

    # --- the organiser invites ---------------------------------------------------------------
    organiser = new_context(chromium, viewport=viewport)
    page = organiser.new_page()
    page.goto(f"{base}/login?lang=th")
    assert_accessible(page, "sign-in")
    page.get_by_label("อีเมล").fill("org@cm.example")
    page.get_by_label("รหัสผ่าน").fill("organiser-pass-1")
    page.get_by_role("button", name="เข้าสู่ระบบ").click()
    page.get_by_role("link", name="ทีมงาน", exact=True).click()
    expect(page.get_by_role("heading", name="ทีมงานของเชียงใหม่")).to_be_visible()
    assert_accessible(page, "team page")
    page.get_by_role("button", name="ส่งคำเชิญ", exact=True).click()  # nothing filled in
    expect(page.locator(".field-error[data-field=email]")).to_be_visible()
    assert_accessible(page, "invitation refused: no address")
    shot(page, f"{size}-1-invite-refused")
    page.get_by_label("อีเมล").fill("nok@cm.example")
    page.get_by_label("ชื่อ (ไม่บังคับ)").fill("นก")
    page.get_by_label("บทบาท").select_option("staff")
    page.get_by_label("ภาษาของคำเชิญ").select_option("th")
    page.get_by_role("button", name="ส่งคำเชิญ", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("ส่งคำเชิญไปที่ nok@cm.example แล้ว")
    expect(page.locator("[data-member='nok@cm.example'] [data-status]")).to_have_text("ได้รับเชิญ")
    assert_accessible(page, "after inviting")
    shot(page, f"{size}-2-invited")

    # --- the mail arrives at the SMTP server --------------------------------------------------
    run_jobs()
    invitations = [m for m in smtp.messages if m["To"].addresses[0].addr_spec == "nok@cm.example"]
    assert len(invitations) == 1  # (the visitor's pass confirmation went out too)
    mail = invitations[0]
    assert "ขอเชิญร่วมทีมงานเทศกาลของเชียงใหม่" in mail["Subject"]
    link, lang = link_in(mail)
    assert lang == "th"
    path = link.split(app.config["PUBLIC_URL"], 1)[1]

    # --- the staff member opens the link on their phone ---------------------------------------
    staff = new_context(chromium, viewport=viewport)
    phone = staff.new_page()
    errors = []
    phone.on("pageerror", lambda error: errors.append(str(error)))
    phone.goto(f"{base}{path}?lang=th")
    expect(phone.get_by_role("heading", name="ร่วมทีมงาน")).to_be_visible()
    expect(phone.locator("main")).to_contain_text("เจ้าหน้าที่")
    assert_accessible(phone, "invitation page")
    shot(phone, f"{size}-3-invitation")
    phone.get_by_label("ชื่อของคุณที่ทีมงานจะเห็น").fill("นก ใจดี")
    phone.get_by_label("ตั้งรหัสผ่าน").fill("short")
    phone.get_by_role("button", name="ร่วมทีมและดำเนินการต่อ").click()
    expect(phone.locator(".field-error[data-field=password]")).to_contain_text("อย่างน้อย 10 ตัวอักษร")
    assert_accessible(phone, "password too short")
    phone.get_by_label("ตั้งรหัสผ่าน").fill("nok-gate-password")
    phone.get_by_role("button", name="ร่วมทีมและดำเนินการต่อ").click()

    # --- lands on the scanner, names the phone, scans --------------------------------------------
    phone.wait_for_url("**/scan")
    expect(phone.get_by_label("ตั้งชื่อโทรศัพท์เครื่องนี้")).to_be_visible()
    assert_accessible(phone, "phone name prompt")
    phone.get_by_role("button", name="ตั้งค่าโทรศัพท์เครื่องนี้").click()  # no name yet
    expect(phone.locator("#phone-name-error")).to_be_visible()
    assert_accessible(phone, "phone name missing")
    shot(phone, f"{size}-4-name-the-phone")
    phone.get_by_label("ตั้งชื่อโทรศัพท์เครื่องนี้").fill("โทรศัพท์ประตู 2")
    phone.get_by_role("button", name="ตั้งค่าโทรศัพท์เครื่องนี้").click()
    expect(phone.locator("#scanner")).to_have_attribute("data-ready", "1", timeout=15000)
    phone.locator("#checkpoint-select").select_option(label="ประตูหลัก")
    expect(phone.locator("#scan-area")).to_be_visible()
    assert_accessible(phone, "scanner ready")
    phone.locator("#code-input").fill(gate_and_pass)
    phone.locator("#code-form button[type=submit]").click()
    answer = phone.locator("#answer")
    expect(answer).to_have_attribute("data-result", "admitted")
    expect(phone.locator("#answer-name")).to_have_text("มาลี ศรีสุข")
    shot(phone, f"{size}-5-first-scan")
    assert_accessible(phone, "first scan admitted")
    assert errors == []

    # --- the organiser sees the member active, with the phone by its name ---------------------------
    page.reload()
    card = page.locator("[data-member='nok@cm.example']")
    expect(card.locator("[data-status]")).to_have_text("ใช้งานอยู่")
    expect(card.locator("[data-phone]")).to_contain_text("โทรศัพท์ประตู 2")
    expect(card.locator("[data-last-sign-in]")).to_contain_text("25")  # พ.ศ. 25xx
    assert_accessible(page, "team page with an active member")
    shot(page, f"{size}-6-team-active")
    card.get_by_role("link", name="นำออกจากทีม").click()
    expect(page.get_by_role("heading", name="นำ นก ใจดี ออกจากทีม?")).to_be_visible()
    assert_accessible(page, "remove: are you sure")
    page.get_by_role("button", name="นำออกจากทีม").click()
    expect(page.locator("[data-member='nok@cm.example'] [data-status]")).to_have_text("นำออกแล้ว")
    assert_accessible(page, "after removal")
    shot(page, f"{size}-7-removed")

    # The removed phone can no longer scan.
    phone.reload()
    expect(phone.locator("#needs-pairing")).to_be_visible(timeout=15000)
    organiser.close()
    staff.close()


def test_forgotten_password_pages_are_accessible_in_thai(chromium, live_server, team):
    context = new_context(chromium, viewport=PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/login?lang=th")
    page.get_by_role("link", name="ลืมรหัสผ่าน?").click()
    assert_accessible(page, "forgot password")
    page.get_by_label("อีเมล").fill("org@cm.example")
    page.get_by_role("button", name="ส่งลิงก์ให้ฉัน").click()
    expect(page.locator(".flash")).to_contain_text("หากอีเมลนี้เป็นของสมาชิก")
    assert_accessible(page, "forgot password: sent")
    shot(page, "phone-8-forgot-sent")
    page.goto(f"{live_server.url}/password/reset/not-a-token?lang=th")
    assert_accessible(page, "reset link not valid")
    context.close()
