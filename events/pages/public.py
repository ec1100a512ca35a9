"""The pages every visitor sees first: the festival list and a festival's programme.

A published programme page for a visitor who is not signed in is stored rendered
(events/programme_store.py) with each bookable card's seat line left as a place that
every answer fills from the live seat counters.
"""
from datetime import datetime

from flask import make_response, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup

from app.auth import current_principal, public
from app.conditional import PRIVATE_REVALIDATE, PUBLIC_REVALIDATE, conditional
from app.database import now_utc
from app.i18n import current_locale, pick, today_in
from events import services
from events.programme_page import by_stage, by_time, parse_choice, seat_state_of, split_festivals
from events.programme_store import NO_SEATS, Rendering, answer_response, live_seats, stored_answer, takes_gzip

# Where a stored page's seat line goes. Autoescaping turns any "<" of a visitor-facing text
# into "&lt;", so the mark can only come from the card template.
SEAT_MARK = "<!--seats-->"


def card_words():
    """The words every session card repeats, looked up once per page rather than once per card."""
    return {
        "cancelled": _("Cancelled"),
        "language": _("Language"),
        "with_": _("With"),
        "all_ages": _("All ages"),
        "about": _("About this session"),
        "book": _("Book"),
        "full": _("Full — join the waitlist"),
        "waitlist": _("Join the waitlist"),
        "closed": _("Booking closed"),
        "open": _("Open to all, no booking needed"),
    }


@public
def festival_list():
    festivals = services.visible_festivals(user=current_principal())
    upcoming, past = split_festivals(festivals, today_in("Asia/Bangkok"))
    return render_template("events/festival_list.html", upcoming=upcoming, past=past)


@public
def festival_programme(slug):
    user = current_principal()
    now = now_utc()
    if user is not None or session.get("_flashes"):
        # A signed-in page carries a CSRF token and the console link, and a flash is shown once:
        # such a page is built every time and kept by nobody else.
        festival = services.festival_by_slug(slug, user=user)
        response = make_response(_programme_page(festival, user, now))
        response.headers["Cache-Control"] = PRIVATE_REVALIDATE
        return response
    # The festival comes with its version, in one statement: a kept page needs nothing else.
    festival, versions = services.page_versions(
        slug, request.args.items(multi=True), current_locale(), request.host, now, request.scheme
    )
    services.reachable(festival, None, for_edit=False)
    # ?lang= answers set the language cookie: a shared cache must not hand that cookie to others.
    cache = PRIVATE_REVALIDATE if "lang" in request.args else PUBLIC_REVALIDATE
    # The language comes from ?lang=, the cookie or Accept-Language.
    return conditional(versions[0], lambda: _public_page(festival, versions, now, takes_gzip(request)), cache,
                       vary=("Accept-Language", "Cookie", "Accept-Encoding"))


def seat_line(state, session_id, seats_left, title, words):
    """A card's seat line: the only part of a card that a booking, or the session's start, changes."""
    if state == "seats":
        return Markup(
            '<p class="ev-book"><span class="ev-seats">{}</span>\n'
            '      <a class="button primary small" href="/sessions/{}/book">{}<span class="visually-hidden">: {}</span></a></p>'
        ).format(ngettext("%(num)d seat left", "%(num)d seats left", seats_left), session_id, words["book"], title)
    if state == "full":
        return Markup(
            '<p class="ev-book"><span class="ev-seats full">{}</span>\n'
            '      <a class="button small" href="/sessions/{}/book">{}<span class="visually-hidden">: {}</span></a></p>'
        ).format(words["full"], session_id, words["waitlist"], title)
    if state in ("closed", "open"):
        return Markup('<p class="ev-book"><span class="ev-seats {}">{}</span></p>').format(state, words[state])
    return Markup("")


def _public_page(festival, versions, now, gzip_ok):
    """The page for visitors who are not signed in: stored once published, its seats filled in live.

    festival and versions: from events.programme_version.page_versions (a FestivalRow, and the
    validator and body key).
    """
    if not festival.is_published:
        return make_response(_programme_page(festival.loaded(), None, now))
    answer = stored_answer("page", festival.id, versions, lambda: _page_rendering(festival.loaded(), now),
                           lambda rendering: _fill_seats(rendering, festival.id, now), gzip_ok)
    return answer_response(answer, "text/html")


def _fill_seats(rendering, festival_id, now):
    seats = live_seats(festival_id, [slot["id"] for slot in rendering.slots]) if rendering.slots else {}
    # A seat change moves one card of the 250 of a day: the other lines are the bytes of the fill
    # before, kept with the rendering (its language is the rendering's) instead of drawn again.
    memo = rendering.memo
    starts = memo.get("starts")
    if starts is None:
        starts = memo["starts"] = {slot["id"]: datetime.fromisoformat(slot["starts_at"]) for slot in rendering.slots}
    lines = memo.get("lines")
    if lines is None or len(lines) > 4 * len(rendering.slots):  # a few states a card, not every count it had
        lines = memo["lines"] = {}
    words = card_words()

    def fill(slot):
        left = seats.get(slot["id"], NO_SEATS)[0]
        state = seat_state_of(slot["status"], starts[slot["id"]], left, now)
        line = lines.get((slot["id"], state, left))
        if line is None:
            line = lines[(slot["id"], state, left)] = str(
                seat_line(state, slot["id"], left, slot["title"], words)).encode("utf-8")
        return line

    return rendering.fill(fill)


def _page_rendering(festival, now):
    """The page with a SEAT_MARK where a booking could change a card's seat line."""
    slots = []
    words = card_words()

    def seat_slot(session, state):
        if state not in ("seats", "full"):
            # Cancelled, open to all or started: no booking changes it, only a programme change (a new key).
            return seat_line(state, session.id, session.seats_left, pick(session, "title"), words)
        slots.append({"id": session.id, "status": session.status, "starts_at": session.starts_at.isoformat(),
                      "title": pick(session, "title")})
        return Markup(SEAT_MARK)

    page = _programme_page(festival, None, now, seat_slot)
    return Rendering([part.encode("utf-8") for part in page.split(SEAT_MARK)], slots)


def _programme_page(festival, user, now, seat_slot=None):
    """The page as rendered; seat_slot(session, state) draws each card's seat line (default: as it is now)."""
    words = card_words()
    if seat_slot is None:
        def seat_slot(session, state):
            return seat_line(state, session.id, session.seats_left, pick(session, "title"), words)

    today = now.astimezone(festival.zone).date()
    choice = parse_choice(festival, request.args, today)
    sessions = list(services.programme(festival, day=choice.day, **choice.filters))
    venues = list(festival.venues)
    return render_template(
        "events/programme.html",
        festival=festival,
        choice=choice,
        sessions=sessions,
        slots=by_time(sessions, festival.timezone) if choice.view == "time" else [],
        stages=by_stage(sessions, venues) if choice.view == "stage" else [],
        venues=venues,
        booths=list(festival.booths),
        may_edit=user is not None and user.role in ("organiser", "admin") and user.may_act_in(festival.city_id),
        feed_host=request.host,
        venue_feeds=[(pick(venue, "name"), f"/festivals/{festival.slug}/venues/{venue.id}/programme.ics") for venue in venues],
        now=now,
        T=words,
        seat_slot=seat_slot,
        over=festival.ends_on < today,
        here=url_for("events.festival_programme", slug=festival.slug),
    )


def register(bp):
    bp.add_url_rule("/", "festival_list", festival_list)
    bp.add_url_rule("/festivals/<slug>", "festival_programme", festival_programme)
