"""The iCalendar feeds' routes (.ics), served as stored."""
from flask import Blueprint, Response, request

from app.auth import public, visitor
from app.conditional import not_modified
from app.database import db
from app.errors import NotFound
from events.services import festival_by_slug
from registrations.services import pass_for_feed_token
from feeds.services import store

bp = Blueprint("feeds", __name__)

PUBLIC_FEED_MAX_AGE = 300


def ics_response(feed, public):
    if not_modified(feed.etag):
        response = Response(status=304)  # the body stays in the database
    else:
        response = Response(feed.body, mimetype="text/calendar")
        response.charset = "utf-8"
    response.set_etag(feed.etag, weak=True)
    response.last_modified = feed.built_at
    if public:
        response.cache_control.public = True
        response.cache_control.max_age = PUBLIC_FEED_MAX_AGE
    response.headers["Content-Disposition"] = 'inline; filename="programme.ics"' if public else 'inline; filename="agenda.ics"'
    return response if response.status_code == 304 else response.make_conditional(request)


def _answer(found, public=True):
    feed, built = found
    if built:
        db.session.commit()  # built on this request: stored for the next
    return ics_response(feed, public)


@bp.get("/festivals/<slug>/programme.ics")
@public
def festival_programme(slug):
    festival = festival_by_slug(slug)  # drafts: 404
    return _answer(store.festival_feed(festival))


@bp.get("/festivals/<slug>/venues/<int:venue_id>/programme.ics")
@public
def venue_programme(slug, venue_id):
    festival = festival_by_slug(slug)
    venue = next((v for v in festival.venues if v.id == venue_id), None)
    if venue is None:
        raise NotFound("venue")
    return _answer(store.venue_feed(festival, venue))


@bp.get("/passes/<feed_token>/agenda.ics")
@visitor
def agenda(feed_token):
    pass_ = pass_for_feed_token(feed_token)  # by the token's SHA-256; 404 otherwise
    return _answer(store.agenda_feed(pass_), public=False)
