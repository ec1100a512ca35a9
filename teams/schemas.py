"""marshmallow schemas of the team API: invitations in, members and tokens out."""
import marshmallow as ma
from marshmallow import validate

from app.users import ROLES
from teams.services.invitations import NAME_MAX, PASSWORD_MAX
from teams.services.links import LOCALES
from teams.services.members import STATUSES


class InviteIn(ma.Schema):
    email = ma.fields.String(required=True, validate=validate.Length(min=3, max=254))
    role = ma.fields.String(required=True, validate=validate.OneOf(ROLES))
    name = ma.fields.String(load_default="", validate=validate.Length(max=NAME_MAX))
    locale = ma.fields.String(load_default="th", validate=validate.OneOf(LOCALES),
                              metadata={"description": "the language of the invitation mail and page"})


class RoleIn(ma.Schema):
    role = ma.fields.String(required=True, validate=validate.OneOf(ROLES))


class ResendIn(ma.Schema):
    locale = ma.fields.String(load_default=None, validate=validate.OneOf(LOCALES))


class AcceptIn(ma.Schema):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=NAME_MAX))
    password = ma.fields.String(required=True, validate=validate.Length(max=PASSWORD_MAX))


class ResetRequestIn(ma.Schema):
    email = ma.fields.String(required=True, validate=validate.Length(min=1, max=254))
    locale = ma.fields.String(load_default="th", validate=validate.OneOf(LOCALES))


class ResetIn(ma.Schema):
    password = ma.fields.String(required=True, validate=validate.Length(max=PASSWORD_MAX))


class PhoneOut(ma.Schema):
    id = ma.fields.Integer()
    label = ma.fields.String(metadata={"description": "the name the person pairing gave the phone"})
    festival_th = ma.fields.String()
    festival_en = ma.fields.String()
    paired_at = ma.fields.DateTime()


class MemberOut(ma.Schema):
    id = ma.fields.Integer()
    email = ma.fields.String()
    name = ma.fields.String()
    role = ma.fields.String(metadata={"enum": list(ROLES)})
    status = ma.fields.String(metadata={"enum": list(STATUSES)})
    city = ma.fields.String(allow_none=True, metadata={"description": "the city's slug; none for an admin"})
    last_sign_in_at = ma.fields.DateTime(allow_none=True)
    phones = ma.fields.List(ma.fields.Nested(PhoneOut))


class AcceptOut(ma.Schema):
    token = ma.fields.String(metadata={"description": "send as Authorization: Bearer <token>"})
    member = ma.fields.Nested(MemberOut)


class ResetRequestOut(ma.Schema):
    message = ma.fields.String()
