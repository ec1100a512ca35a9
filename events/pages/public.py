"""The pages every visitor sees first: the festival list and a festival's programme."""
from flask import make_response, render_template, request, session, url_for
from flask_babel import gettext as _

from app.auth import current_principal, public
from app.conditional import PRIVATE_REVALIDATE, PUBLIC_REVALIDATE, conditional
from app.database import now_utc
from app.i18n import current_locale, today_in
from events import services
from events.programme_page import by_stage, by_time, parse_choice, split_festivals


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
    festival = services.festival_by_slug(slug, user=user)
    now = now_utc()
    if user is not None or session.get("_flashes"):
        # A signed-in page carries a CSRF token and the console link, and a flash is shown once:
        # such a page is built every time and kept by nobody else.
        response = make_response(_programme_page(festival, user, now))
        response.headers["Cache-Control"] = PRIVATE_REVALIDATE
        return response
    version = services.page_version(festival, request.args.items(multi=True), current_locale(), request.host, now)
    # ?lang= answers set the language cookie: a shared cache must not hand that cookie to others.
    cache = PRIVATE_REVALIDATE if "lang" in request.args else PUBLIC_REVALIDATE
    # The language comes from ?lang=, the cookie or Accept-Language.
    return conditional(version, lambda: make_response(_programme_page(festival, None, now)), cache,
                       vary=("Accept-Language", "Cookie"))


def _programme_page(festival, user, now):
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
        now=now,
        T=card_words(),
        over=festival.ends_on < today,
        here=url_for("events.festival_programme", slug=festival.slug),
    )


def register(bp):
    bp.add_url_rule("/", "festival_list", festival_list)
    bp.add_url_rule("/festivals/<slug>", "festival_programme", festival_programme)
