"""Gate rush: 16 scanners admitting distinct passes at one gate, through gunicorn and PostgreSQL, for 30 s;
then the same with 10% of scans repeating a pass already admitted. Throughput and p50/p95/p99 of
POST /api/v1/checkpoints/{id}/scans, as a ratio to two floors measured in the same run: the one-read
floor (bench/floor.py) and the scan floor (bench/scan_floor.py: one indexed read, one duplicate check
and one insert, the least a scan can do), driven like the scan (same codes, same wrk script).

    .venv/bin/python -m bench.gate_rush         (GATE_RUSH_SECONDS, default 30; BENCH_CONNECTIONS, default 16;
                                                 GATE_RUSH_PHONES, staff tokens the scans rotate over, default 64)

After the run it checks the database: every pass scanned was admitted exactly once.
"""
import hashlib
import http.client
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from datetime import date, timedelta
from random import Random

import sqlalchemy as sa

from app.database import db, now_utc
from app.users import create_user, issue_token
from bench.harness import WRK_SCRIPT, Stack, cpu_ms_per_request, report, stack_cpu, threads_result, wrk_result
from checkin.checkpoints import create_checkpoint
from checkin.models import Scan
from events.models import City, Festival
from registrations import pass_codes
from registrations.models import Pass

SECONDS = float(os.environ.get("GATE_RUSH_SECONDS", "30"))
PASSES = int(os.environ.get("GATE_RUSH_PASSES", "40000"))
# Phones at the gate, each with its own staff token. The scan limit is per scanner (600 a
# minute, app/limits.py); a rush from one token would measure the limiter, not the scan.
PHONES = int(os.environ.get("GATE_RUSH_PHONES", "64"))

RUSH_LUA = r"""
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  codes = {}
  for line in io.lines(args[1]) do codes[#codes + 1] = line end
  tokens = {}
  for line in io.lines(args[4]) do tokens[#tokens + 1] = line end
  dup, nthreads, path = tonumber(args[2]), tonumber(args[3]), args[5]
  step, sent, used = 0, 0, {}
  math.randomseed(2027 + id)
end

function request()
  local code
  if #used > 0 and math.random() < dup then
    code = used[math.random(#used)]
  else
    local index = id + step * nthreads + 1
    step = step + 1
    if index > #codes then io.stderr:write("gate_rush: out of distinct passes\n"); index = ((index - 1) % #codes) + 1 end
    code = codes[index]
    used[#used + 1] = code
  end
  sent = sent + 1
  local token = tokens[((id + sent * nthreads) % #tokens) + 1]
  return wrk.format("POST", path, {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token},
                    '{"code":"' .. code .. '","device_id":"bench-' .. id .. '"}')
end
"""


def seed(passes):
    """A published festival with one gate, PHONES staff tokens and `passes` signed pass codes."""
    city = City(slug="bench-gate-city", name_th="เมืองทดสอบ", name_en="Bench city")
    db.session.add(city)
    db.session.flush()
    # On today's dates: a scan outside the festival's days is a rehearsal, which stores no admission,
    # and the bench would measure (and check "admitted once" on) a cheaper path than a gate's.
    today = date.today()
    festival = Festival(slug="bench-gate-rush", city_id=city.id, name_th="เทศกาลทดสอบประตู", name_en="Gate rush",
                        starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=1), status="published")
    db.session.add(festival)
    db.session.flush()
    gate = create_checkpoint(festival, name="Main gate", kind="gate")
    # The scan floor writes its scans at a gate of its own: the "admitted once" check reads the main gate only.
    floor_gate = create_checkpoint(festival, name="Floor gate", kind="gate")
    tokens = [issue_token(create_user(f"gate-staff-{n}@bench.example", "staff", city_id=city.id))
              for n in range(PHONES)]
    key = pass_codes.festival_key(festival.id)
    codes, rows, at = [], [], now_utc()
    for n in range(passes):
        public_id = pass_codes.new_public_id()
        manage, feed = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        rows.append(dict(
            festival_id=festival.id, public_id=public_id, serial=1, manage_token=manage,
            manage_token_hash=hashlib.sha256(manage.encode()).hexdigest(), feed_token=feed,
            feed_token_hash=hashlib.sha256(feed.encode()).hexdigest(), name=f"Visitor {n}",
            email=f"visitor{n}@bench.example", phone="", age_group="adult", locale="th", status="active",
            consent_version="bench", consent_locale="th", consent_text_sha256="0" * 64, consent_at=at, created_at=at,
        ))
        codes.append(pass_codes.encode(festival.id, public_id, 1, key.private_key))
    for start in range(0, len(rows), 5000):
        db.session.execute(sa.insert(Pass), rows[start:start + 5000])
    return {"tokens": tokens, "gate_id": gate.id, "floor_gate_id": floor_gate.id, "codes": codes}


def outcome(gate_id):
    """Scans by result, and whether any pass was admitted twice."""
    by_result = dict(db.session.execute(
        sa.select(Scan.result, sa.func.count()).where(Scan.checkpoint_id == gate_id).group_by(Scan.result)).all())
    twice = db.session.scalar(sa.select(sa.func.count()).select_from(
        sa.select(Scan.pass_id).where(Scan.checkpoint_id == gate_id, Scan.result == "admitted")
        .group_by(Scan.pass_id).having(sa.func.count() > 1).subquery()))
    return by_result, twice


