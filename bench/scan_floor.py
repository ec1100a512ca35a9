"""POST /bench/scan-floor/<checkpoint_id> {code, device_id}: the least a gate scan can do, on the full stack.

One indexed read (the pass by its public id, read from the code without checking the
signature), one duplicate check (a scan of that pass admitted at that checkpoint) and
one insert (the scan), then the commit: no token, no limiter, no rules, no ORM objects.
bench/gate_rush.py measures it in the same run as the real scan and quotes the scan's
throughput as a share of it, beside the share of the one-read floor (bench/floor.py).

Registered only with the one-read floor (bench/floor.register, under BENCH_FLOOR). Give it
a checkpoint of its own: the rows it writes are scans, and a bench that checks "admitted
once" at the real gate must not count them.
"""
import sqlalchemy as sa
from flask import Blueprint, jsonify, request

from app.database import db, now_utc
from registrations import pass_codes

bp = Blueprint("bench_scan_floor", __name__)


@bp.post("/bench/scan-floor/<int:checkpoint_id>")
def scan_floor(checkpoint_id):
    body = request.get_json(silent=True) or {}
    try:
        parsed, _payload, _signature = pass_codes.parse(body.get("code"))
    except pass_codes.InvalidCode:
        return jsonify({"result": "invalid"}), 200
    tables = db.metadata.tables
    passes, scans = tables["passes"], tables["scans"]
    row = db.session.execute(
        sa.select(passes.c.id, passes.c.festival_id).where(passes.c.public_id == parsed.public_id)
    ).first()
    if row is None:
        return jsonify({"result": "invalid"}), 200
    seen = db.session.execute(
        sa.select(scans.c.id).where(scans.c.checkpoint_id == checkpoint_id, scans.c.pass_id == row.id,
                                    scans.c.result == "admitted").limit(1)
    ).first()
    result = "already_admitted" if seen else "admitted"
    at = now_utc()
    scan_id = db.session.execute(
        sa.insert(scans).values(
            checkpoint_id=checkpoint_id, festival_id=row.festival_id, pass_id=row.id, result=result, detail="",
            direction="in", walk_in=False, source="staff", rehearsal=False, party_size=1,
            device_id=str(body.get("device_id") or ""), scanned_at=at, received_at=at,
        ).returning(scans.c.id)
    ).scalar_one()
    db.session.commit()
    return jsonify({"result": result, "scan_id": scan_id}), 200
