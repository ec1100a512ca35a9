"""Pages of the events package on one blueprint: the public programme and the organiser console."""
from babel.dates import format_date
from flask import Blueprint

from app.i18n import current_locale
from events import console_views, import_views, public_views
from events.console_messages import translate_message
from events.programme_page import host_names, seat_state
from events.vocabulary import AGE_GROUPS, SESSION_KINDS, THEMES, label

bp = Blueprint(
    "events",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/events",
)

public_views.register(bp)
console_views.register(bp)
import_views.register(bp)


def short_word(value):
    """A label without its parenthetical note, for chips: "Children (under 13)" -> "Children"."""
    return label(value, current_locale()).split(" (")[0]


def weekday(day):
    return format_date(day, "EEEE", locale=current_locale())


@bp.context_processor
def vocabulary():
    return {
        "word": lambda value: label(value, current_locale()),
        "short_word": short_word,
        "weekday": weekday,
        "seat_state": seat_state,
        "host_names": host_names,
        "service_message": translate_message,
        "SESSION_KINDS": SESSION_KINDS,
        "THEMES": THEMES,
        "AGE_GROUPS": AGE_GROUPS,
    }
