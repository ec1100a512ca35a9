"""Pages of the events package on one blueprint: the public programme and the organiser console."""
from babel.dates import format_date

from app.blueprints import pages_blueprint
from app.i18n import current_locale
from events.console_messages import translate_message
from events.pages import console, importing, public
from events.programme_page import host_names, seat_state
from events.vocabulary import AGE_GROUPS, SESSION_KINDS, THEMES, label

bp = pages_blueprint("events", __name__, static_url_path="/static/events")

public.register(bp)
console.register(bp)
importing.register(bp)


@bp.context_processor
def vocabulary():
    # The locale once per page: a day of a big festival renders hundreds of labels.
    locale = current_locale()
    return {
        "L": locale,
        "word": lambda value: label(value, locale),
        # Chips drop the label's note: "Children (under 13)" -> "Children".
        "short_word": lambda value: label(value, locale).split(" (")[0],
        "weekday": lambda day: format_date(day, "EEEE", locale=locale),
        "seat_state": seat_state,
        "host_names": host_names,
        "service_message": translate_message,
        "SESSION_KINDS": SESSION_KINDS,
        "THEMES": THEMES,
        "AGE_GROUPS": AGE_GROUPS,
    }
