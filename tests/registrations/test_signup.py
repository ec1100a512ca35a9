"""Sign-up: one pass per email per festival, explicit consent, a signed QR code without personal data."""
import hashlib
import subprocess
import threading

import httpx
import pytest
import sqlalchemy as sa

from app.database import db
from app.outbox import messages
from registrations import consent, pass_codes
from registrations.models import Pass, PartyMember
from tests.registrations.conftest import signup_body


def test_a_new_pass_answers_201_with_its_code_links_and_the_fields_sent(app, client, festival):
    body = signup_body(
        email="Noi@Example.org",
        party=[{"name": "ด.ญ. น้ำใส", "age_group": "child"}, {"name": "คุณยาย บัว", "age_group": "senior"}],
    )
    answer = client.post(f"/api/v1/festivals/{festival.slug}/passes", json=body)
    assert answer.status_code == 201
    got = answer.get_json()
    assert got["name"] == "สมชาย ใจดี" and got["email"] == "noi@example.org"
    assert got["phone"] == "081 234 5678" and got["age_group"] == "adult" and got["locale"] == "th"
    assert got["party"] == body["party"] and got["party_size"] == 3
    assert got["consent"] is True and got["status"] == "active" and got["bookings"] == []
    token = got["manage_token"]
    assert len(token) >= 43
    assert got["manage_url"] == f"http://127.0.0.1:5000/passes/{token}"
    assert got["qr_url"] == f"http://127.0.0.1:5000/api/v1/passes/{token}/qr.png"
    with app.app_context():
        pass_ = db.session.get(Pass, got["id"])
        assert got["agenda_url"] == f"http://127.0.0.1:5000/passes/{pass_.feed_token}/agenda.ics"
        assert pass_.feed_token != token
        # Only the hashes are looked up; both are the SHA-256 of the token.
        assert pass_.manage_token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert [m.name for m in pass_.party] == ["ด.ญ. น้ำใส", "คุณยาย บัว"]
        assert [m.topic for m in messages()] == ["pass.created"]
        assert messages()[0].payload == {"pass_id": got["id"], "festival_id": festival.id}


def test_the_consent_is_recorded_with_version_language_time_and_text_hash(app, client, festival):
    answer = client.post(f"/api/v1/festivals/{festival.slug}/passes", json=signup_body(locale="en"))
    assert answer.status_code == 201
    with app.app_context():
        pass_ = db.session.get(Pass, answer.get_json()["id"])
        assert pass_.consent_version == consent.CURRENT_VERSION
        assert pass_.consent_locale == "en"
        expected = hashlib.sha256(consent.TEXTS[consent.CURRENT_VERSION]["en"].encode()).hexdigest()
        assert pass_.consent_text_sha256 == expected
        assert pass_.consent_at is not None and pass_.consent_at.tzinfo is not None
    thai = consent.sha256("th")
    assert thai != expected and len(thai) == 64


def test_the_qr_code_verifies_with_the_festival_key_and_carries_no_personal_data(app, sign_up, festival):
    got = sign_up(name="Malee Unique-Name", email="malee@example.org")
    code = got["code"]
    assert len(code) == pass_codes.CODE_LENGTH and code == code.upper()
    with app.app_context():
        parsed = pass_codes.verify(code, pass_codes.public_keys)
        pass_ = db.session.get(Pass, got["id"])
        assert parsed.festival_id == festival.id
        assert parsed.public_id == pass_.public_id and parsed.serial == pass_.serial
    _, payload, _ = pass_codes.parse(code)
    for personal in (b"Malee", b"malee", str(got["id"]).encode() * 3):
        assert personal not in payload
    assert "MALEE" not in code


def test_the_qr_png_decodes_back_to_the_code(client, sign_up, tmp_path):
    got = sign_up()
    image = client.get(f"/api/v1/passes/{got['manage_token']}/qr.png")
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert image.headers["Cache-Control"] == "private, no-store"
    path = tmp_path / "pass.png"
    path.write_bytes(image.data)
    decoded = subprocess.run(["zbarimg", "--quiet", "--raw", str(path)], capture_output=True, text=True, check=True)
    assert decoded.stdout.strip() == got["code"]


def test_signing_up_again_with_the_same_email_answers_the_existing_id_only(app, client, festival, sign_up):
    first = sign_up(email="same@example.org")
    again = client.post(
        f"/api/v1/festivals/{festival.slug}/passes", json=signup_body(email=" SAME@example.org ", name="Someone else")
    )
    assert again.status_code == 200
    body = again.get_json()
    assert body["id"] == first["id"]
    assert set(body) == {"id", "message"}
    assert first["manage_token"] not in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Pass)) == 1
        assert db.session.get(Pass, first["id"]).name == "สมชาย ใจดี"  # not overwritten
        link = messages("pass.link_requested")
        assert [m.payload for m in link] == [{"pass_id": first["id"], "festival_id": festival.id}]


def test_the_same_email_may_hold_a_pass_at_each_festival(client, sign_up, festival, make_festival):
    make_festival(festival.city_id, slug="chiang-mai-days")
    first = sign_up(email="twice@example.org")
    second = sign_up(slug="chiang-mai-days", email="twice@example.org")
    assert first["id"] != second["id"]


@pytest.mark.parametrize("consent_value", [False, None, "no"])
def test_consent_must_be_true(client, festival, consent_value):
    answer = client.post(f"/api/v1/festivals/{festival.slug}/passes", json=signup_body(consent=consent_value))
    assert answer.status_code == 422
    assert answer.get_json()["field"] == "consent" and "consent" in answer.get_json()["errors"]


