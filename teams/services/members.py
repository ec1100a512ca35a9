"""Members of a city's team: their status, role changes and removal (which cuts every way in at once)."""
import sqlalchemy as sa
from flask_login import user_logged_in

from app.auth import ensure_city
from app.database import db, now_utc
from app.errors import N_, Forbidden, Invalid, NotFound
from app.users import ADMIN, ApiToken, User
from events.festivals import city_by_slug
from events.models import City, Festival
from teams.services import links, phones, rules

INVITED, ACTIVE, REMOVED = "invited", "active", "removed"
STATUSES = (INVITED, ACTIVE, REMOVED)
_ORDER = {ACTIVE: 0, INVITED: 1, REMOVED: 2}
DEFAULT_ZONE = "Asia/Bangkok"


def status_of(user):
    if user.removed_at is not None or not user.active:
        return REMOVED
    # Has chosen a password (or signed in with a token made on the command line).
    if user.password_hash or user.last_sign_in_at is not None:
        return ACTIVE
    return INVITED


def member(member_id):
    user = db.session.get(User, member_id) if 0 < member_id <= 2**31 - 1 else None
    if user is None:
        raise NotFound("member")
    return user


def team_of(city_id):
    """The city's members (the removed ones too, for the record), active first."""
    if city_id is None:
        query = sa.select(User).where(User.role == ADMIN)
    else:
        query = sa.select(User).where(User.city_id == city_id, User.role != ADMIN)
    users = list(db.session.scalars(query))
    return sorted(users, key=lambda u: (_ORDER[status_of(u)], u.role, u.email))


def change_role(actor, user, role):
    rules.check_role(role)
    rules.check_may_manage(actor, user)
    if user.role == ADMIN or role == ADMIN:
        raise Invalid("role", N_("An admin stays an admin and a city member stays in their city: "
                              "remove them and invite them again."), code="invalid_choice")
    rules.check_may_assign(actor, role, user.city_id)
    if status_of(user) == REMOVED:
        raise Invalid("role", N_("This member was removed: invite them again."), code="removed")
    user.role = role
    db.session.flush()
    return user


def remove(actor, user):
    """Removed at once: console sessions (the cookie's epoch), API tokens, paired phones and open links."""
    rules.check_may_manage(actor, user)
    if user.removed_at is not None:
        return user
    now = now_utc()
    user.active = False
    user.removed_at = now
    user.session_epoch = (user.session_epoch or 0) + 1
    db.session.execute(
        sa.update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False)).values(revoked=True)
        .execution_options(synchronize_session="fetch")
    )
    phones.revoke_all(user)
    links.replace_open_links(user, now)
    db.session.flush()
    return user


def note_sign_in(user):
    """Flask-Login's user_logged_in signal: the Team page shows when each member last signed in."""
    user.last_sign_in_at = now_utc()


def city_zone(city_id):
    """The zone a city's team reads times in: that of its latest festival (cities keep none themselves)."""
    zone = None
    if city_id is not None:
        zone = db.session.scalar(
            sa.select(Festival.timezone).where(Festival.city_id == city_id).order_by(Festival.starts_on.desc()).limit(1)
        )
    return zone or DEFAULT_ZONE


def city_for_team(slug, actor):
    """The city by slug for its team's page or API: 404 when there is none, 403 for another city's organiser."""
    city = city_by_slug(slug)
    if city is None:
        raise NotFound("city")
    ensure_city(city.id, actor)
    return city


def city_of(user):
    return db.session.get(City, user.city_id) if user.city_id is not None else None


def visible_member(actor, member_id):
    """A member the actor may see: 404 for none, 403 for another city's (admins see all)."""
    user = member(member_id)
    if not actor.is_admin and (user.role == ADMIN or user.city_id != actor.city_id):
        raise Forbidden(N_("You may manage the team of your own city only."))
    return user


def install(app):
    """Note every console sign-in of this app (Flask-Login's signal; the sign-in view commits)."""
    user_logged_in.connect(_signed_in, app, weak=False)


def _signed_in(sender, user, **extra):
    note_sign_in(user)
