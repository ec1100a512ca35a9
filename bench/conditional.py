"""Measuring revalidation: wrk sending If-None-Match, so that every answer is a 304 without a body.

Shared by the feeds, programme and pages benches (no `run`: bench.run_all skips this module).
"""
import shutil
import urllib.error
import urllib.request

from bench.harness import run_wrk


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
    result = run_wrk(stack.base_url, path, label, stack.seconds, stack.connections,
                     headers=(f"If-None-Match: {etag}",))
    result.non_2xx = 0  # a 304 is what we ask for; wrk counts it as non-2xx
    return result
