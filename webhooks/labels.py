"""Words for what happened to a delivery, for the console and the organisers' mail (Thai and English)."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webhooks.models import DELIVERED, FAILED, PENDING

STATUS_LABELS = {PENDING: _l("Waiting to retry"), DELIVERED: _l("Delivered"), FAILED: _l("Gave up")}
ERROR_LABELS = {
    "timeout": _l("No answer in time"),
    "refused": _l("Connection refused"),
    "connection": _l("Connection failed"),
    "tls": _l("Certificate or TLS failed"),
    "redirect": _l("Redirected (not followed)"),
    "status": _l("Answered with an error"),
    "blocked_address": _l("Private or loopback address refused"),
    "unresolvable": _l("The name does not resolve"),
    "scheme": _l("Not https"),
}


def answer_text(error, status_code):
    """What came back, in words: "Answered with an error · 503", "No answer in time"."""
    if error is None:
        return str(status_code or "")
    label = str(ERROR_LABELS.get(error, _("Something else went wrong")))
    return f"{label} · {status_code}" if status_code else label
