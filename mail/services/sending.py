"""A letter written in its reader's language, rendered (HTML and text) and sent once under its key.

Jobs only fetch by id and decide whether a letter is still due; writing and sending is
mail's work, the same for a visitor's letters and a team member's link.
"""
from flask_babel import force_locale

from mail.services import compose, ledger

LOCALES = ("th", "en")


def locale_of(pass_):
    return pass_.locale if pass_.locale in LOCALES else "th"


def letter_message(*, locale, template, subject, context, message_id, to_name, to_email,
                   inline=(), attachments=(), headers=None):
    """One EmailMessage: `template`.html and .txt rendered in `locale` with `context`."""
    html = compose.render(f"{template}.html", locale, **context)
    text = compose.render(f"{template}.txt", locale, **context)
    return compose.compose(
        message_id=message_id, to_name=to_name, to_email=to_email, subject=subject, text=text, html=html,
        inline=inline, attachments=attachments, headers=headers,
    )


def write_message(pass_, write, message_id):
    """The EmailMessage of `write(locale)` (a content.Letter) for this visitor, in their language."""
    locale = locale_of(pass_)
    with force_locale(locale):
        letter = write(locale)
        return letter_message(
            locale=locale, template=f"mail/{letter.template}", subject=letter.subject,
            context={"subject": letter.subject, **letter.context}, message_id=message_id,
            to_name=pass_.name, to_email=pass_.email,
            inline=letter.inline, attachments=letter.attachments, headers=letter.headers,
        )


def send(key, kind, pass_, write):
    """Write the letter in the visitor's language and send it once under `key`."""
    if not pass_.email or pass_.anonymised_at is not None:
        return False
    return ledger.send_once(
        key, kind, pass_.id, pass_.email, lambda message_id: write_message(pass_, write, message_id), compose.our_domain()
    )
