"""Deleting a visitor's personal data: what goes (names, addresses, links), what stays (the counts)."""
import csv
import io

import pytest
import sqlalchemy as sa
from flask import g

from app.audit import AuditEntry
from app.database import db
from app.outbox import messages
from app.users import User
from events.models import ProgrammeSession
from registrations.models import CANCELLED, CONFIRMED, PASS_ANONYMISED, Booking, Pass, PartyMember
from registrations.services import erasure
from registrations.services.passes import token_hash
from tests.conftest import bearer, login
from tests.privacy.conftest import DELETER, FUTURE, figures_of, identifying_strings, rows_mentioning
from workers.jobs.mail import send_booking_cancelled, send_pass_cancelled
from mail.models import SentMessage


def _delete(client, token):
    return client.delete(f"/api/v1/passes/{token}/personal-data")


def test_after_a_deletion_the_reports_figures_are_the_same_and_the_person_is_nowhere(app, client, held_festival):
    held = held_festival()
    with app.app_context():
        before = figures_of(held.festival_id)
        # The person is in the database before: the search finds them (passes, party, audit log, mail ledger).
        found = {(table, s) for table, _column, s in rows_mentioning(identifying_strings())}
        assert ("passes", DELETER["email"]) in found and ("party_members", "ด.ญ. ลบได้ ทดสอบ") in found
        assert ("audit_entries", DELETER["phone"]) in found and ("sent_messages", DELETER["email"]) in found

    answer = _delete(client, held.tokens["deleter"])
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["id"] == held.ids["deleter"] and body["status"] == "anonymised" and body["anonymised_at"]
    # The workshop was held: its booking stays as history, nothing is cancelled.
    assert body["cancelled_bookings"] == []

    with app.app_context():
        after = figures_of(held.festival_id)
        assert after == before
        summary = after[0]
        # The figures are the scenario's, not an empty report that would also compare equal.
        assert (summary["passes"], summary["people"], summary["cancelled_passes"]) == (2, 5, 1)
        assert (summary["visitors"], summary["visitor_people"]) == (2, 5)
        assert (summary["session_seats_booked"], summary["session_attended_people"]) == (3, 3)
        assert (summary["booth_visits"], summary["booth_visitors"]) == (1, 1)
        assert (summary["scans"], summary["admitted_scans"], summary["refused_scans"]) == (8, 4, 4)
        people = {row[0]: row[3] for row in after[1]["signups_by_age_group"]}
        assert {group: n for group, n in people.items() if n} == {"child": 2, "adult": 1, "senior": 2}
        assert rows_mentioning(identifying_strings()) == []

        pass_ = db.session.get(Pass, held.ids["deleter"])
        assert (pass_.name, pass_.email, pass_.phone) == ("", f"deleted-{pass_.id}@invalid", "")
        assert pass_.status == PASS_ANONYMISED and pass_.anonymised_at is not None
        assert [(m.name, m.age_group) for m in pass_.party] == [("", "child"), ("", "senior")]
        # The consent record stays: proof that consent was given, naming no one.
        assert pass_.consent_version and pass_.consent_locale == "en" and len(pass_.consent_text_sha256) == 64
        # Its links are dead: neither the old tokens nor the stored ones open it.
        assert held.tokens["deleter"] not in (pass_.manage_token,)
        for column, token in ((Pass.manage_token_hash, pass_.manage_token), (Pass.feed_token_hash, pass_.feed_token)):
            assert db.session.scalar(sa.select(Pass.id).where(column == token_hash(token))) is None
        # The audit log keeps that an organiser changed the pass, without what it said.
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.entity == "passes"))
        assert entry.action == "update" and entry.before["phone"] is None and entry.after["phone"] is None
        # The mail ledger keeps that a confirmation went out, without the server's words about the address.
        ledger = db.session.scalar(sa.select(SentMessage).where(SentMessage.pass_id == pass_.id))
        assert ledger.status == "sent" and ledger.last_error is None
        # The other visitors are untouched.
        malee = db.session.get(Pass, held.ids["malee"])
        assert malee.name == "Malee Stays" and malee.email == "malee.stays@example.org" and malee.anonymised_at is None


