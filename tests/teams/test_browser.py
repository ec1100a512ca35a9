"""A city brings its team in, walked in Chromium as a person would: in Thai on a 390 px phone and a
desktop, and in English on a desktop. The organiser invites a staff member, the mail arrives at the real
SMTP server (a worker runs the job) in the language the organiser chose, the staff member opens the link,
chooses a password, lands on the scanner, names the phone and makes a first scan; the organiser then sees
the member active with the phone's name and the last sign-in in the city's zone, and removes them: the
phone's next scan is refused and it asks to be paired again.
axe-core checks every page and state, and each reads wholly in the walk's language (tests/language.py)."""
import os
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.database import db
from app.users import User
from checkin.checkpoints import create_checkpoint
from checkin.models import Scan
from events.models import Festival
from registrations import pass_codes
from registrations import services as registrations
from teams.models import TeamLink
from tests.accessibility import DESKTOP, PHONE, assert_accessible, new_context
from tests.language import assert_reads_in, english_fragments, english_problems, problems, visible
from tests.teams.conftest import link_in, text_of

THAI_SCRIPT = re.compile(r"[\u0E00-\u0E7F]")
BANGKOK = ZoneInfo("Asia/Bangkok")
THAI_MONTHS = ("มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม", "สิงหาคม", "กันยายน",
               "ตุลาคม", "พฤศจิกายน", "ธันวาคม")

# What each walk reads, types and clicks, in the language of the walk.
TEXT = {
    "th": dict(
        email="อีเมล", password="รหัสผ่าน", sign_in="เข้าสู่ระบบ", team_link="ทีมงาน", team_heading="ทีมงานของเชียงใหม่",
        send="ส่งคำเชิญ", name_optional="ชื่อ (ไม่บังคับ)", role="บทบาท", invitation_language="ภาษาของคำเชิญ",
        sent="ส่งคำเชิญไปที่ nok@cm.example แล้ว", invited="ได้รับเชิญ",
        subject="ขอเชิญร่วมทีมงานเทศกาลของเชียงใหม่", join_heading="ร่วมทีมงาน", staff_role="เจ้าหน้าที่",
        your_name="ชื่อของคุณที่ทีมงานจะเห็น", choose_password="ตั้งรหัสผ่าน", join="ร่วมทีมและดำเนินการต่อ",
        too_short="อย่างน้อย 10 ตัวอักษร", name_phone="ตั้งชื่อโทรศัพท์เครื่องนี้", set_up_phone="ตั้งค่าโทรศัพท์เครื่องนี้",
        active="ใช้งานอยู่", remove="นำออกจากทีม", remove_heading="นำ {name} ออกจากทีม?", removed="นำออกแล้ว",
        cut_off="สิทธิ์การสแกนถูกยกเลิก",
        # The people's own names, typed as they would type them.
        staff_name="นก", staff_full_name="นก ใจดี", phone_name="โทรศัพท์ประตู 2", gate="ประตูหลัก",
        visitor="มาลี ศรีสุข",
    ),
    "en": dict(
        email="Email", password="Password", sign_in="Sign in", team_link="Team", team_heading="Team of Chiang Mai",
        send="Send the invitation", name_optional="Name (optional)", role="Role",
        invitation_language="Language of the invitation", sent="Invitation sent to nok@cm.example.",
        invited="Invited", subject="You are invited to the festival team of Chiang Mai", join_heading="Join the team",
        staff_role="Staff", your_name="Your name, as the team will see it", choose_password="Choose a password",
        join="Join and continue", too_short="at least 10 characters", name_phone="Name this phone",
        set_up_phone="Set up this phone", active="Active", remove="Remove from the team",
        remove_heading="Remove {name}?", removed="Removed", cut_off="its access was withdrawn",
        staff_name="Nok", staff_full_name="Nok Jaidee", phone_name="Gate 2 phone", gate="Main gate",
        visitor="Malee Srisuk",
    ),
}
WALKS = [("th", PHONE), ("th", DESKTOP), ("en", DESKTOP)]
WALK_IDS = ["th-phone", "th-desktop", "en-desktop"]
LOCALE = {"th": "th-TH", "en": "en-US"}


