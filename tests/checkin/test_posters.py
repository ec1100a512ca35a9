"""Posters that visitors scan: the PDF, booth visits, self check-in, rotation, and the stamp card."""
import re
import shutil
import subprocess

import pytest
import sqlalchemy as sa
from PIL import Image
from pyzbar import pyzbar

from app.database import db
from checkin.models import Checkpoint, Scan
from checkin.posters import poster_code
from events.models import Festival
from tests.checkin.conftest import scan
from tests.conftest import IN_CI


# pdftotext places Thai vowel and tone marks unreliably (after a space, after the next letter, or
# as a look-alike glyph), so texts are compared on their letters: marks and whitespace left out.
THAI_MARKS_AND_SPACE = re.compile(r"[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\s]+")


def letters(text):
    return THAI_MARKS_AND_SPACE.sub("", text)


def code_of(app, checkpoint_id):
    with app.app_context(), app.test_request_context():
        return poster_code(db.session.get(Checkpoint, checkpoint_id))


def visit(client, token, code):
    return client.post(f"/api/v1/passes/{token}/visits", json={"poster_code": code})


def pdf_text(pdf_bytes, tmp_path):
    if not shutil.which("pdftotext"):
        if IN_CI:
            pytest.fail("pdftotext is missing under CI: .ci/run must install poppler-utils")
        pytest.skip("pdftotext is not installed (apt-get install poppler-utils)")
    path = tmp_path / "poster.pdf"
    path.write_bytes(pdf_bytes)
    return letters(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout)