def test_the_links_answer_404_and_the_qr_code_scans_as_cancelled(app, client, held_festival, make_user):
    held = held_festival(days_ago=0)
    token, feed = held.tokens["deleter"], held.feed_tokens["deleter"]
    assert client.get(f"/passes/{feed}/agenda.ics").status_code == 200
    assert _delete(client, token).status_code == 200

    for path in (f"/api/v1/passes/{token}", f"/passes/{token}", f"/api/v1/passes/{token}/export",
                 f"/api/v1/passes/{token}/qr.png", f"/passes/{token}/delete", f"/passes/{feed}/agenda.ics",
                 f"/passes/{token}/stamp-card"):
        assert client.get(path).status_code == 404, path
    again = _delete(client, token)
    assert again.status_code == 404 and again.get_json()["code"] == "not_found"

    _staff_id, staff = make_user("staff", held.city_id)
    scan = client.post(f"/api/v1/checkpoints/{held.checkpoints['gate']}/scans", headers=bearer(staff),
                       json={"code": held.codes["deleter"], "device_id": "gate-phone-1"})
    assert scan.status_code == 200
    assert scan.get_json()["result"] == "cancelled"
    assert (scan.get_json()["pass"] or {}).get("name", "") == ""
    bundle = client.get(f"/api/v1/festivals/{held.slug}/scanner-bundle", headers=bearer(staff)).get_json()
    with app.app_context():
        public_id = db.session.get(Pass, held.ids["deleter"]).public_id.hex()
    assert public_id in bundle["revoked"]["cancelled"] and public_id not in bundle["passes"]
    assert DELETER["name"] not in str(bundle)


def test_a_deletion_before_the_session_frees_the_seats_for_the_waitlist(app, client, sign_up, workshop):
    session_id = workshop(capacity=3, starts_at=FUTURE)
    deleter = sign_up(name=DELETER["name"], email=DELETER["email"], party=DELETER["party"])
    waiting = sign_up(name="Malee Stays", party=[{"name": "Nong", "age_group": "child"}, {"name": "Kai", "age_group": "adult"}])
    assert client.post(f"/api/v1/passes/{deleter['manage_token']}/bookings", json={"session_id": session_id}).get_json()["status"] == "confirmed"
    queued = client.post(f"/api/v1/passes/{waiting['manage_token']}/bookings", json={"session_id": session_id}).get_json()
    assert queued["status"] == "waitlisted"
    with app.app_context():
        seen = len(messages())

    answer = _delete(client, deleter["manage_token"])
    assert answer.status_code == 200
    cancelled = answer.get_json()["cancelled_bookings"]
    assert [(b["session_id"], b["status"], b["cancelled_by"]) for b in cancelled] == [(session_id, "cancelled", "visitor")]

    with app.app_context():
        new = [(m.topic, m.payload.get("pass_id")) for m in messages()[seen:]]
        assert new == [("booking.cancelled", deleter["id"]), ("booking.promoted", waiting["id"])]
        promoted = db.session.get(Booking, queued["id"])
        assert promoted.status == CONFIRMED and promoted.promoted_at is not None
        session = db.session.get(ProgrammeSession, session_id)
        assert (session.seats_confirmed, session.waitlist_length) == (3, 0)
        # No mail goes to the person who asked to be forgotten, whatever the messages set in motion.
        assert send_booking_cancelled(cancelled[0]["id"], 1) is False
        assert send_pass_cancelled(deleter["id"]) is False
        assert db.session.scalar(sa.select(sa.func.count(SentMessage.id))) == 0
        assert rows_mentioning(identifying_strings()) == []
    # The one who waited sees the seats on their pass.
    mine = client.get(f"/api/v1/passes/{waiting['manage_token']}").get_json()
    assert [(b["id"], b["status"]) for b in mine["bookings"]] == [(queued["id"], "confirmed")]


def test_deleted_addresses_stay_unique_and_the_person_may_sign_up_again(app, client, festival, sign_up):
    first = sign_up(name="First Person", email="same@example.org")
    second = sign_up(name="Second Person", email="other@example.org")
    assert _delete(client, first["manage_token"]).status_code == 200
    assert _delete(client, second["manage_token"]).status_code == 200
    with app.app_context():
        emails = sorted(db.session.scalars(sa.select(Pass.email)))
        assert emails == sorted([f"deleted-{first['id']}@invalid", f"deleted-{second['id']}@invalid"])
    again = sign_up(name="First Person", email="same@example.org")
    assert again["id"] not in (first["id"], second["id"]) and again["status"] == "active"


