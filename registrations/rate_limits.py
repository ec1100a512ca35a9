"""How often a family may sign up and book, for the API and the pages alike (app.limits applies them).

Each limit counts the actor it protects against; one address is only a ceiling against
scripts, high enough for a registration desk, a venue's Wi-Fi or a school lab.
"""
import sqlalchemy as sa
from flask import request
from flask_babel import gettext as _

from app.database import db
from app.limits import by_address, by_field, by_view_arg, rate_limit
from events.models import DEFAULT_SIGNUPS_PER_HOUR, Festival

# A family signs up once. The same e-mail again is told its pass exists and is mailed the
# link again, so hammering one e-mail would flood that mailbox: refused after a few.
SIGN_UP_PER_EMAIL = "5/minute;20/hour"
# At least 120 families a minute and 1,000 an hour from one address, never refused.
SIGN_UP_PER_ADDRESS = "300/minute;3000/hour"
# A pass books a handful of sessions; a script hammering the rush with one pass is refused.
BOOK_PER_PASS = "30/minute"
# A school lab books for a class at the pace of the registration desk, and more.
BOOK_PER_ADDRESS = "600/minute;6000/hour"


def festival_ceiling():
    """The festival's own ceiling on new passes an hour, which its organisers see and raise."""
    slug = (request.view_args or {}).get("slug")
    per_hour = db.session.scalar(sa.select(Festival.signups_per_hour).where(Festival.slug == slug)) if slug else None
    return f"{per_hour or DEFAULT_SIGNUPS_PER_HOUR}/hour"


def _new_pass(response):
    # Only a pass made counts against the festival: a refused or repeated sign-up does not use
    # up the allowance of the families behind it. 303: the sign-up page's redirect to a new pass.
    return response.status_code == 201 or (response.status_code == 303 and "/passes/" in response.location)


def _festival_full():
    return _("This festival has taken very many sign-ups in the last hour. Please try again later; "
             "if you are the organiser, you can raise the limit in the console.")


def sign_up_limited(view):
    """Per e-mail address (per festival), the address ceiling, and the festival's own ceiling."""
    view = rate_limit(SIGN_UP_PER_EMAIL, per=by_field("email", "slug"))(view)
    view = rate_limit(SIGN_UP_PER_ADDRESS, per=by_address)(view)
    return rate_limit(festival_ceiling, per=by_view_arg("slug"), counts=_new_pass, message=_festival_full)(view)


def booking_limited(per_pass):
    """Per pass (`per_pass` finds it in the request), and the address ceiling."""

    def decorate(view):
        view = rate_limit(BOOK_PER_PASS, per=per_pass)(view)
        return rate_limit(BOOK_PER_ADDRESS, per=by_address)(view)

    return decorate


booking_by_token = booking_limited(by_view_arg("token"))
