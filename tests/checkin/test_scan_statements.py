"""What a gate scan costs the database: the staff member behind the token and the checkpoint are read
in one statement (app.access reads the checkpoint's city beside the caller), and the scan then reads
the checkpoint from the session instead of a second time. Bad tokens and other cities stay refused."""
import pytest
import sqlalchemy as sa

from app.database import db
from checkin.models import Admission, Scan
from tests.checkin.conftest import scan
from tests.conftest import bearer, statements_of


def test_a_staff_scan_reads_its_caller_and_checkpoint_in_one_statement(app, client, world, make_pass):
    made = make_pass(world.festival_id)
    answer, statements = statements_of(app, lambda: scan(client, world.gate_id, made.code, world.staff))
    assert answer.status_code == 200 and answer.get_json()["result"] == "admitted"
    reads_of_the_caller = [s for s in statements if "api_tokens" in s]
    reads_of_the_checkpoint = [s for s in statements if "FROM checkpoints" in s or "JOIN checkpoints" in s]
    assert len(reads_of_the_caller) == 1, statements
    assert reads_of_the_checkpoint == reads_of_the_caller, statements


def test_a_bad_token_and_another_citys_staff_are_still_refused(client, world, make_pass, make_user, make_city):
    made = make_pass(world.festival_id)
    assert scan(client, world.gate_id, made.code, bearer("tsk_not-a-real-token")).status_code == 401
    other_city = make_city(slug="other-city-scan", name_th="เมืองอื่น", name_en="Other city")
    _, outsider = make_user("staff", city_id=other_city)
    refused = scan(client, world.gate_id, made.code, bearer(outsider))
    assert refused.status_code == 403
    assert scan(client, 2**31 - 2, made.code, world.staff).status_code == 404


def _rows(app, pass_id, checkpoint_id):
    """The pass's admission at the checkpoint and its scans there, as stored."""
    with app.app_context():
        admission = db.session.scalars(
            sa.select(Admission).where(Admission.pass_id == pass_id, Admission.checkpoint_id == checkpoint_id)).one()
        scans = db.session.scalars(
            sa.select(Scan).where(Scan.pass_id == pass_id, Scan.checkpoint_id == checkpoint_id).order_by(Scan.id)).all()
        found = (
            {name: getattr(admission, name) for name in ("first_scan_id", "first_scanned_at", "walk_in", "party_size",
                                                         "inside", "moved_at", "festival_id")},
            [{name: getattr(scan, name) for name in ("id", "result", "detail", "direction", "walk_in", "rehearsal",
                                                     "source", "party_size", "device_id", "local_id", "staff_user_id",
                                                     "scanned_at", "festival_id")} for scan in scans],
        )
        db.session.remove()
    return found


@pytest.mark.parametrize("kind", ["gate", "booth"])
def test_a_first_entry_stores_its_admission_and_scan_in_one_statement(app, client, world, make_pass, kind):
    """On PostgreSQL a pass's first entry at a gate or booth is one statement that reads the pass and
    inserts its admission already admitted beside the scan: no second write of the admission. Both
    stacks store the same rows: the admission names the scan, the party is inside from its time."""
    checkpoint_id = world.gate_id if kind == "gate" else world.booth_checkpoint_id
    made = make_pass(world.festival_id, party=(("น้องนก", "child"), ("คุณยาย", "senior")))
    postgres = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")

    answer, statements = statements_of(
        app, lambda: scan(client, checkpoint_id, made.code, world.staff, local_id="phone-7"))

    body = answer.get_json()
    assert answer.status_code == 200 and body["result"] == "admitted" and body["party_size"] == 3, body
    writes = [s for s in statements if s.split()[0] in ("INSERT", "UPDATE", "DELETE") or "INSERT INTO" in s]
    if postgres:
        assert len(writes) == 1 and "INSERT INTO admissions" in writes[0] and "INSERT INTO scans" in writes[0], writes
        assert not [s for s in statements if "UPDATE admissions" in s], statements
    admission, scans = _rows(app, made.id, checkpoint_id)
    [stored] = scans
    assert stored["id"] == body["scan_id"] == admission["first_scan_id"], (stored, body, admission)
    assert admission == {
        "first_scan_id": stored["id"], "first_scanned_at": stored["scanned_at"], "walk_in": False, "party_size": 3,
        "inside": True, "moved_at": stored["scanned_at"], "festival_id": world.festival_id,
    }
    assert {k: v for k, v in stored.items() if k not in ("id", "scanned_at")} == {
        "result": "admitted", "detail": "", "direction": "in", "walk_in": False, "rehearsal": False,
        "source": "staff", "party_size": 3, "device_id": "test", "local_id": "phone-7",
        "staff_user_id": world.staff_id, "festival_id": world.festival_id,
    }

    # The second scan finds that admission (locked, not admitted again) and is stored beside it.
    again = scan(client, checkpoint_id, made.code, world.staff).get_json()
    assert again["result"] == "already_admitted", again
    admission_after, scans_after = _rows(app, made.id, checkpoint_id)
    assert admission_after == admission and [s["result"] for s in scans_after] == ["admitted", "already_admitted"]
