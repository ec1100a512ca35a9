"""How often a family may sign up and book, for the API and the pages alike (app.limits applies them).

Each limit counts the actor it protects against; one address is only a ceiling against
scripts, high enough for a registration desk, a venue's Wi-Fi or a school lab.
"""
from app.limits import by_address, by_field, by_view_arg, rate_limit

# A family signs up once. The same e-mail again is told its pass exists and is mailed the
# link again, so hammering one e-mail would flood that mailbox: refused after a few.
SIGN_UP_PER_EMAIL = "5/minute;20/hour"
# At least 120 families a minute and 1,000 an hour from one address, never refused.
SIGN_UP_PER_ADDRESS = "300/minute;3000/hour"
# A pass books a handful of sessions; a script hammering the rush with one pass is refused.
BOOK_PER_PASS = "30/minute"
# A school lab books for a class at the pace of the registration desk, and more.
BOOK_PER_ADDRESS = "600/minute;6000/hour"


def sign_up_limited(view):
    """Per e-mail address (per festival), and the address ceiling."""
    view = rate_limit(SIGN_UP_PER_EMAIL, per=by_field("email", "slug"))(view)
    return rate_limit(SIGN_UP_PER_ADDRESS, per=by_address)(view)


def booking_limited(per_pass):
    """Per pass (`per_pass` finds it in the request), and the address ceiling."""

    def decorate(view):
        view = rate_limit(BOOK_PER_PASS, per=per_pass)(view)
        return rate_limit(BOOK_PER_ADDRESS, per=by_address)(view)

    return decorate


booking_by_token = booking_limited(by_view_arg("token"))
