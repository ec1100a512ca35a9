"""At 00:30 in Bangkok it is still yesterday in UTC: every date a person reads is the festival's (or the city's).

The clock is frozen (time-machine) at 17:30 UTC on 21 August 2027, which is 00:30 on 22 August in Bangkok; a
phone is paired and a visitor signs up at that instant. No page and no mail may then show 21 August.
"""
from datetime import datetime, timezone

import time_machine

from app.database import db
from checkin.models import ScannerDevice
from registrations import services as registrations
from tests.conftest import login
from tests.thai.test_thai_everywhere import html_pages, visible, world  # noqa: F401  (world: a fixture)
from mail.services import content
from mail.services.sending import write_message

INSTANT = datetime(2027, 8, 21, 17, 30, tzinfo=timezone.utc)  # 00:30 on Sunday 22 August in Bangkok
UTC_DAY = ("21 สิงหาคม 2570", "21 ส.ค. 70", "21 August 2027", "21 Aug 2027")
LOCAL_DAY = ("22 สิงหาคม 2570", "22 ส.ค. 70")


def test_pages_and_mails_at_half_past_midnight_in_bangkok_show_the_local_day(app, client, world, seed):  # noqa: F811
    with time_machine.travel(INSTANT, tick=False):
        with app.app_context():
            admin = db.session.scalar(db.select(db.metadata.tables["users"].c.id).where(
                db.metadata.tables["users"].c.email == "admin@example.org"))
            db.session.add(ScannerDevice(festival_id=seed.festival_id, user_id=admin, token_hash="e" * 64, label="โทรศัพท์ประตู 1"))
            signed = registrations.sign_up(seed.slug, name="ดาว", email="dao@example.org", age_group="adult",
                                           consent=True, locale="th")
            db.session.commit()
            pass_id = signed.pass_.id
            db.session.remove()

        login(client, "admin@example.org", "pw-admin-1")
        client.set_cookie("lang", "th")
        leaks = {}
        for url, endpoint in html_pages(app, world):
            answer = client.get(url)
            if answer.status_code == 200 and answer.content_type.startswith("text/html"):
                text = visible(answer.get_data(as_text=True))
                found = [day for day in UTC_DAY if day in text]
                if found:
                    leaks[url] = found
        network = visible(client.get("/network").get_data(as_text=True))
        assert "22 สิงหาคม 2570" in network  # "as of" today in Bangkok
        phones = visible(client.get(f"/organiser/festivals/{seed.slug}/checkpoints").get_data(as_text=True))
        assert "โทรศัพท์ประตู 1" in phones and "22 ส.ค. 70 00:30" in phones

        with app.app_context():
            from registrations.models import Pass

            holder = db.session.get(Pass, pass_id)
            for write in (content.confirmation, content.manage_link):
                message = write_message(holder, lambda locale, write=write: write(holder, locale), "<t@thetsakan.example>")
                for part in ("plain", "html"):
                    text = message.get_body(preferencelist=(part,)).get_content()
                    found = [day for day in UTC_DAY if day in text]
                    if found:
                        leaks[f"mail {write.__name__} ({part})"] = found
            db.session.remove()
    assert leaks == {}
    assert any(day in network for day in LOCAL_DAY)
