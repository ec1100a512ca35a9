"""Check-in fixtures: a festival with a gate, a session door and a booth, staff who scan, and passes
made directly with the models (with real signed codes from registrations/pass_codes)."""
import hashlib
import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import qrcode
from PIL import Image
from playwright.sync_api import sync_playwright

from app.database import db, now_utc
from checkin.checkpoints import create_checkpoint
from events.models import Booth, Festival, ProgrammeSession
from registrations import pass_codes
from registrations.models import Booking, Pass, PartyMember
from tests.conftest import CHROMIUM_ARGS, IN_CI, bearer

SESSION_START = datetime(2027, 8, 22, 3, 0, tzinfo=timezone.utc)  # 10:00 in Bangkok
FESTIVAL_OPENED = (datetime.now(ZoneInfo("Asia/Bangkok")) - timedelta(days=1)).date()


@dataclass
class MadePass:
    id: int
    code: str
    manage_token: str
    public_id_hex: str


@pytest.fixture
def make_pass(app):
    """make_pass(festival_id, name="Somchai", party=(("Nok", "child"),), status="active", serial=1) -> MadePass."""
    counter = iter(range(1, 100_000))

    def make(festival_id, name="Somchai Jaidee", party=(), age_group="adult", status="active", serial=1, email=None):
        with app.app_context():
            manage, feed = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
            pass_ = Pass(
                festival_id=festival_id,
                public_id=pass_codes.new_public_id(),
                serial=serial,
                manage_token=manage,
                manage_token_hash=hashlib.sha256(manage.encode()).hexdigest(),
                feed_token=feed,
                feed_token_hash=hashlib.sha256(feed.encode()).hexdigest(),
                name=name,
                email=email or f"visitor{next(counter)}@example.org",
                age_group=age_group,
                status=status,
                consent_version="2026-01",
                consent_locale="th",
                consent_text_sha256="0" * 64,
                consent_at=now_utc(),
            )
            pass_.party = [PartyMember(position=i, name=n, age_group=g) for i, (n, g) in enumerate(party)]
            db.session.add(pass_)
            db.session.flush()
            code = pass_codes.issue(pass_)
            db.session.commit()
            return MadePass(pass_.id, code, manage, pass_.public_id.hex())

    return make


@pytest.fixture
def make_booking(app):
    """make_booking(pass_id, session_id, status="confirmed", seats=None): counts confirmed seats on the session."""

    def make(pass_id, session_id, status="confirmed", seats=None):
        with app.app_context():
            pass_ = db.session.get(Pass, pass_id)
            session = db.session.get(ProgrammeSession, session_id)
            seats = seats or pass_.party_size
            booking = Booking(pass_id=pass_id, session_id=session_id, seats=seats, status=status,
                              confirmed_at=now_utc() if status == "confirmed" else None)
            db.session.add(booking)
            if status == "confirmed":
                session.seats_confirmed += seats
            elif status == "waitlisted":
                session.waitlist_length += 1
            db.session.commit()
            return booking.id

    return make


@pytest.fixture
def make_checkpoint(app):
    def make(festival_id, kind="gate", name=None, **fields):
        with app.app_context():
            festival = db.session.get(Festival, festival_id)
            checkpoint = create_checkpoint(festival, name=name or f"{kind} checkpoint", kind=kind, **fields)
            db.session.commit()
            return checkpoint.id

    return make


@pytest.fixture
def make_booth(app):
    def make(festival_id, code="A1", name_th="บูธทอผ้า", name_en="Weaving booth"):
        with app.app_context():
            booth = Booth(festival_id=festival_id, code=code, name_th=name_th, name_en=name_en)
            db.session.add(booth)
            db.session.commit()
            return booth.id

    return make


@dataclass
class World:
    city_id: int
    festival_id: int
    slug: str
    session_id: int
    booth_id: int
    gate_id: int
    door_id: int
    booth_checkpoint_id: int
    staff: dict
    organiser: dict
    staff_id: int
    organiser_id: int


