"""Password reset by e-mail for console users: the same one-time links as invitations.

The answer to a request never says whether the address belongs to anyone (no
account enumeration): the page and the API answer alike, and only a member who
may sign in gets a mail, at most one every RESET_INTERVAL.
"""
from datetime import timedelta

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from app import audit
from app.database import db
from app.users import User
from teams.models import PASSWORD_RESET
from teams.services import links, members
from teams.services.invitations import check_password

# Counts the account, not the address: a script cannot flood one mailbox from many addresses.
RESET_INTERVAL = timedelta(minutes=10)


def request_reset(email, locale="th"):
    """Mail a reset link if the address is a member's; answer nothing either way."""
    address = (email or "").strip().lower()
    if not address or len(address) > 254:
        return None
    user = db.session.scalar(sa.select(User).where(User.email == address))
    if user is None or members.status_of(user) == members.REMOVED:
        return None
    if links.recent_link(user, PASSWORD_RESET, RESET_INTERVAL):
        return None
    return links.issue(user, PASSWORD_RESET, locale=locale)


def reset_for(token):
    return links.open_link(token, PASSWORD_RESET)


def reset(token, password):
    """A new password; every console session of the account ends (another may be the intruder's)."""
    link = reset_for(token)
    check_password(password)
    links.use(link)
    user = link.user
    user.password_hash = generate_password_hash(password)
    user.session_epoch = (user.session_epoch or 0) + 1
    audit.record("reset", "team_links", link.id, link.city_id, user)
    db.session.flush()
    return user
