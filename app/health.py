"""GET /healthz: the database, Redis and the workers' heartbeats, 200 only when all answer."""
from datetime import datetime, timezone

import sqlalchemy as sa
from flask import Blueprint, jsonify
from rq.utils import utcparse
from rq.worker_registration import REDIS_WORKER_KEYS

from app.auth import public
from app.database import db
from app.redis_conn import health_connection

bp = Blueprint("health", __name__)

HEARTBEAT_STALE_SECONDS = 120


def check_database():
    db.session.execute(sa.text("SELECT 1"))
    return {"ok": True, "dialect": db.engine.dialect.name}


# Both Redis checks go through a client of their own with one-second timeouts and no
# retries: a hung Redis costs a probe about two seconds, and nothing else in the process.
# (rq.Worker.all would build Worker objects, and RQ raises the socket timeout of the
# client a Worker is given to 415 s.)


def check_redis():
    health_connection().ping()
    return {"ok": True}


def check_workers():
    conn = health_connection()
    keys = sorted(conn.smembers(REDIS_WORKER_KEYS))
    with conn.pipeline(transaction=False) as pipeline:
        for key in keys:
            pipeline.hmget(key, "last_heartbeat", "queues")
        rows = pipeline.execute()
    now = datetime.now(timezone.utc)
    alive = []
    for key, (beat, queues) in zip(keys, rows):
        if beat is None:
            continue
        beat = utcparse(beat.decode()).replace(tzinfo=timezone.utc)
        if (now - beat).total_seconds() < HEARTBEAT_STALE_SECONDS:
            name = key.decode().removeprefix("rq:worker:")
            alive.append({"name": name, "queues": (queues or b"").decode().split(","), "last_heartbeat": beat.isoformat()})
    return {"ok": bool(alive), "alive": len(alive), "workers": alive}


@bp.get("/healthz")
@public
def healthz():
    report = {}
    for name, check in (("database", check_database), ("redis", check_redis), ("workers", check_workers)):
        try:
            report[name] = check()
        except Exception as error:  # noqa: BLE001 - a health check reports, it does not raise
            report[name] = {"ok": False, "error": f"{type(error).__name__}: {error}"}
            if name == "database":
                db.session.rollback()
    ok = all(part["ok"] for part in report.values())
    report["status"] = "ok" if ok else "degraded"
    return jsonify(report), 200 if ok else 503
