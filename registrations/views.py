"""Pages of the registrations package on one blueprint: visitors' passes and bookings, and the
organiser console's bookings pages."""
from flask import Blueprint

from app.i18n import current_locale, local
from events.vocabulary import AGE_GROUPS, label
from registrations import console_pages, pass_pages, privacy_pages

bp = Blueprint(
    "registrations",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/registrations",
)

pass_pages.register(bp)
privacy_pages.register(bp)
console_pages.register(bp)


@bp.context_processor
def vocabulary():
    return {"word": lambda value: label(value, current_locale()), "AGE_GROUPS": AGE_GROUPS, "local": local}
