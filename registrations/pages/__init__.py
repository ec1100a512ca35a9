"""Pages of the registrations package on one blueprint: visitors' passes and bookings, and the
organiser console's bookings pages."""
from app.blueprints import pages_blueprint
from app.i18n import current_locale, local
from events.vocabulary import AGE_GROUPS, label
from registrations.pages import console, passes, personal_data

bp = pages_blueprint("registrations", __name__, static_url_path="/static/registrations")

passes.register(bp)
personal_data.register(bp)
console.register(bp)


@bp.context_processor
def vocabulary():
    return {"word": lambda value: label(value, current_locale()), "AGE_GROUPS": AGE_GROUPS, "local": local}