def rush(stack, seeded, codes, duplicates, label, path=None):
    path = path or f"/api/v1/checkpoints/{seeded['gate_id']}/scans"
    if shutil.which("wrk"):
        return _rush_wrk(stack, path, seeded["tokens"], codes, duplicates, label)
    return _rush_threads(stack, path, seeded["tokens"], codes, duplicates, label)


def _rush_wrk(stack, path, tokens, codes, duplicates, label):
    threads = 2
    with tempfile.TemporaryDirectory() as tmp:
        codes_file, script = os.path.join(tmp, "codes.txt"), os.path.join(tmp, "rush.lua")
        tokens_file = os.path.join(tmp, "tokens.txt")
        for name, lines in ((codes_file, codes), (tokens_file, tokens)):
            with open(name, "w") as out:
                out.write("\n".join(lines) + "\n")
        with open(script, "w") as out:
            out.write(RUSH_LUA + WRK_SCRIPT)
        run = subprocess.run(
            ["wrk", "-t", str(threads), "-c", str(stack.connections), "-d", f"{int(SECONDS)}s", "--timeout", "10s",
             "-s", script, stack.base_url + path, "--", codes_file, str(duplicates), str(threads), tokens_file, path],
            capture_output=True, text=True, check=True, timeout=SECONDS + 60,
        )
    if "out of distinct passes" in run.stderr:
        raise SystemExit("gate_rush: more scans than seeded passes: raise GATE_RUSH_PASSES")
    return wrk_result(run.stdout, label, path)


def _rush_threads(stack, path, tokens, codes, duplicates, label):
    """Without wrk: 16 threads, each with a keep-alive connection, taking distinct codes from one list."""
    latencies, failures, lock = [], [0, 0], threading.Lock()
    remaining = iter(codes)
    stop_at = time.monotonic() + SECONDS
    port = int(stack.base_url.rsplit(":", 1)[1])

    def scanner(n):
        random, used, mine = Random(2027 + n), [], []
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        sent = 0
        while time.monotonic() < stop_at:
            sent += 1
            token = tokens[(n + sent * stack.connections) % len(tokens)]
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
            if used and random.random() < duplicates:
                code = random.choice(used)
            else:
                with lock:
                    code = next(remaining)
                used.append(code)
            started = time.perf_counter()
            try:
                conn.request("POST", path, json.dumps({"code": code, "device_id": f"bench-{n}"}), headers)
                answer = conn.getresponse()
                answer.read()
            except OSError:
                failures[0] += 1
                conn.close()
                continue
            mine.append(time.perf_counter() - started)
            if answer.status != 200:
                failures[1] += 1
        with lock:
            latencies.extend(mine)

    began = time.monotonic()
    workers = [threading.Thread(target=scanner, args=(n,)) for n in range(stack.connections)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return threads_result(label, path, latencies, time.monotonic() - began, failures[0], failures[1])


def _with_cpu(stack, run, cpu):
    """run(), noting in `cpu` (label -> ms) the CPU per request gunicorn and PostgreSQL spent on it."""
    before = stack_cpu(stack)
    result = run()
    cpu[result.label] = cpu_ms_per_request(before, stack_cpu(stack), result.requests)
    return result


def run(stack):
    seeded = stack.seed(seed, PASSES)
    half = len(seeded["codes"]) // 2
    cpu = {}
    floor = _with_cpu(stack, lambda: stack.floor(seconds=SECONDS), cpu)
    # Distinct passes at a gate of its own, so it may use every code (the main gate's runs use them again).
    scan_floor = _with_cpu(stack, lambda: rush(stack, seeded, seeded["codes"], 0.0, "scan floor (read, check, insert)",
                                                 path=f"/bench/scan-floor/{seeded['floor_gate_id']}"), cpu)
    distinct = _with_cpu(stack, lambda: rush(stack, seeded, seeded["codes"][:half], 0.0, "scan: distinct passes"), cpu)
    repeated = _with_cpu(stack, lambda: rush(stack, seeded, seeded["codes"][half:], 0.1, "scan: 10% duplicates"), cpu)
    rows = report([floor, scan_floor, distinct, repeated],
                  title=f"gate rush: {stack.connections} scanners, {SECONDS:.0f} s each, one gate")
    scan_floor_cpu = cpu[scan_floor.label]
    rows = [{**row, "ratio_to_scan_floor": _share(row["rps"], scan_floor.rps),
             "p99_to_scan_floor": _share(row["p99_ms"], scan_floor.p99_ms), "cpu_ms": cpu[row["label"]],
             "scan_floor_cpu_to_cpu": _share(scan_floor_cpu, cpu[row["label"]])} for row in rows]
    print("   against the scan floor (throughput share; p99 as a multiple of the floor's p99; CPU per request")
    print("   of gunicorn and PostgreSQL, and the scan floor's CPU as a share of it: the throughput the CPU allows):")
    for row in rows[1:]:
        print(f"   {row['label']:<34} {row['ratio_to_scan_floor']:>6.3f}x  p99 {row['p99_to_scan_floor']:>5.2f}x"
              f"   CPU {row['cpu_ms']:>5.2f} ms ({row['scan_floor_cpu_to_cpu']:.3f}x)"
              f"   (one-read floor: {row['ratio_to_floor']:.3f}x)")
    by_result, twice = stack.seed(outcome, seeded["gate_id"])
    print(f"   stored scans by result: {by_result}; passes admitted twice: {twice}")
    if twice:
        raise SystemExit("gate_rush: a pass was admitted twice")
    return {"rows": rows, "scans_by_result": by_result}


def _share(value, of):
    return round(value / of, 4) if of else None


if __name__ == "__main__":
    with Stack() as running:
        run(running)
