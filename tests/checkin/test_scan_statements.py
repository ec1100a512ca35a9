"""What a gate scan costs the database: the staff member behind the token and the checkpoint are read
in one statement (app.access reads the checkpoint's city beside the caller), and the scan then reads
the checkpoint from the session instead of a second time. Bad tokens and other cities stay refused."""

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
