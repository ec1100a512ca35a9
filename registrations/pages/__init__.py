"""Pages of the registrations package on one blueprint: visitors' passes and bookings, and the
organiser console's bookings pages."""
from pathlib import Path

from flask import Blueprint

from app.i18n import current_locale, local
from events.vocabulary import AGE_GROUPS, label
from registrations.pages import console, passes, personal_data

PACKAGE_DIR = str(Path(__file__).resolve().parent.parent)  # templates/ and static/ live in the package

bp = Blueprint(
    "registrations",
    __name__,
    root_path=PACKAGE_DIR,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/registrations",
)

passes.register(bp)
personal_data.register(bp)
console.register(bp)


@bp.context_processor
def vocabulary():
    return {"word": lambda value: label(value, current_locale()), "AGE_GROUPS": AGE_GROUPS, "local": local}
