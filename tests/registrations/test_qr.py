"""The pass's QR image with its fixed mask pattern: every code reads back, at the sizes we draw it."""
import io
import random

import pytest
from PIL import Image, ImageFilter
from pyzbar.pyzbar import decode

from app.database import db
from registrations import pass_codes, qr_image
from registrations.models import Pass

BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def read(png):
    return [symbol.data.decode() for symbol in decode(Image.open(io.BytesIO(png)))]


def codes_like_ours(count, seed=2026):
    """Codes shaped like pass codes (CODE_LENGTH Base32 characters), fixed by a seed so a failure repeats."""
    rng = random.Random(seed)
    return ["".join(rng.choice(BASE32) for _ in range(pass_codes.CODE_LENGTH)) for _ in range(count)]


@pytest.mark.parametrize("box_size", [6, 10])  # the mail's inline image, the pass page's qr.png
def test_codes_like_ours_read_back_exactly(box_size):
    for code in codes_like_ours(40):
        assert read(qr_image.png(code, box_size=box_size)) == [code]


def test_a_lower_case_code_is_drawn_upper_case():
    code = codes_like_ours(1)[0]
    assert read(qr_image.png(code.lower(), box_size=6)) == [code]


def test_a_code_drawn_small_and_blurred_still_reads():
    """What a phone at the gate sees of a mail on another phone's screen, roughly: 3 pixels a module, soft edges."""
    for code in codes_like_ours(20, seed=7):
        image = Image.open(io.BytesIO(qr_image.png(code, box_size=6))).convert("L")
        small = image.resize((image.width // 2, image.height // 2), Image.BILINEAR).filter(ImageFilter.GaussianBlur(0.6))
        assert [s.data.decode() for s in decode(small)] == [code]


def test_a_real_pass_code_reads_back_and_verifies(app, sign_up):
    got = sign_up()
    [payload] = read(qr_image.png(got["code"], box_size=6))
    with app.app_context():
        parsed = pass_codes.verify(payload, pass_codes.public_keys)
        assert parsed.public_id == db.session.get(Pass, got["id"]).public_id