def gate_and_pass(app, gate, visitor, locale):
    """A gate at the Chiang Mai festival and a visitor's pass code."""
    with app.app_context():
        festival = db.session.scalar(sa.select(Festival).where(Festival.slug == "cm-days"))
        create_checkpoint(festival, name=gate, kind="gate")
        result = registrations.sign_up("cm-days", name=visitor, email="malee@example.org", age_group="adult",
                                       consent=True, locale=locale)
        db.session.commit()
        return pass_codes.issue(result.pass_)


def shot(page, name):
    folder = Path(os.environ.get("SCREENSHOT_DIR") or "/tmp/thetsakan-screens/teams")
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def check(page, lang, state, data=()):
    """Every page and state: no WCAG 2.2 AA violation, and it reads wholly in the walk's language."""
    assert_accessible(page, state)
    assert_reads_in(page, lang, data=data)


def as_read(moment, lang):
    """A stored UTC moment as a person in Chiang Mai reads it: Bangkok time, Buddhist Era in Thai."""
    there = moment.replace(tzinfo=moment.tzinfo or ZoneInfo("UTC")).astimezone(BANGKOK)
    if lang == "th":
        return f"{there.day} {THAI_MONTHS[there.month - 1]} {there.year + 543} {there:%H:%M}"
    return f"{there.day} {there:%B} {there.year} {there:%H:%M}"


