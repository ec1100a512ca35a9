"""Invitations: an organiser or admin invites a person by e-mail; the person accepts with a password."""
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from app import audit
from app.database import db, now_utc
from app.errors import N_, DomainError, Invalid
from app.users import ADMIN, User, issue_token
from teams.models import INVITATION
from teams.services import links, members, rules

NAME_MAX = 200
PASSWORD_MIN, PASSWORD_MAX = 10, 200


def normal_email(email):
    email = (email or "").strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or len(email) > 254 or any(c.isspace() for c in email):
        raise Invalid("email", N_("Enter a valid email address."))
    return email


def invite(actor, city_id, email, role, name="", locale="th"):
    """(member, created): a new member with an invitation, or the same member with a fresh link.

    A member's e-mail is unique: inviting an address that is still invited (or was
    removed from this city) sends a fresh link and makes no second member.
    """
    email = normal_email(email)
    city_id = None if role == ADMIN else city_id
    rules.check_may_assign(actor, role, city_id)
    name = (name or "").strip()[:NAME_MAX]
    user = db.session.scalar(sa.select(User).where(User.email == email))
    created = user is None
    if created:
        user = User(email=email, role=role, city_id=city_id, name=name, active=True)
        db.session.add(user)
        db.session.flush()
    else:
        if user.city_id != city_id or (user.role == ADMIN) != (role == ADMIN):
            raise DomainError("member_elsewhere", N_("This address belongs to a member elsewhere in the network."),
                              status=409, field="email")
        status = members.status_of(user)
        if status == members.ACTIVE:
            raise DomainError("already_member", N_("This person is an active member already: change their role instead."),
                              status=409, field="email")
        if status == members.REMOVED:
            # Back in the team: a new password of their own, nothing from before.
            user.active, user.removed_at, user.password_hash = True, None, None
        user.role = role
        if name:
            user.name = name
    links.issue(user, INVITATION, locale=locale, sent_by=actor)
    db.session.flush()
    return user, created


def resend(actor, user, locale=None):
    """A fresh invitation link for a member who has not accepted yet (the old link stops working)."""
    rules.check_may_manage(actor, user)
    if members.status_of(user) != members.INVITED:
        raise DomainError("not_invited", N_("This member has accepted already: no invitation to send again."),
                          status=409)
    previous = db.session.scalar(
        sa.select(links.TeamLink.locale).where(links.TeamLink.user_id == user.id)
        .order_by(links.TeamLink.id.desc()).limit(1)
    )
    return links.issue(user, INVITATION, locale=locale or previous or "th", sent_by=actor)


def check_password(password):
    if not isinstance(password, str) or len(password) < PASSWORD_MIN:
        raise Invalid("password", N_("Choose a password of at least %(n)s characters."), code="too_short",
                      params={"n": PASSWORD_MIN}, min=PASSWORD_MIN)
    if len(password) > PASSWORD_MAX:
        raise Invalid("password", N_("A password has at most %(n)s characters."), code="too_long",
                      params={"n": PASSWORD_MAX}, max=PASSWORD_MAX)


def invitation_for(token):
    return links.open_link(token, INVITATION)


def accept(token, name, password):
    """The invited person's own password and name; answers (user, API token). The link works once."""
    link = invitation_for(token)
    name = (name or "").strip()
    if not name:
        raise Invalid("name", N_("Tell us your name as the team will see it."), code="required")
    if len(name) > NAME_MAX:
        raise Invalid("name", N_("A name has at most %(n)s characters."), code="too_long", params={"n": NAME_MAX},
                      max=NAME_MAX)
    check_password(password)
    links.use(link)
    user = link.user
    user.name = name
    # Werkzeug's current default (scrypt), as app.users.create_user.
    user.password_hash = generate_password_hash(password)
    user.last_sign_in_at = now_utc()
    raw = issue_token(user, label="invitation")
    audit.record("accept", "team_links", link.id, link.city_id, user, role=user.role)
    db.session.flush()
    return user, raw
