"""A visitor's copy of their data: everything we hold about them, as a JSON download."""
import json

import pytest

from registrations import consent
from tests.privacy.conftest import DELETER


def _export(client, token):
    answer = client.get(f"/api/v1/passes/{token}/export")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer


def test_the_export_is_a_json_attachment_that_no_cache_keeps(client, sign_up):
    got = sign_up()
    answer = _export(client, got["manage_token"])
    assert answer.mimetype == "application/json"
    disposition = answer.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and f"pass-{got['id']}.json" in disposition
    assert answer.headers["Cache-Control"] == "no-store"
    # Thai stays readable in the file (UTF-8, not \\u escapes).
    assert "สมชาย ใจดี" in answer.get_data(as_text=True)


def test_the_export_holds_the_pass_party_consent_bookings_visits_and_mails(app, client, held_festival):
    held = held_festival()
    body = json.loads(_export(client, held.tokens["deleter"]).get_data(as_text=True))
    assert body["format"] == "thetsakan.personal-data/1" and body["exported_at"]
    assert list(body) == ["format", "exported_at", "pass", "party", "consent", "bookings", "visits", "emails",
                          "organiser_changes"]

    holder = body["pass"]
    assert (holder["name"], holder["email"], holder["age_group"], holder["locale"]) == (
        DELETER["name"], DELETER["email"], "adult", "en")
    assert holder["phone"] == DELETER["phone"] + " ext. 9"  # as the organiser left it
    assert holder["festival"]["slug"] == held.slug and holder["party_size"] == 3 and holder["status"] == "active"
    assert holder["signed_up_at"].endswith("+07:00")
    assert body["party"] == DELETER["party"]

    agreed = body["consent"]
    assert agreed["version"] == consent.CURRENT_VERSION and agreed["locale"] == "en"
    assert agreed["text"] == consent.text("en") and agreed["text_sha256"] == consent.sha256("en")
    assert agreed["at"].endswith("+07:00")

    [booking] = body["bookings"]
    assert booking["session"]["title_en"] == "Family weaving" and booking["session"]["title_th"] == "ทอผ้ากับครอบครัว"
    assert booking["session"]["starts_at"] == f"{held.days[0].isoformat()}T10:00:00+07:00"
    assert (booking["status"], booking["seats"], booking["waitlist_position"]) == ("confirmed", 3, None)

    visits = [(v["checkpoint"]["name"], v["checkpoint"]["kind"], v["result"]) for v in body["visits"]]
    assert visits == [
        ("Main gate", "gate", "admitted"),
        ("Main gate", "gate", "already_admitted"),
        ("Weaving room door", "session", "admitted"),
        ("Herb booth", "booth", "admitted"),
    ]
    assert body["visits"][0]["scanned_at"] == f"{held.days[0].isoformat()}T09:00:00+07:00"
    assert body["visits"][2]["checkpoint"]["session_title_en"] == "Family weaving"
    assert body["visits"][3]["checkpoint"]["booth_name_en"] == "Herb booth"
    assert all("device_id" not in v and "staff_user_id" not in v for v in body["visits"])

    [mail] = body["emails"]
    assert (mail["about"], mail["kind"], mail["status"]) == ("pass confirmation", "confirmation", "sent")
    assert mail["sent_at"] and mail["message_id"].startswith("<")

    [change] = body["organiser_changes"]
    assert (change["by_role"], change["action"], change["entity"]) == ("organiser", "update", "passes")
    assert change["after"]["phone"] == DELETER["phone"] + " ext. 9"
    assert "user_email" not in change  # staff identities are not the visitor's data

    # Nobody else's data: the other visitors' names are not in the file.
    text = json.dumps(body, ensure_ascii=False)
    assert "Malee" not in text and "Somsak" not in text
    # The secret links are left out: a shared file must not open the pass.
    assert held.tokens["deleter"] not in text and held.feed_tokens["deleter"] not in text


def test_a_waitlisted_booking_is_exported_with_its_position(client, sign_up, workshop):
    session_id = workshop(capacity=1)
    first, second = sign_up(), sign_up(name="Second")
    client.post(f"/api/v1/passes/{first['manage_token']}/bookings", json={"session_id": session_id})
    client.post(f"/api/v1/passes/{second['manage_token']}/bookings", json={"session_id": session_id})
    body = _export(client, second["manage_token"]).get_json()
    assert [(b["status"], b["waitlist_position"]) for b in body["bookings"]] == [("waitlisted", 1)]
    assert body["visits"] == [] and body["emails"] == [] and body["organiser_changes"] == []


@pytest.mark.parametrize("token", ["x" * 43, "short", "y" * 101])
def test_an_unknown_token_exports_nothing(client, sign_up, token):
    sign_up()
    answer = client.get(f"/api/v1/passes/{token}/export")
    assert answer.status_code == 404 and answer.get_json()["code"] == "not_found"
