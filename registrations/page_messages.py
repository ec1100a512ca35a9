"""The sign-up form's own sentences per field (a refusal from the services speaks for itself:
app.errors.localized)."""
from flask_babel import gettext as _


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
