"""CPU per gate scan in-process: the whole request (token, limits, rules, commit) through Flask's
test client on PostgreSQL and Redis, against the one-read floor and the scan floor in the same
process. CPU time (time.process_time) does not depend on what else the machine runs, so this is
the ratio to quote when the gunicorn figures swing.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_cpu BENCH_REDIS_URL=redis://127.0.0.1:6379/5 \
        .venv/bin/python -m bench.scan_cpu              (SCAN_CPU_SCANS per round, default 400; SCAN_CPU_ROUNDS, 3)
    SCAN_CPU_PROFILE=1 ...                              (also prints cProfile's top functions, by CPU time, for the scan)

The database is dropped and made afresh (its name must start with "bench").
"""
import cProfile
import io
import os
import pstats
import time

from app.database import db
from app.redis_conn import connection
from bench import gate_rush
from bench.harness import _any_city_id, in_process_app, recreate_database, settings

SCANS = int(os.environ.get("SCAN_CPU_SCANS", "400"))
ROUNDS = int(os.environ.get("SCAN_CPU_ROUNDS", "3"))


def _cpu_ms(client, requests):
    """CPU milliseconds per request (this process: Flask, SQLAlchemy, the driver; not PostgreSQL's)."""
    started = time.process_time()
    for method, path, kwargs in requests:
        answer = client.open(path, method=method, **kwargs)
        if answer.status_code != 200:
            raise SystemExit(f"scan_cpu: {path} answered {answer.status_code}: {answer.get_data(as_text=True)[:200]}")
    return (time.process_time() - started) * 1000 / len(requests)


def _scans(seeded, codes, path):
    tokens = seeded["tokens"]
    return [("POST", path, {"json": {"code": code, "device_id": "cpu"},
                            "headers": {"Authorization": f"Bearer {tokens[n % len(tokens)]}"}})
            for n, code in enumerate(codes)]


def main():
    config = settings()
    recreate_database(config["database_url"])
    app = in_process_app(config["database_url"], config["redis_url"], "thetsakan-scan-cpu-")
    with app.app_context():
        connection().flushdb()
        seeded = gate_rush.seed(SCANS * (ROUNDS + 2))  # the rounds, the profile, the warm-up
        city_id = _any_city_id()
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    codes = seeded["codes"]
    scan_path = f"/api/v1/checkpoints/{seeded['gate_id']}/scans"
    floor_path = f"/bench/scan-floor/{seeded['floor_gate_id']}"
    # Warm up every path once (imports, caches, the pool), with codes the rounds do not use.
    warm = codes[-SCANS:]
    _cpu_ms(client, _scans(seeded, warm[:20], scan_path) + _scans(seeded, warm[:20], floor_path))
    print(f"CPU ms per request in-process, {SCANS} requests a round")
    print(f"{'round':>5} {'one-read floor':>15} {'scan floor':>11} {'scan':>8} {'scan/scan floor':>16} {'scan/floor':>11}")
    for round_ in range(ROUNDS):
        chunk = codes[round_ * SCANS:(round_ + 1) * SCANS]
        floor = _cpu_ms(client, [("GET", f"/bench/floor?id={city_id}", {})] * SCANS)
        scan_floor = _cpu_ms(client, _scans(seeded, chunk, floor_path))
        scan = _cpu_ms(client, _scans(seeded, chunk, scan_path))
        print(f"{round_ + 1:>5} {floor:>15.2f} {scan_floor:>11.2f} {scan:>8.2f} {scan / scan_floor:>16.2f} "
              f"{scan / floor:>11.2f}")
    if os.environ.get("SCAN_CPU_PROFILE"):
        # CPU, not the wall clock: waits on PostgreSQL and Redis are not the scan's own work.
        profile = cProfile.Profile(time.process_time)
        requests = _scans(seeded, codes[ROUNDS * SCANS:(ROUNDS + 1) * SCANS], scan_path)
        profile.enable()
        _cpu_ms(client, requests)
        profile.disable()
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(os.environ.get("SCAN_CPU_PROFILE_SORT", "cumulative")).print_stats(60)
        print(out.getvalue())


if __name__ == "__main__":
    main()
