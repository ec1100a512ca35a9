"""GET /bench/floor?id=N: one indexed read (a city by primary key) on the full stack.

Registered only by bench/wsgi.py, when BENCH_FLOOR is set (bench/harness.py sets it), so that each
benchmark can quote its endpoint against the cheapest request this stack serves:
same gunicorn, middleware, session and connection pool, one primary-key SELECT.
The scan floor (bench/scan_floor.py: one read, one duplicate check, one insert) is registered with it.
"""
import os

import sqlalchemy as sa
from flask import Blueprint, jsonify, request

from app.database import db
from app.extensions import csrf
from bench import scan_floor

bp = Blueprint("bench_floor", __name__)


@bp.get("/bench/floor")
def floor():
    cities = db.metadata.tables["cities"]
    city_id = request.args.get("id", default=1, type=int)
    row = db.session.execute(sa.select(cities.c.id, cities.c.slug).where(cities.c.id == city_id)).first()
    return jsonify({"id": row.id, "slug": row.slug} if row else {}), 200 if row else 404


def register(app):
    """Only for benchmarks: BENCH_FLOOR in the app's config, else in the environment."""
    enabled = app.config.get("BENCH_FLOOR")
    if enabled is None:
        enabled = os.environ.get("BENCH_FLOOR", "").strip().lower() in {"1", "true", "yes"}
    if enabled:
        app.register_blueprint(bp)
        # The scan floor is a POST without a session: like the API, it is not a form to protect.
        csrf.exempt(scan_floor.bp)
        app.register_blueprint(scan_floor.bp)
    return app
