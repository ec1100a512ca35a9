"""Measuring revalidation: wrk sending If-None-Match, so that every answer is a 304 without a body.

Shared by the feeds, programme and pages benches (no `run`: bench.run_all skips this module).
"""
import json
import os
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request

from bench.harness import WRK_SCRIPT, Result


def available():
    """Only wrk can send the header on every request; the threaded driver cannot."""
    return shutil.which("wrk") is not None


def etag_of(stack, path):
    with urllib.request.urlopen(stack.base_url + path, timeout=30) as answer:
        answer.read()
        return answer.headers["ETag"]


def _ensure_304(stack, path, etag):
    """Fail loudly rather than measure 200s under a 304 label."""
    request = urllib.request.Request(stack.base_url + path, headers={"If-None-Match": etag})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            status = answer.status
    except urllib.error.HTTPError as error:  # urllib files a 304 under errors
        status = error.code
    if status != 304:
        raise RuntimeError(f"{path} with If-None-Match answered {status}, not 304")


def measure_conditional(stack, path, etag, label):
    """wrk with If-None-Match: every answer should be a 304 without a body."""
    _ensure_304(stack, path, etag)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        out = subprocess.run(
            ["wrk", "-t", "2", "-c", str(stack.connections), "-d", f"{int(stack.seconds)}s", "--timeout", "10s",
             "-H", f"If-None-Match: {etag}", "-s", script.name, stack.base_url + path],
            capture_output=True, text=True, check=True, timeout=stack.seconds + 30,
        ).stdout
    finally:
        os.unlink(script.name)
    data = json.loads(next(line for line in out.splitlines() if line.startswith("BENCH_JSON "))[len("BENCH_JSON "):])
    duration = data["duration_us"] / 1e6
    return Result(
        label=label, path=path, requests=data["requests"], seconds=round(duration, 2),
        rps=round(data["requests"] / duration, 1), p50_ms=round(data["p50_us"] / 1000, 2),
        p95_ms=round(data["p95_us"] / 1000, 2), p99_ms=round(data["p99_us"] / 1000, 2),
        errors=data["errors"], non_2xx=0,  # a 304 is what we ask for; wrk counts it as non-2xx
        kb_per_response=round(data["bytes"] / max(1, data["requests"]) / 1024, 2), driver="wrk",
    )