@pytest.fixture
def world(make_city, make_festival, make_session, make_user, make_checkpoint, make_booth):
    """Bangkok's Learning City Days: a gate, a 10-seat workshop with its door, a booth; staff and an organiser."""
    city_id = make_city()
    # The festival runs from yesterday (in Bangkok) to its workshop's day, so that scans made
    # now are real ones; scans outside its days are rehearsals (tests/checkin/test_rehearsal.py).
    festival_id = make_festival(city_id, starts_on=FESTIVAL_OPENED, allow_walk_ins=False, allow_self_checkin=True,
                                stamp_goal=2)
    session_id = make_session(festival_id, starts_at=SESSION_START, capacity=10)
    booth_id = make_booth(festival_id)
    staff_id, staff_token = make_user("staff", city_id)
    organiser_id, organiser_token = make_user("organiser", city_id)
    return World(
        city_id=city_id,
        festival_id=festival_id,
        slug="learning-city-days",
        session_id=session_id,
        booth_id=booth_id,
        gate_id=make_checkpoint(festival_id, "gate", name="Main gate"),
        door_id=make_checkpoint(festival_id, "session", name="Workshop door", session_id=session_id),
        booth_checkpoint_id=make_checkpoint(festival_id, "booth", name="Booth A1", booth_id=booth_id),
        staff=bearer(staff_token),
        organiser=bearer(organiser_token),
        staff_id=staff_id,
        organiser_id=organiser_id,
    )


def tamper(code, index=100):
    """The code with one character changed inside the signature (the last character carries padding bits)."""
    return code[:index] + ("A" if code[index] != "A" else "B") + code[index + 1:]


def scan(client, checkpoint_id, code, headers, **fields):
    return client.post(f"/api/v1/checkpoints/{checkpoint_id}/scans", json={"code": code, "device_id": "test", **fields},
                       headers=headers)


# --- the scanner page in a browser -----------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
VENDOR_BUNDLE = ROOT / "checkin" / "static" / "build" / "vendor.js"


@pytest.fixture(scope="session")
def scanner_build():
    """The npm bundle (qr-scanner, @noble/ed25519, idb): built here with `npm ci && npm run build` if missing."""
    if not VENDOR_BUNDLE.exists():
        if not shutil.which("npm"):
            if IN_CI:
                pytest.fail("npm is missing under CI: .ci/run must install nodejs and npm")
            pytest.skip("npm is not installed: the scanner's camera decoder cannot be built")
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=ROOT, check=True)
        subprocess.run(["npm", "run", "--silent", "build"], cwd=ROOT, check=True)
    return VENDOR_BUNDLE


def write_y4m(path, image, frames=10):
    """A Y4M video (4:2:0) that shows `image` (a Pillow image) for `frames` frames: Chromium's fake camera."""
    width, height = 640, 480
    canvas = Image.new("RGB", (width, height), "white")
    canvas.paste(image, ((width - image.width) // 2, (height - image.height) // 2))
    y, cb, cr = canvas.convert("YCbCr").split()
    half = (width // 2, height // 2)
    frame = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + frame)
    return path


@pytest.fixture
def camera_chromium(tmp_path):
    """camera_chromium(text) -> a headless Chromium whose fake camera films a QR code of `text`."""
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(executable):
        if IN_CI:
            pytest.fail("Chromium is missing under CI: .ci/run must install it")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    started = []

    def launch(text):
        qr = qrcode.make(text, box_size=3, border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
        video = write_y4m(tmp_path / "camera.y4m", qr.get_image().convert("RGB"))
        playwright = sync_playwright().start()
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS + [
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ])
        started.append((playwright, browser))
        return browser

    yield launch
    for playwright, browser in started:
        browser.close()
        playwright.stop()


@pytest.fixture
def staff_login(make_user):
    """staff_login(world) -> (email, password) of a staff account with a password, for the console and /scan."""

    def make(world, email="gate.staff@example.org", password="gate-pass-2027"):
        make_user("staff", world.city_id, password=password, email=email)
        return email, password

    return make


def sign_in(page, base_url, email, password, next_path="/scan"):
    page.goto(f"{base_url}/login?next={next_path}&lang=en")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