def test_the_booth_poster_is_an_a4_pdf_in_thai_and_english(app, client, world, tmp_path):
    answer = client.get(f"/api/v1/checkpoints/{world.booth_checkpoint_id}/poster", headers=world.organiser)
    assert answer.status_code == 200
    assert answer.mimetype == "application/pdf"
    assert answer.data.startswith(b"%PDF-")
    text = pdf_text(answer.data, tmp_path)
    for words in ("บูธทอผ้า", "Weaving booth", "วันเมืองแห่งการเรียนรู้", "Learning City Days",
                  "สแกนด้วยโทรศัพท์ของคุณ", "Scan with your phone", f"/p/{code_of(app, world.booth_checkpoint_id)}"):
        assert letters(words) in text, words
    assert letters("บูธจักสาน") not in text and "Basketry" not in text
    info = subprocess.run(["pdfinfo", str(tmp_path / "poster.pdf")], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Pages:\s+1\n", info) and "(A4)" in info


def test_the_poster_qr_opens_the_visit_page(app, client, world, tmp_path):
    pdf = client.get(f"/api/v1/checkpoints/{world.door_id}/poster", headers=world.organiser).data
    text = pdf_text(pdf, tmp_path)  # writes poster.pdf; skips (fails under CI) without poppler-utils
    subprocess.run(["pdftoppm", "-r", "100", "-png", "-singlefile", str(tmp_path / "poster.pdf"),
                    str(tmp_path / "door")], check=True)
    decoded = pyzbar.decode(Image.open(tmp_path / "door.png"))
    assert [d.data.decode() for d in decoded] == [f"http://127.0.0.1:5000/p/{code_of(app, world.door_id)}"]
    assert letters("เวิร์กช็อปทอผ้า") in text and letters("Weaving workshop") in text


def test_posters_are_for_organisers_of_the_city_and_only_booths_and_doors(client, world, make_city, make_user):
    assert client.get(f"/api/v1/checkpoints/{world.booth_checkpoint_id}/poster", headers=world.staff).status_code == 403
    _, stranger = make_user("organiser", make_city("phuket", "ภูเก็ต", "Phuket"))
    assert client.get(f"/api/v1/checkpoints/{world.booth_checkpoint_id}/poster",
                      headers={"Authorization": f"Bearer {stranger}"}).status_code == 403
    gate = client.get(f"/api/v1/checkpoints/{world.gate_id}/poster", headers=world.organiser)
    assert gate.status_code == 409 and gate.get_json()["code"] == "no_poster"


def test_a_visitor_scans_a_booth_poster_and_collects_a_stamp(app, client, world, make_pass):
    made = make_pass(world.festival_id, party=(("Kid", "child"),))
    code = code_of(app, world.booth_checkpoint_id)
    first = visit(client, made.manage_token, code)
    assert first.status_code == 200
    body = first.get_json()
    assert (body["result"], body["kind"], body["place_en"], body["stamps"], body["stamp_goal"]) == (
        "admitted", "booth", "Weaving booth", 1, 2)
    assert first.headers["Cache-Control"] == "private, no-store"
    again = visit(client, made.manage_token, code).get_json()
    assert (again["result"], again["stamps"]) == ("already_admitted", 1)
    with app.app_context():
        stored = db.session.scalars(sa.select(Scan).order_by(Scan.id)).all()
        assert [(s.source, s.result, s.staff_user_id, s.party_size) for s in stored] == [
            ("poster", "admitted", None, 2), ("poster", "already_admitted", None, 2)]


def test_a_staff_scan_at_a_booth_and_a_poster_visit_count_the_same_booth_once(app, client, world, make_pass):
    made = make_pass(world.festival_id)
    assert scan(client, world.booth_checkpoint_id, made.code, world.staff).get_json()["result"] == "admitted"
    body = visit(client, made.manage_token, code_of(app, world.booth_checkpoint_id)).get_json()
    assert (body["result"], body["stamps"]) == ("already_admitted", 1)


def test_self_check_in_at_a_session_door_needs_a_booking_and_the_festival_setting(
    app, client, world, make_pass, make_booking
):
    booked = make_pass(world.festival_id, name="Booked")
    make_booking(booked.id, world.session_id)
    unbooked = make_pass(world.festival_id, name="Unbooked")
    code = code_of(app, world.door_id)
    answer = visit(client, booked.manage_token, code).get_json()
    assert (answer["result"], answer["kind"], answer["place_th"]) == ("admitted", "session", "เวิร์กช็อปทอผ้า")
    assert visit(client, unbooked.manage_token, code).get_json()["result"] == "not_booked"
    # A staff scan afterwards sees the self check-in.
    assert scan(client, world.door_id, booked.code, world.staff).get_json()["result"] == "already_admitted"

    with app.app_context():
        db.session.get(Festival, world.festival_id).allow_self_checkin = False
        db.session.commit()
    refused = visit(client, unbooked.manage_token, code)
    assert refused.status_code == 403 and refused.get_json()["code"] == "self_checkin_off"


def test_a_rotated_poster_is_retired_and_a_forged_one_is_invalid(app, client, world, make_pass):
    made = make_pass(world.festival_id)
    old = code_of(app, world.booth_checkpoint_id)
    rotated = client.post(f"/api/v1/checkpoints/{world.booth_checkpoint_id}/poster/rotate", headers=world.organiser)
    assert rotated.status_code == 200 and rotated.get_json()["poster_version"] == 2
    new = code_of(app, world.booth_checkpoint_id)
    assert new != old and rotated.get_json()["poster_visit_url"].endswith("/p/" + new)

    retired = visit(client, made.manage_token, old)
    assert retired.status_code == 410 and retired.get_json()["code"] == "poster_retired"
    checkpoint_id, version, signature = new.split(".")
    forged = f"{checkpoint_id}.{version}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    for code in (forged, f"{world.gate_id}.1.{signature}", "999.1." + signature, "hello", ""):
        answer = visit(client, made.manage_token, code)
        assert answer.status_code in (404, 422), code
        assert answer.get_json()["code"] in ("invalid_poster", "validation_error"), code
    assert visit(client, made.manage_token, new).get_json()["result"] == "admitted"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Scan)) == 1  # refusals store no scan
    # The page a phone opens says so too.
    page = client.get(f"/p/{old}?lang=en")
    assert page.status_code == 410 and "no longer in use" in page.get_data(as_text=True)
    assert client.get(f"/p/{forged}").status_code == 404


def test_a_visit_with_an_unknown_pass_link_is_404(app, client, world):
    answer = visit(client, "not-a-real-token-at-all", code_of(app, world.booth_checkpoint_id))
    assert answer.status_code == 404 and answer.get_json()["code"] == "not_found"


def test_a_pass_of_another_festival_at_a_poster_is_wrong_festival(app, client, world, make_festival, make_pass):
    other = make_pass(make_festival(world.city_id, slug="another"), name="Elsewhere")
    answer = visit(client, other.manage_token, code_of(app, world.booth_checkpoint_id)).get_json()
    assert (answer["result"], answer["pass"]) == ("wrong_festival", None)


