"""The team's abuse limits, counted per the actor they protect against (app.limits applies them).

A one-time link's token is unguessable, so these are ceilings, not the defence: a link
answers at most LINK_TRIES a minute (a script cannot hammer one link), and a reset
request is counted per address typed (one mailbox, RESET_REQUESTS an hour, on top of the
service's one mail per 10 minutes) and per client address as a high ceiling.
"""
from app.limits import by_address, by_field, by_view_arg, rate_limit

LINK_TRIES = "20/minute"
RESET_REQUESTS = "10/hour"
ADDRESS_CEILING = "120/minute;1000/hour"


def link_limited(view):
    view = rate_limit(LINK_TRIES, per=by_view_arg("token"))(view)
    return rate_limit(ADDRESS_CEILING, per=by_address)(view)


def reset_request_limited(view):
    view = rate_limit(RESET_REQUESTS, per=by_field("email"))(view)
    return rate_limit(ADDRESS_CEILING, per=by_address)(view)