@pytest.mark.parametrize("lang, viewport", WALKS, ids=WALK_IDS)
def test_organiser_invites_staff_who_accepts_and_makes_a_first_scan(
    app, chromium, live_server, team, smtp, run_jobs, lang, viewport
):
    t = TEXT[lang]
    size = f"{lang}-{'phone' if viewport == PHONE else 'desktop'}"
    base = live_server.url
    code = gate_and_pass(app, t["gate"], t["visitor"], lang)
    data = (t["staff_name"], t["staff_full_name"], t["phone_name"], t["gate"], t["visitor"])

    # --- the organiser signs in; in English, from a Thai page, with the page's language switch --------
    organiser = new_context(chromium, viewport=viewport, locale=LOCALE[lang])
    page = organiser.new_page()
    page.goto(f"{base}/login?lang=th")
    if lang == "en":
        page.get_by_role("link", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
    check(page, lang, "sign-in")
    page.get_by_label(t["email"]).fill("org@cm.example")
    page.get_by_label(t["password"]).fill("organiser-pass-1")
    page.get_by_role("button", name=t["sign_in"]).click()
    page.get_by_role("link", name=t["team_link"], exact=True).click()
    expect(page.get_by_role("heading", name=t["team_heading"])).to_be_visible()
    check(page, lang, "team page")
    page.get_by_role("button", name=t["send"], exact=True).click()  # nothing filled in
    expect(page.locator(".field-error[data-field=email]")).to_be_visible()
    check(page, lang, "invitation refused: no address")
    shot(page, f"{size}-1-invite-refused")
    page.get_by_label(t["email"]).fill("nok@cm.example")
    page.get_by_label(t["name_optional"]).fill(t["staff_name"])
    page.get_by_label(t["role"]).select_option("staff")
    page.get_by_label(t["invitation_language"]).select_option(lang)
    page.get_by_role("button", name=t["send"], exact=True).click()
    expect(page.locator(".flash")).to_contain_text(t["sent"])
    expect(page.locator("[data-member='nok@cm.example'] [data-status]")).to_have_text(t["invited"])
    check(page, lang, "after inviting", data)
    shot(page, f"{size}-2-invited")

    # --- the mail arrives at the SMTP server, in the language chosen for the member -------------------
    run_jobs()
    invitations = [m for m in smtp.messages if m["To"].addresses[0].addr_spec == "nok@cm.example"]
    assert len(invitations) == 1  # (the visitor's pass confirmation went out too)
    mail = invitations[0]
    assert t["subject"] in mail["Subject"]
    link, link_lang = link_in(mail)
    assert link_lang == lang
    body = text_of(mail)
    with app.app_context():
        expires = db.session.scalar(sa.select(TeamLink.expires_at).join(User, TeamLink.user_id == User.id)
                                    .where(User.email == "nok@cm.example"))
    assert as_read(expires, lang) in body  # until when: Chiang Mai's clock, BE in Thai, Gregorian in English
    # Both parts read wholly in the chosen language (the HTML part as a mail program shows it).
    html = mail.get_body(preferencelist=("html",)).get_content()
    for part in (str(mail["Subject"]), body, visible(html)):
        found = english_problems(part, data) if lang == "en" else problems(part, english_fragments(), data)
        assert not found, f"the invitation does not read in {lang}: {found}\n{part}"
    if lang == "en":
        assert not THAI_SCRIPT.search(str(mail["Subject"]) + body.replace(t["staff_name"], "")), body
        assert "Join the team of Chiang Mai" in body and "scan visitors’ passes" in body
    path = link.split(app.config["PUBLIC_URL"], 1)[1]

    # --- the staff member opens the link on their phone ---------------------------------------------
    staff = new_context(chromium, viewport=viewport, locale=LOCALE[lang])
    phone = staff.new_page()
    errors = []
    phone.on("pageerror", lambda error: errors.append(str(error)))
    phone.goto(f"{base}{path}?lang={link_lang}")
    expect(phone.get_by_role("heading", name=t["join_heading"])).to_be_visible()
    expect(phone.locator("main")).to_contain_text(t["staff_role"])
    check(phone, lang, "invitation page", data)
    shot(phone, f"{size}-3-invitation")
    phone.get_by_label(t["your_name"]).fill(t["staff_full_name"])
    phone.get_by_label(t["choose_password"]).fill("short")
    phone.get_by_role("button", name=t["join"]).click()
    expect(phone.locator(".field-error[data-field=password]")).to_contain_text(t["too_short"])
    check(phone, lang, "password too short", data)
    phone.get_by_label(t["choose_password"]).fill("nok-gate-password")
    phone.get_by_role("button", name=t["join"]).click()

    # --- lands on the scanner, names the phone, scans -------------------------------------------------
    phone.wait_for_url("**/scan")
    expect(phone.get_by_label(t["name_phone"])).to_be_visible()
    check(phone, lang, "phone name prompt", data)
    phone.get_by_role("button", name=t["set_up_phone"]).click()  # no name yet
    expect(phone.locator("#phone-name-error")).to_be_visible()
    check(phone, lang, "phone name missing", data)
    shot(phone, f"{size}-4-name-the-phone")
    phone.get_by_label(t["name_phone"]).fill(t["phone_name"])
    phone.get_by_role("button", name=t["set_up_phone"]).click()
    expect(phone.locator("#scanner")).to_have_attribute("data-ready", "1", timeout=15000)
    phone.locator("#checkpoint-select").select_option(label=t["gate"])
    expect(phone.locator("#scan-area")).to_be_visible()
    check(phone, lang, "scanner ready", data)
    phone.locator("#code-input").fill(code)
    phone.locator("#code-form button[type=submit]").click()
    answer = phone.locator("#answer")
    expect(answer).to_have_attribute("data-result", "admitted")
    expect(phone.locator("#answer-name")).to_have_text(t["visitor"])
    shot(phone, f"{size}-5-first-scan")
    check(phone, lang, "first scan admitted", data)
    assert errors == []

    # --- the organiser sees the member active, with the phone by its name -----------------------------
    page.reload()
    card = page.locator("[data-member='nok@cm.example']")
    expect(card.locator("[data-status]")).to_have_text(t["active"])
    expect(card.locator("[data-phone]")).to_contain_text(t["phone_name"])
    with app.app_context():
        signed_in_at = db.session.scalar(sa.select(User.last_sign_in_at).where(User.email == "nok@cm.example"))
    # In Chiang Mai's zone, Buddhist Era in Thai and Gregorian in English: never UTC, never ISO.
    expect(card.locator("[data-last-sign-in]")).to_have_text(as_read(signed_in_at, lang))
    check(page, lang, "team page with an active member", data)
    shot(page, f"{size}-6-team-active")
    card.get_by_role("link", name=t["remove"]).click()
    expect(page.get_by_role("heading", name=t["remove_heading"].format(name=t["staff_full_name"]))).to_be_visible()
    check(page, lang, "remove: are you sure", data)
    page.get_by_role("button", name=t["remove"]).click()
    expect(page.locator("[data-member='nok@cm.example'] [data-status]")).to_have_text(t["removed"])
    check(page, lang, "after removal", data)
    shot(page, f"{size}-7-removed")

    # The removed phone's very next scan is refused, though the web process had kept its reading of
    # the phone's token since the first scan: the scanner asks to be paired again and stores nothing.
    if answer.is_visible():
        answer.click()  # tap to go on
    phone.locator("#code-input").fill(code)
    phone.locator("#code-form button[type=submit]").click()
    expect(phone.locator("#needs-pairing")).to_be_visible(timeout=15000)
    # Told it was cut off, not "not set up yet"; the welcome shown when it joined is gone.
    expect(phone.locator("#needs-pairing-message")).to_contain_text(t["cut_off"])
    expect(phone.locator("#setup-message")).to_contain_text(t["cut_off"])
    expect(phone.locator(".flashes")).to_be_hidden()
    check(phone, lang, "the removed phone's next scan", data)
    shot(phone, f"{size}-8-removed-phone-scans")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Scan.id))) == 1
    # And after a reload it still cannot, and still says why.
    phone.reload()
    expect(phone.locator("#needs-pairing")).to_be_visible(timeout=15000)
    expect(phone.locator("#needs-pairing-message")).to_contain_text(t["cut_off"])
    check(phone, lang, "the removed phone", data)
    shot(phone, f"{size}-9-removed-phone-reloaded")
    organiser.close()
    staff.close()


