"""Conditional GET: answer 304 from a validator known before the body is built.

The validators are weak ETags (W/"..."): they name the state an answer is made from
(rows, filters, language, the code that renders it), not its bytes, and they survive the
reverse proxy's gzip, which turns strong ETags into weak ones anyway. If-None-Match is
compared weakly, as RFC 9110 asks for GET.
"""
import hashlib
from pathlib import Path

from flask import Response, current_app, request

# Anyone may keep it, but asks again every time: a 304 costs a few small queries, and an
# organiser's change must reach the next phone that asks, not the next one after an hour.
PUBLIC_REVALIDATE = "public, max-age=0, must-revalidate"
# The same for answers that only this caller may see (a draft, a signed-in page).
PRIVATE_REVALIDATE = "private, no-cache"
# Pages and answers behind a secret in the URL never go into shared caches.
NO_STORE = "private, no-store"

# What an answer is rendered by: a deploy that changes any of these must change every validator,
# else a phone would keep a page that the new templates or translations would draw differently.
SOURCE_SUFFIXES = (".py", ".html", ".po")


def validator(*parts):
    """A short tag for the state an answer is made from: equal parts, equal tag."""
    data = repr((code_version(), parts)).encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()[:32]


def not_modified(etag):
    """The caller holds this version already (If-None-Match, weak comparison)."""
    return request.if_none_match.contains_weak(etag)


def conditional(etag, build, cache_control, vary=()):
    """A 304 without calling build() when the caller holds `etag`, else build()'s response.

    Both carry the validator, Cache-Control and Vary: a 304 must repeat the headers its 200
    would have had (RFC 9110, 15.4.5), or caches would store the answer under other rules.
    The caller reads the validator before build() reads the body: a write in between gives
    an older tag to a newer body, which costs one full answer later, never a stale 304.
    """
    response = Response(status=304) if not_modified(etag) else build()
    response.set_etag(etag, weak=True)
    response.headers["Cache-Control"] = cache_control
    for header in vary:
        response.vary.add(header)
    return response


def code_version():
    """A digest of the application's source, templates and catalogues, once per process.

    Each gunicorn worker computes the same value from the same files, so a validator from
    one worker is good at the other; a deploy changes it.
    """
    app = current_app._get_current_object()
    version = app.extensions.get("code_version")
    if version is None:
        version = app.extensions["code_version"] = _digest_sources(app)
    return version


def _digest_sources(app):
    roots = sorted({Path(app.root_path)} | {Path(bp.root_path) for bp in app.blueprints.values()})
    digest = hashlib.sha256()
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.suffix in SOURCE_SUFFIXES and path.is_file():
                digest.update(str(path.relative_to(root.parent)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def no_store(view):
    """Declare a view's answers uncacheable (NO_STORE) unless it says otherwise: a secret in its URL.
    app.auth.visitor implies it; the factory applies it after each request."""
    view.cache_control = NO_STORE
    return view


def declared_cache_control(view):
    """The Cache-Control a view declared with no_store, or None."""
    return getattr(view, "cache_control", None)
