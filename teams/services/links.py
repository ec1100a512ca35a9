"""One-time links: made, mailed through the outbox, opened, used once; a fresher link replaces the older.

The token in a link is the row id and its nonce, signed with SECRET_KEY. The row
decides whether the link still works (not used, not replaced, not expired, the
member not removed); the signature makes a guessed or copied-from-the-database
token useless without the key.
"""
import hmac
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from app.database import db, now_utc
from app.errors import N_, DomainError
from app.outbox import emit
from teams.models import INVITATION, PASSWORD_RESET, TeamLink

LIFETIME = {
    INVITATION: timedelta(days=7),
    # A reset link proves only that someone reads the mailbox now: a day is enough.
    PASSWORD_RESET: timedelta(hours=24),
}
LOCALES = ("th", "en")
ISSUED_TOPIC = "team.link_issued"


def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="thetsakan.team-link")


def token_for(link):
    return _serializer().dumps([link.id, link.nonce])


def url_for_link(link):
    path = "invitations" if link.purpose == INVITATION else "password/reset"
    # ?lang= opens the page in the language the mail was written in (the inviter's choice).
    return f"{current_app.config['PUBLIC_URL']}/{path}/{token_for(link)}?lang={link.locale}"


def replace_open_links(user, when=None):
    """Every link of this person that still works stops working (a fresh one, a removal)."""
    db.session.execute(
        sa.update(TeamLink)
        .where(TeamLink.user_id == user.id, TeamLink.used_at.is_(None), TeamLink.replaced_at.is_(None))
        .values(replaced_at=when or now_utc())
        .execution_options(synchronize_session="fetch")
    )


def issue(user, purpose, locale="th", sent_by=None):
    """A new link for `user` that replaces the ones before it, and the outbox message that mails it."""
    now = now_utc()
    replace_open_links(user, now)
    link = TeamLink(
        user_id=user.id,
        city_id=user.city_id,
        purpose=purpose,
        nonce=secrets.token_urlsafe(32),
        locale=locale if locale in LOCALES else "th",
        sent_by_id=sent_by.id if sent_by is not None else None,
        created_at=now,
        expires_at=now + LIFETIME[purpose],
    )
    db.session.add(link)
    db.session.flush()
    emit(ISSUED_TOPIC, link_id=link.id)
    return link


def still_works(link, now=None):
    return (
        link.used_at is None
        and link.replaced_at is None
        and link.expires_at > (now or now_utc())
        and link.user.removed_at is None
        and link.user.active
    )


def open_link(token, purpose):
    """The link behind a token, if it still works; else 404/409/410 with a code the page can say."""
    try:
        link_id, nonce = _serializer().loads(token or "")
        link = db.session.get(TeamLink, int(link_id)) if 0 < int(link_id) <= 2**31 - 1 else None
    except (BadSignature, TypeError, ValueError):
        link = None
        nonce = ""
    if link is None or link.purpose != purpose or not hmac.compare_digest(link.nonce, str(nonce)):
        raise DomainError("invalid_link", N_("This link is not valid. Check that you opened the whole link from the mail."),
                          status=404)
    if link.used_at is not None:
        raise DomainError("link_used", N_("This link was used already. Sign in, or ask for a new link."), status=409)
    if link.replaced_at is not None or link.user.removed_at is not None or not link.user.active:
        raise DomainError("link_replaced", N_("A newer link replaced this one. Use the latest mail, or ask for a new link."),
                          status=410)
    if link.expires_at <= now_utc():
        raise DomainError("link_expired", N_("This link has expired. Ask for a new one: from the person who invited you, "
                                             "or with “Forgot your password?”."), status=410)
    return link


def use(link):
    """Mark the link used, once: of two people racing with one link, the second is refused."""
    result = db.session.execute(
        sa.update(TeamLink)
        .where(TeamLink.id == link.id, TeamLink.used_at.is_(None), TeamLink.replaced_at.is_(None))
        .values(used_at=now_utc())
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount != 1:
        raise DomainError("link_used", N_("This link was used already. Sign in, or ask for a new link."), status=409)


def link_to_mail(link_id):
    """For the mail job: the link if it still works (a replaced or used one is not mailed)."""
    link = db.session.get(TeamLink, link_id)
    if link is None or not still_works(link):
        return None
    return link


def recent_link(user, purpose, within):
    return db.session.scalar(
        sa.select(TeamLink.id).where(
            TeamLink.user_id == user.id,
            TeamLink.purpose == purpose,
            TeamLink.created_at > now_utc() - within,
        ).limit(1)
    )