FORGOT = {
    "th": dict(forgot="ลืมรหัสผ่าน?", email="อีเมล", mail_me="ส่งลิงก์ให้ฉัน", sent="หากอีเมลนี้เป็นของสมาชิก",
               subject="ตั้งรหัสผ่านใหม่", new_password="ตั้งรหัสผ่านใหม่", save="บันทึกรหัสผ่านใหม่"),
    "en": dict(forgot="Forgot your password?", email="Email", mail_me="Mail me a link",
               sent="If this address belongs to a member", subject="Choose a new password for Thetsakan",
               new_password="Choose a new password", save="Save the new password"),
}


@pytest.mark.parametrize("lang, viewport", [("th", PHONE), ("en", DESKTOP)], ids=["th-phone", "en-desktop"])
def test_forgotten_password_pages_are_accessible_and_read_in_the_readers_language(
    app, chromium, live_server, team, smtp, run_jobs, lang, viewport
):
    t = FORGOT[lang]
    context = new_context(chromium, viewport=viewport, locale=LOCALE[lang])
    page = context.new_page()
    page.goto(f"{live_server.url}/login?lang={lang}")
    page.get_by_role("link", name=t["forgot"]).click()
    check(page, lang, "forgot password")
    page.get_by_label(t["email"]).fill("org@cm.example")
    page.get_by_role("button", name=t["mail_me"]).click()
    expect(page.locator(".flash")).to_contain_text(t["sent"])
    check(page, lang, "forgot password: sent")
    shot(page, f"{lang}-{viewport['width']}-8-forgot-sent")

    # The mail comes in the language of the page it was asked from; its link opens the reset page.
    run_jobs()
    [mail] = [m for m in smtp.messages if m["To"].addresses[0].addr_spec == "org@cm.example"]
    assert t["subject"] in mail["Subject"]
    link, link_lang = link_in(mail)
    assert link_lang == lang
    if lang == "en":
        assert not THAI_SCRIPT.search(str(mail["Subject"]) + text_of(mail)), text_of(mail)
    page.goto(f"{live_server.url}{link.split(app.config['PUBLIC_URL'], 1)[1]}?lang={link_lang}")
    expect(page.get_by_role("heading", name=t["new_password"])).to_be_visible()
    check(page, lang, "choose a new password")
    shot(page, f"{lang}-{viewport['width']}-9-reset")
    page.goto(f"{live_server.url}/password/reset/not-a-token?lang={lang}")
    check(page, lang, "reset link not valid")
    context.close()