def test_the_stamp_card_shows_progress_then_the_badge_at_the_goal(
    app, client, world, make_pass, make_booth, make_checkpoint
):
    second_booth = make_booth(world.festival_id, code="B7", name_th="บูธจักสาน", name_en="Basketry booth")
    second = make_checkpoint(world.festival_id, "booth", name="Booth B7", booth_id=second_booth)
    also_first = make_checkpoint(world.festival_id, "booth", name="Booth A1, back door", booth_id=world.booth_id)
    made = make_pass(world.festival_id)

    empty = client.get(f"/passes/{made.manage_token}/stamp-card?lang=en").get_data(as_text=True)
    assert "0 of 2 booths visited" in empty and "stamp-badge" not in empty

    visit(client, made.manage_token, code_of(app, world.booth_checkpoint_id))
    scan(client, also_first, made.code, world.staff)  # the same booth again, at its other checkpoint
    half = client.get(f"/passes/{made.manage_token}/stamp-card?lang=en").get_data(as_text=True)
    assert "1 of 2 booths visited" in half and "1 more to complete the card" in half
    assert "Weaving booth" in half and "stamp-badge" not in half

    scan(client, second, made.code, world.staff)
    full = client.get(f"/passes/{made.manage_token}/stamp-card?lang=en")
    html = full.get_data(as_text=True)
    assert full.headers["Cache-Control"] == "private, no-store"
    assert "2 of 2 booths visited" in html and "stamp-badge" in html and "Stamp card complete" in html
    assert "Basketry booth" in html
    thai = client.get(f"/passes/{made.manage_token}/stamp-card?lang=th").get_data(as_text=True)
    assert "บูธจักสาน" in thai and "สะสมครบแล้ว" in thai
    assert client.get("/passes/nobody-has-this-token-at-all/stamp-card").status_code == 404


def test_the_poster_visit_page_is_served_without_inline_scripts(app, client, world):
    code = code_of(app, world.booth_checkpoint_id)
    page = client.get(f"/p/{code}?lang=th")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "บูธทอผ้า" in html and f'data-poster-code="{code}"' in html
    assert 'data-festival="learning-city-days"' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_the_booth_number_is_legible_on_the_printed_poster(client, world, tmp_path):
    """Rendered and rasterised as printed: the booth number sits in a block of ink (white figures on it) inside
    the orange badge, at least 10 mm tall, readable from two metres; no orange-on-orange."""
    pdf = client.get(f"/api/v1/checkpoints/{world.booth_checkpoint_id}/poster", headers=world.organiser).data
    assert "A1" in pdf_text(pdf, tmp_path)  # writes poster.pdf; skips (fails under CI) without poppler-utils
    dpi = 100
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(tmp_path / "poster.pdf"),
                    str(tmp_path / "booth")], check=True)
    image = Image.open(tmp_path / "booth.png").convert("RGB")
    pixels = image.load()
    width, height = image.size

    def near(colour, target, tolerance=40):
        return all(abs(a - b) <= tolerance for a, b in zip(colour, target))

    orange, ink = (0xB5, 0x53, 0x1F), (0x1D, 0x23, 0x30)
    badge = [(x, y) for y in range(0, height // 3) for x in range(0, width, 2) if near(pixels[x, y], orange)]
    assert badge, "no orange badge found at the top of the poster"
    left, right = min(x for x, _ in badge), max(x for x, _ in badge)
    top, bottom = min(y for _, y in badge), max(y for _, y in badge)
    ink_rows = {y for y in range(top, bottom + 1) for x in range(left, right + 1, 2) if near(pixels[x, y], ink, 20)}
    # The block of ink behind the number (not thin strokes of text): rows where ink runs wide.
    tall = max(ink_rows) - min(ink_rows) + 1 if ink_rows else 0
    assert tall * 25.4 / dpi >= 10, f"the booth number's block is {tall * 25.4 / dpi:.1f} mm tall"
    white_in_ink = sum(1 for y in ink_rows for x in range(left, right + 1) if near(pixels[x, y], (255, 255, 255), 30))
    assert white_in_ink > 50  # the figures themselves, white on ink (contrast about 16:1)
    image.crop((left, top, right + 1, bottom + 1)).save(tmp_path / "badge.png")