def test_missing_consent_is_422_on_consent(client, festival):
    body = signup_body()
    del body["consent"]
    answer = client.post(f"/api/v1/festivals/{festival.slug}/passes", json=body)
    assert answer.status_code == 422
    assert answer.get_json()["code"] == "validation_error" and list(answer.get_json()["errors"]) == ["consent"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"age_group": "toddler"}, "age_group"),
        ({"party": [{"name": "Lek", "age_group": "baby"}]}, "party"),
        ({"party": [{"name": "   ", "age_group": "child"}]}, "party"),
        ({"name": "  "}, "name"),
        ({"email": "not-an-email"}, "email"),
        ({"phone": "call me maybe"}, "phone"),
        ({"locale": "fr"}, "locale"),
        ({"party": [{"name": f"Kid {n}", "age_group": "child"} for n in range(10)]}, "party"),
        ({"consent_version": "1999-01-01"}, "consent_version"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_sign_up_input_is_422_naming_the_field_and_writes_nothing(app, client, festival, overrides, field):
    answer = client.post(f"/api/v1/festivals/{festival.slug}/passes", json=signup_body(**overrides))
    assert answer.status_code == 422, answer.get_json()
    assert field in answer.get_json()["errors"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Pass)) == 0
        assert messages() == []


def test_a_party_of_ten_is_the_largest(client, festival):
    party = [{"name": f"ลูก {n}", "age_group": "child"} for n in range(9)]
    answer = client.post(f"/api/v1/festivals/{festival.slug}/passes", json=signup_body(party=party))
    assert answer.status_code == 201 and answer.get_json()["party_size"] == 10


def test_a_draft_or_unknown_festival_takes_no_sign_ups(client, festival, make_festival):
    make_festival(festival.city_id, slug="draft-days", status="draft")
    for slug in ("draft-days", "no-such-festival"):
        answer = client.post(f"/api/v1/festivals/{slug}/passes", json=signup_body())
        assert answer.status_code == 404 and answer.get_json()["code"] == "not_found"


def test_bad_json_is_a_4xx_not_a_5xx(client, festival):
    answer = client.post(
        f"/api/v1/festivals/{festival.slug}/passes", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert 400 <= answer.status_code < 500


def test_get_pass_shows_the_pass_and_unknown_tokens_are_404(client, sign_up):
    got = sign_up(party=[{"name": "Ploy", "age_group": "teen"}])
    answer = client.get(f"/api/v1/passes/{got['manage_token']}")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["id"] == got["id"] and body["party"] == [{"name": "Ploy", "age_group": "teen"}]
    assert body["code"] == got["code"] and body["agenda_url"] == got["agenda_url"]
    token = got["manage_token"]
    # Change the last character to one it is not (a fixed "A" would be no change 1 time in 64).
    near_miss = token[:-1] + ("B" if token[-1] == "A" else "A")
    for wrong in (near_miss, "x", "a" * 500):
        missing = client.get(f"/api/v1/passes/{wrong}")
        assert missing.status_code == 404 and missing.get_json()["code"] == "not_found"
    assert client.get(f"/api/v1/passes/{got['manage_token'][:-2]}/qr.png").status_code == 404


def test_concurrent_duplicate_sign_ups_make_one_pass(app, live_server, festival):
    body = signup_body(email="rush@example.org")
    barrier = threading.Barrier(8)
    answers = []

    def attempt():
        with httpx.Client(base_url=live_server.url, timeout=60) as http:
            barrier.wait()
            answers.append(http.post(f"/api/v1/festivals/{festival.slug}/passes", json=body))

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(answer.status_code for answer in answers)
    # One pass; the same e-mail is let through 5 times a minute (app.limits counts it
    # atomically, racing or not), so 4 are told the pass exists and 3 are refused.
    assert statuses == [200] * 4 + [201] + [429] * 3
    assert len({answer.json()["id"] for answer in answers if answer.status_code != 429}) == 1
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Pass)) == 1
        assert len(messages("pass.created")) == 1 and len(messages("pass.link_requested")) == 4
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PartyMember)) == 0


def test_the_current_consent_text_names_the_visitors_rights_and_an_older_version_keeps_its_own_text(app, client, festival):
    """PDPA: the text says the data can be downloaded and deleted; a pass agreed under an older
    version is still accepted and keeps the hash of the text it was shown."""
    assert "download a copy of my data" in consent.text("en") and "delete my personal data" in consent.text("en")
    assert "ดาวน์โหลดสำเนาข้อมูล" in consent.text("th") and "ลบข้อมูลส่วนบุคคล" in consent.text("th")
    older = [version for version in consent.TEXTS if version != consent.CURRENT_VERSION]
    assert older, "old versions stay so that their hashes still mean something"
    answer = client.post(f"/api/v1/festivals/{festival.slug}/passes",
                         json=signup_body(locale="th", consent_version=older[0]))
    assert answer.status_code == 201
    with app.app_context():
        pass_ = db.session.get(Pass, answer.get_json()["id"])
        assert pass_.consent_version == older[0]
        assert pass_.consent_text_sha256 == consent.sha256("th", older[0]) != consent.sha256("th")
    unknown = client.post(f"/api/v1/festivals/{festival.slug}/passes", json=signup_body(consent_version="1999-01-01"))
    assert unknown.status_code == 422 and unknown.get_json()["field"] == "consent_version"
