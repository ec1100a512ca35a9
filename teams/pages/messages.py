"""What a refusal says on a page, by its code (translated once, never by matching English text)."""
from flask_babel import gettext, lazy_gettext as _l

from teams.services.invitations import PASSWORD_MIN

BY_CODE = {
    "invalid": _l("Enter a valid email address."),
    "required": _l("This field is required."),
    "too_long": _l("This is too long."),
    "invalid_choice": _l("Choose one of the roles offered."),
    "forbidden_role": _l("Only an admin may invite another admin."),
    "forbidden": _l("You may manage the team of your own city only."),
    "member_elsewhere": _l("This address belongs to a member elsewhere in the network."),
    "already_member": _l("This person is an active member already: change their role instead."),
    "own_account": _l("You cannot change or remove your own membership."),
    "not_invited": _l("This member has accepted already: no invitation to send again."),
    "removed": _l("This member was removed: invite them again."),
    "invalid_link": _l("This link is not valid. Check that you opened the whole link from the mail."),
    "link_used": _l("This link was used already. Sign in, or ask for a new link."),
    "link_replaced": _l("A newer link replaced this one. Use the latest mail, or ask for a new link."),
    "link_expired": _l("This link has expired. Ask for a new one: from the person who invited you, or with “Forgot your password?”."),
}


def say(error):
    """The reader's sentence for a DomainError (a code we do not know keeps the service's own words)."""
    if error.code == "too_short" and error.field == "password":
        return gettext("Choose a password of at least %(n)s characters.", n=PASSWORD_MIN)
    if error.code == "required" and error.field == "name":
        return gettext("Tell us your name as the team will see it.")
    message = BY_CODE.get(error.code)
    return str(message) if message is not None else error.message
