"""GET /healthz: the database, Redis and the workers' heartbeats, 200 only when all answer."""
from datetime import datetime, timezone

import sqlalchemy as sa
from flask import Blueprint, jsonify
from rq import Worker

from app.auth import public
from app.database import db
from app.redis_conn import connection

bp = Blueprint("health", __name__)

HEARTBEAT_STALE_SECONDS = 120


def check_database():
    db.session.execute(sa.text("SELECT 1"))
    return {"ok": True, "dialect": db.engine.dialect.name}


def check_redis():
    connection().ping()
    return {"ok": True}


def check_workers():
    workers = Worker.all(connection=connection())
    now = datetime.now(timezone.utc)
    alive = []
    for worker in workers:
        beat = worker.last_heartbeat
        if beat is not None and beat.tzinfo is None:
            beat = beat.replace(tzinfo=timezone.utc)
        if beat is not None and (now - beat).total_seconds() < HEARTBEAT_STALE_SECONDS:
            alive.append({"name": worker.name, "queues": worker.queue_names(), "last_heartbeat": beat.isoformat()})
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
