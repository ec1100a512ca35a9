"""What a refusal from the services says on a page, in the visitor's language."""
from flask_babel import gettext as _, ngettext

from app.database import db
from app.i18n import pick
from events.models import ProgrammeSession


def explain(error):
    """A DomainError from the booking or pass services, as one translated sentence."""
    code = error.code
    if code == "age_group":
        allowed = error.details.get("seats_allowed") or 0
        if not allowed:
            return _("Nobody on your pass is in the age groups this session is for.")
        return ngettext(
            "This session has a seat for %(num)d person of your party, by its age groups: book no more seats.",
            "This session has seats for %(num)d people of your party, by its age groups: book no more seats.",
            allowed,
        )
    if code == "clash":
        other = db.session.get(ProgrammeSession, error.details.get("session_id") or 0)
        title = pick(other, "title") if other is not None else ""
        return _("You already hold a seat in “%(title)s” at the same time.", title=title)
    messages = {
        "closed": _("This session has started or is cancelled: it takes no more bookings."),
        "already_booked": _("You have booked this session already."),
        "no_booking_needed": _("This session is open to all: just come along, no booking is needed."),
        "wrong_festival": _("This pass is for another festival."),
        "pass_cancelled": _("This pass is cancelled."),
        "invalid_seats": _("Choose at least one seat and no more than your party."),
        "full": _("That session has not enough free seats."),
        "exceeds_capacity": _("This session has fewer seats in all than you asked for: book fewer seats."),
        "same_session": _("The booking is in that session already."),
        "booking_cancelled": _("This booking is cancelled."),
        "not_found": _("We could not find that."),
        "forbidden": _("You may not act on another city's festivals."),
    }
    return messages.get(code, error.message)


def field_messages():
    """One helpful sentence per sign-up field, for the form (marshmallow's own are English)."""
    return {
        "name": _("Please give your name."),
        "email": _("Please give a valid email address."),
        "phone": _("A phone number has digits, spaces, + and - only."),
        "age_group": _("Please choose an age group."),
        "party": _("Each family member needs a name and an age group (at most 9 members)."),
        "consent": _("Please agree to the consent text to get a pass."),
        "consent_version": _("The consent text has changed: please read it again."),
        "locale": _("Please choose Thai or English."),
    }