def test_a_cancelled_pass_can_be_deleted_and_stays_cancelled(app, client, sign_up):
    got = sign_up(name=DELETER["name"], email=DELETER["email"])
    assert client.delete(f"/api/v1/passes/{got['manage_token']}").get_json()["status"] == "cancelled"
    answer = _delete(client, got["manage_token"])
    assert answer.status_code == 200 and answer.get_json()["status"] == "cancelled"
    with app.app_context():
        pass_ = db.session.get(Pass, got["id"])
        assert pass_.anonymised_at is not None and pass_.name == ""
        assert rows_mentioning(identifying_strings()) == []


def test_deleting_twice_through_the_service_changes_nothing(app, sign_up):
    got = sign_up(name=DELETER["name"], email=DELETER["email"], party=DELETER["party"])
    with app.app_context():
        first = erasure.delete_personal_data(got["id"])
        db.session.commit()
        stamp, token_hash_ = first.pass_.anonymised_at, first.pass_.manage_token_hash
        second = erasure.delete_personal_data(got["id"])
        db.session.commit()
        assert second.already and second.cancelled_bookings == []
        assert (second.pass_.anonymised_at, second.pass_.manage_token_hash) == (stamp, token_hash_)
        assert db.session.scalar(sa.select(sa.func.count(PartyMember.id))) == 2


def test_deletion_refuses_an_unknown_token_without_touching_anything(app, client, sign_up):
    got = sign_up(name="Kept Person")
    answer = _delete(client, "x" * 43)
    assert answer.status_code == 404 and answer.get_json()["code"] == "not_found"
    with app.app_context():
        assert db.session.get(Pass, got["id"]).name == "Kept Person"
        assert db.session.scalar(sa.select(sa.func.count(Booking.id)).where(Booking.status == CANCELLED)) == 0


@pytest.mark.parametrize("lang, words", [("th", "ลบข้อมูลส่วนบุคคลแล้ว"), ("en", "Personal data deleted")])
def test_organisers_see_a_deleted_holder_as_such(app, client, held_festival, make_user, lang, words):
    held = held_festival()
    make_user("organiser", held.city_id, password="correct horse battery", email="noi@chiangmai.example")
    assert _delete(client, held.tokens["deleter"]).status_code == 200
    assert login(client, "noi@chiangmai.example", "correct horse battery").status_code == 302
    page = client.get(f"/organiser/festivals/{held.slug}/bookings/{held.sessions['workshop']}?lang={lang}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and words in html
    assert f"deleted-{held.ids['deleter']}@invalid" not in html and "Malee Stays" in html


def test_the_attendee_list_keeps_the_deleted_pass_as_a_row_without_a_person(app, client, held_festival, make_user):
    held = held_festival()
    _organiser_id, token = make_user("organiser", held.city_id)
    assert _delete(client, held.tokens["deleter"]).status_code == 200
    answer = client.get(f"/api/v1/festivals/{held.slug}/attendees.csv", headers=bearer(token))
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    deleted = next(row for row in rows if row["pass_id"] == str(held.ids["deleter"]))
    assert (deleted["name"], deleted["email"], deleted["phone"], deleted["status"]) == ("", "", "", "anonymised")
    assert deleted["party_size"] == "3" and deleted["confirmed_sessions"] == "ทอผ้ากับครอบครัว"
    assert any(row["email"] == "malee.stays@example.org" for row in rows)


def test_a_deletion_made_in_an_organisers_request_leaves_no_name_in_its_own_audit_entry(app, held_festival):
    held = held_festival()
    with app.test_request_context("/organiser/desk"):
        g.principal = db.session.get(User, held.organiser_id)  # e.g. at the information desk, signed in
        erasure.delete_personal_data(held.ids["deleter"])
        db.session.commit()
        entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "passes").order_by(AuditEntry.id)).all()
        assert len(entries) == 2 and entries[-1].before["email"] is None and entries[-1].before["name"] is None
        assert entries[-1].after["status"] == "anonymised"
        assert rows_mentioning(identifying_strings()) == []
        db.session.remove()
