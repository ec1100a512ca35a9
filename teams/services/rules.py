"""Who may bring whom into a team and who may manage a member: the one owner of these rules.

An organiser acts for their own city: they invite and manage staff, city teams and
other organisers of it. An admin acts for the whole network: organisers (and the
other city roles) of any city, and other admins.
"""
from app.errors import N_, DomainError, Forbidden, Invalid
from app.users import ADMIN, CITY_TEAM, ORGANISER, ROLES, STAFF

CITY_ROLES = (STAFF, CITY_TEAM, ORGANISER)


def check_role(role):
    if role not in ROLES:
        raise Invalid("role", N_("Choose one of the roles offered."), code="invalid_choice")


def check_may_assign(actor, role, city_id):
    """May `actor` give `role` in `city_id` (None for an admin)? Raises 403 with a code otherwise."""
    check_role(role)
    if role == ADMIN:
        if not actor.is_admin:
            raise DomainError("forbidden_role", N_("Only an admin may invite another admin."), status=403, field="role")
        return
    if city_id is None:
        raise Invalid("city", N_("A member of a team belongs to one city."), code="required")
    if actor.is_admin:
        return
    if actor.role != ORGANISER or actor.city_id != city_id:
        raise Forbidden(N_("You may manage the team of your own city only."))


def check_may_manage(actor, member):
    """May `actor` change or remove `member`? Nobody removes or demotes themselves (no lock-out)."""
    if member.id == actor.id:
        raise DomainError("own_account", N_("You cannot change or remove your own membership."), status=409)
    if actor.is_admin:
        return
    if member.role == ADMIN or member.city_id != actor.city_id or actor.role != ORGANISER:
        raise Forbidden(N_("You may manage the team of your own city only."))
