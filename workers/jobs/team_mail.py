"""The team's mails: an invitation or a password reset link, in the language chosen for the person.

The job takes the link's id, returns quietly when the link no longer works (used,
replaced by a fresher one, expired, the member removed), and sends each link once.
"""
from flask_babel import force_locale

from mail.services import compose, ledger
from mail.services.sending import letter_message
from teams import letters
from teams.services import links


def write_message(link, message_id):
    user = link.user
    with force_locale(link.locale):
        letter = letters.write(link)
        return letter_message(
            locale=link.locale, template="teams/mail/link", subject=letter.subject,
            context={"letter": letter, "name": user.name}, message_id=message_id,
            to_name=user.name, to_email=user.email,
        )


def send_team_link(link_id):
    link = links.link_to_mail(link_id)
    if link is None:
        return False
    return ledger.send_once(
        f"team.link:{link_id}", f"team.{link.purpose}", None, link.user.email,
        lambda message_id: write_message(link, message_id), compose.our_domain(),
    )
