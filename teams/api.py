"""JSON API of teams: a city's members, invitations, role changes, removal, acceptance and password resets.

Handlers parse, call a service, commit, render.
"""
from flask_smorest import Blueprint

from app.auth import current_principal, public, require_roles
from app.database import db
from app.errors import ErrorSchema
from app.users import ADMIN
from teams.limits import link_limited, reset_request_limited
from teams.presenters import member_answer, member_answers
from teams.schemas import AcceptIn, AcceptOut, InviteIn, MemberOut, ResendIn, ResetIn, ResetRequestIn, ResetRequestOut, RoleIn
from teams.services import invitations, members, passwords

blp = Blueprint("teams_api", __name__, description="A city's team: invitations, members, password resets")
BEARER = [{"bearerAuth": []}]
RESET_ANSWER = "If this address belongs to a member, a link to choose a new password is on its way."


def _answer(user):
    city = members.city_of(user)
    return member_answer(user, city_slug=city.slug if city else None)


@blp.route("/cities/<city_slug>/team", methods=["GET"])
@require_roles("organiser")
@blp.doc(security=BEARER)
@blp.response(200, MemberOut(many=True))
def list_team(city_slug):
    """The city's members with role, status (invited, active, removed), last sign-in and paired phones."""
    city = members.city_for_team(city_slug, current_principal())
    return member_answers(members.team_of(city.id), city.slug)


@blp.route("/cities/<city_slug>/team", methods=["POST"])
@require_roles("organiser")
@blp.doc(security=BEARER)
@blp.arguments(InviteIn)
@blp.response(201, MemberOut)
@blp.alt_response(200, schema=MemberOut, description="the address was invited before: a fresh link, no second member")
@blp.alt_response(409, schema=ErrorSchema, description="`already_member` (active already) or `member_elsewhere`")
def invite(data, city_slug):
    """Invite a person by e-mail; the mail carries a one-time link (7 days) to choose a password."""
    actor = current_principal()
    city = members.city_for_team(city_slug, actor)
    user, created = invitations.invite(actor, city.id, data["email"], data["role"], data["name"], data["locale"])
    db.session.commit()
    answer = member_answer(user, city_slug=city.slug if user.role != ADMIN else None)
    return answer, 201 if created else 200


@blp.route("/team/<int:member_id>", methods=["GET"])
@require_roles("organiser")
@blp.doc(security=BEARER)
@blp.response(200, MemberOut)
def get_member(member_id):
    user = members.visible_member(current_principal(), member_id)
    return _answer(user)


@blp.route("/team/<int:member_id>", methods=["PATCH"])
@require_roles("organiser")
@blp.doc(security=BEARER)
@blp.arguments(RoleIn)
@blp.response(200, MemberOut)
@blp.alt_response(409, schema=ErrorSchema, description="`own_account`: nobody changes their own role")
def change_role(data, member_id):
    """Change a member's role within their city."""
    actor = current_principal()
    user = members.change_role(actor, members.visible_member(actor, member_id), data["role"])
    db.session.commit()
    return _answer(user)


@blp.route("/team/<int:member_id>", methods=["DELETE"])
@require_roles("organiser")
@blp.doc(security=BEARER)
@blp.response(200, MemberOut)
@blp.alt_response(409, schema=ErrorSchema, description="`own_account`: nobody removes themselves")
def remove_member(member_id):
    """Remove a member: their console sessions, API tokens and paired phones stop working at once."""
    actor = current_principal()
    user = members.remove(actor, members.visible_member(actor, member_id))
    db.session.commit()
    return _answer(user)


@blp.route("/team/<int:member_id>/invitation", methods=["POST"])
@require_roles("organiser")
@blp.doc(security=BEARER)
@blp.arguments(ResendIn)
@blp.response(201, MemberOut)
@blp.alt_response(409, schema=ErrorSchema, description="`not_invited` (accepted already) or `own_account`")
def resend_invitation(data, member_id):
    """A fresh invitation link for a member who has not accepted yet; the older link stops working."""
    actor = current_principal()
    user = members.visible_member(actor, member_id)
    invitations.resend(actor, user, data["locale"])
    db.session.commit()
    return _answer(user)


@blp.route("/invitations/<token>/accept", methods=["POST"])
@blp.arguments(AcceptIn)
@blp.response(201, AcceptOut)
@blp.alt_response(404, schema=ErrorSchema, description="`invalid_link`")
@blp.alt_response(409, schema=ErrorSchema, description="`link_used`: the link works once")
@blp.alt_response(410, schema=ErrorSchema, description="`link_expired` or `link_replaced`")
@public
@link_limited
def accept_invitation(data, token):
    """The invited person chooses a name and password; answers an API token."""
    user, raw = invitations.accept(token, data["name"], data["password"])
    db.session.commit()
    return {"token": raw, "member": _answer(user)}


@blp.route("/password-resets", methods=["POST"])
@blp.arguments(ResetRequestIn)
@blp.response(202, ResetRequestOut)
@public
@reset_request_limited
def request_password_reset(data):
    """Mail a one-time link to choose a new password; the answer is the same for every address."""
    passwords.request_reset(data["email"], data["locale"])
    db.session.commit()
    return {"message": RESET_ANSWER}


@blp.route("/password-resets/<token>", methods=["POST"])
@blp.arguments(ResetIn)
@blp.response(200, ResetRequestOut)
@blp.alt_response(404, schema=ErrorSchema, description="`invalid_link`")
@blp.alt_response(409, schema=ErrorSchema, description="`link_used`")
@blp.alt_response(410, schema=ErrorSchema, description="`link_expired` or `link_replaced`")
@public
@link_limited
def reset_password(data, token):
    """A new password through a reset link; every console session of the account ends."""
    passwords.reset(token, data["password"])
    db.session.commit()
    return {"message": "Your new password is set."}
