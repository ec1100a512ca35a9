"""What the team's mails say, in the language chosen for the person: an invitation or a password reset.

Runs inside force_locale(link.locale) (the mail job's business); reads only.
"""
from dataclasses import dataclass

from flask_babel import gettext as _

from app.i18n import clock, local, long_date, pick
from teams.models import INVITATION
from teams.services import links, members

ROLE_WORK = {
    "staff": lambda: _("scan visitors’ passes at the gates and doors"),
    "city-team": lambda: _("read the reports of the city’s festivals"),
    "organiser": lambda: _("run the city’s festivals in the console"),
    "admin": lambda: _("look after the whole network of learning cities"),
}


@dataclass
class Letter:
    subject: str
    heading: str
    paragraphs: list
    action: tuple  # (label, url)
    note: str


def write(link):
    user = link.user
    zone = members.city_zone(link.city_id)
    until = f"{long_date(local(link.expires_at, zone))} {clock(link.expires_at, zone)}"
    url = links.url_for_link(link)
    if link.purpose == INVITATION:
        city = members.city_of(user)
        place = pick(city, "name") if city is not None else _("the Thetsakan network")
        inviter = (link.sent_by.name or link.sent_by.email) if link.sent_by is not None else _("An admin")
        return Letter(
            subject=_("You are invited to the festival team of %(place)s", place=place),
            heading=_("Join the team of %(place)s", place=place),
            paragraphs=[
                _("%(inviter)s invites you to %(work)s.", inviter=inviter, work=ROLE_WORK[user.role]()),
                _("Open the link to choose your name and a password. It works once, until %(until)s.", until=until),
            ],
            action=(_("Join the team"), url),
            note=_("If you did not expect this invitation, ignore this mail: nothing happens without the link."),
        )
    return Letter(
        subject=_("Choose a new password for Thetsakan"),
        heading=_("Choose a new password"),
        paragraphs=[
            _("Someone asked for a new password for %(email)s.", email=user.email),
            _("Open the link to choose it. It works once, until %(until)s.", until=until),
        ],
        action=(_("Choose a new password"), url),
        note=_("If it was not you, ignore this mail: your password stays as it is."),
    )
