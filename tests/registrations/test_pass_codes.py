"""registrations.pass_codes with the festival keys in the database: what check-in relies on."""
import pytest
import sqlalchemy as sa

from app.database import db
from registrations import pass_codes
from registrations.models import FestivalKey, Pass


def test_one_key_per_festival_made_on_first_sign_up(app, sign_up, festival, make_festival):
    sign_up()
    sign_up()
    other = make_festival(festival.city_id, slug="other-days")
    with app.app_context():
        keys = db.session.scalars(sa.select(FestivalKey)).all()
        assert [k.festival_id for k in keys] == [festival.id]
        assert pass_codes.festival_key(festival.id).id == keys[0].id
        assert pass_codes.public_keys(other) == []


def test_codes_verify_and_are_stable(app, sign_up, client):
    got = sign_up()
    assert client.get(f"/api/v1/passes/{got['manage_token']}").get_json()["code"] == got["code"]
    with app.app_context():
        parsed = pass_codes.verify(got["code"].lower(), pass_codes.public_keys)  # scanners may read lower case
        assert parsed.public_id == db.session.get(Pass, got["id"]).public_id


def test_a_code_from_another_festival_or_a_forged_one_is_invalid(app, sign_up, festival, make_festival):
    make_festival(festival.city_id, slug="other-days")
    mine, theirs = sign_up(), sign_up(slug="other-days")
    with app.app_context():
        theirs_parsed = pass_codes.verify(theirs["code"], pass_codes.public_keys)
        # Festival A's key cannot vouch for festival B's code.
        with pytest.raises(pass_codes.InvalidCode):
            pass_codes.verify(theirs["code"], lambda _fid: pass_codes.public_keys(festival.id))
        key = pass_codes.festival_key(festival.id)
        forged = pass_codes.encode(theirs_parsed.festival_id, theirs_parsed.public_id, 1, key.private_key)
        with pytest.raises(pass_codes.InvalidCode):
            pass_codes.verify(forged, pass_codes.public_keys)
    for broken in (mine["code"][:-1], mine["code"] + "A", "", "0" * pass_codes.CODE_LENGTH):
        with app.app_context(), pytest.raises(pass_codes.InvalidCode):
            pass_codes.verify(broken, pass_codes.public_keys)


def test_a_raised_serial_gives_a_new_code_and_the_old_one_still_parses_with_its_serial(app, sign_up):
    got = sign_up()
    with app.app_context():
        pass_ = db.session.get(Pass, got["id"])
        pass_.serial += 1
        new_code = pass_codes.issue(pass_)
        assert new_code != got["code"]
        assert pass_codes.verify(got["code"], pass_codes.public_keys).serial == 1
        assert pass_codes.verify(new_code, pass_codes.public_keys).serial == 2
        db.session.rollback()


def test_codes_signed_with_a_retired_key_still_verify(app, sign_up, festival):
    old = sign_up()
    with app.app_context():
        key = pass_codes.festival_key(festival.id)
        key.active = False
        db.session.flush()
        fresh = pass_codes.festival_key(festival.id)
        assert fresh.id != key.id
        db.session.commit()
        assert pass_codes.verify(old["code"], pass_codes.public_keys).festival_id == festival.id
        reissued = pass_codes.issue(db.session.get(Pass, old["id"]))
        assert reissued != old["code"] and pass_codes.verify(reissued, pass_codes.public_keys)
