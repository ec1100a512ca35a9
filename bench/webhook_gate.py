"""What a gate scan pays for partners' webhooks: admitted scans through checkin's own service, in
process (no HTTP), with no endpoint, with an endpoint of the city that wants other topics, and with
one that wants scan.admitted (the only case that writes a scan.admitted outbox row).

    DATABASE_URL=postgresql+psycopg://... .venv/bin/python -m bench.webhook_gate   (WEBHOOK_GATE_SCANS, default 2000)

The database is emptied first: point it at a scratch database.
"""
import os
import statistics
import tempfile
import time
from datetime import date

import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.database import db
from app.outbox import OutboxMessage
from checkin.checkpoints import create_checkpoint
from checkin.scanning import scan_code
from events.models import City, Festival
from registrations import pass_codes
from registrations.models import Pass
from webhooks.models import WebhookEndpoint

SCANS = int(os.environ.get("WEBHOOK_GATE_SCANS", "2000"))


def _passes(festival_id, n, offset):
    rows = []
    for i in range(n):
        rows.append(Pass(festival_id=festival_id, public_id=pass_codes.new_public_id(), manage_token=f"m{offset + i}",
                         manage_token_hash=f"{offset + i:064d}", feed_token=f"f{offset + i}",
                         feed_token_hash=f"{offset + i:063d}f", name="Bench", email=f"b{offset + i}@example.org",
                         age_group="adult", consent_version="v1", consent_locale="th", consent_text_sha256="c" * 64,
                         consent_at=sa.func.now()))
    db.session.add_all(rows)
    db.session.flush()
    return [pass_codes.issue(p) for p in rows]


def _run(gate_id, codes):
    from checkin.models import Checkpoint
    timings = []
    for code in codes:
        started = time.perf_counter()
        gate = db.session.get(Checkpoint, gate_id)
        outcome = scan_code(gate, code, device_id="bench")
        db.session.commit()
        timings.append(time.perf_counter() - started)
        assert outcome.result == "admitted", outcome.result
    return timings


def main():
    app = create_app({"INSTANCE_DIR": tempfile.mkdtemp(), "REDIS_URL": os.environ.get("REDIS_URL")})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        from app import relay
        relay.pause(3600)  # measure the scan's transaction, not the hand-over to Redis
        city = City(slug="bench", name_th="เมือง", name_en="City")
        db.session.add(city)
        db.session.flush()
        festival = Festival(slug="bench-fest", city_id=city.id, name_th="ท", name_en="F", starts_on=date(2026, 1, 1),
                            ends_on=date(2030, 1, 1), venue_th="", venue_en="", address="", status="published")
        db.session.add(festival)
        db.session.flush()
        gate = create_checkpoint(festival, name="Gate", kind="gate")
        codes = _passes(festival.id, SCANS * 3, 0)
        db.session.commit()
        results = {}
        for n, (label, topics) in enumerate((("no endpoint", None), ("endpoint, other topics", ["pass.created"]),
                                             ("endpoint wants scan.admitted", ["scan.admitted"]))):
            if topics:
                db.session.execute(sa.delete(WebhookEndpoint))
                db.session.add(WebhookEndpoint(city_id=city.id, url="https://partner.example/h", topics=topics,
                                               secret="whsec_bench"))
                db.session.commit()
            timings = _run(gate.id, codes[n * SCANS:(n + 1) * SCANS])
            rows = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                                     .where(OutboxMessage.topic == "scan.admitted"))
            results[label] = (statistics.mean(timings) * 1000, statistics.median(timings) * 1000, rows)
        from app.outbox import wanted
        checks = []
        for _ in range(SCANS):
            started = time.perf_counter()
            wanted("scan.admitted", festival_id=festival.id)
            checks.append(time.perf_counter() - started)
        db.session.rollback()
        base = results["no endpoint"][0]
        print(f"{db.engine.dialect.name}, {SCANS} admitted scans each")
        for label, (mean, median, rows) in results.items():
            print(f"  {label:32s} mean {mean:6.3f} ms  median {median:6.3f} ms  x{mean / base:4.2f}  "
                  f"scan.admitted rows so far: {rows}")
        check = statistics.median(checks) * 1000
        print(f"  the check alone (an endpoint listens): median {check:6.3f} ms, "
              f"{check / results['no endpoint'][1]:.1%} of a scan's median")


if __name__ == "__main__":
    main()
