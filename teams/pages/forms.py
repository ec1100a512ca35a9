"""Forms of the team pages: they parse the input; the services judge it (their refusals land by field)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length

from app.users import ADMIN, CITY_TEAM, ORGANISER, STAFF
from teams.services.invitations import NAME_MAX, PASSWORD_MAX

REQUIRED = _l("This field is required.")
ROLE_LABELS = {
    STAFF: _l("Staff: scans passes at the gates"),
    CITY_TEAM: _l("City team: reads reports"),
    ORGANISER: _l("Organiser: runs the city's festivals"),
    ADMIN: _l("Admin: the whole network"),
}
ROLE_NAMES = {STAFF: _l("Staff"), CITY_TEAM: _l("City team"), ORGANISER: _l("Organiser"), ADMIN: _l("Admin")}
LANGUAGES = [SelectChoice("th", "ไทย (Thai)"), SelectChoice("en", "English")]


class InviteForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[InputRequired(REQUIRED), Length(max=254)])
    name = StringField(_l("Name (optional)"), validators=[Length(max=NAME_MAX)])
    role = SelectField(_l("Role"), choices=[])
    locale = SelectField(_l("Language of the invitation"), choices=LANGUAGES, default="th")

    def offer(self, roles):
        self.role.choices = [SelectChoice(role, ROLE_LABELS[role]) for role in roles]
        return self


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[])

    def offer(self, roles):
        self.role.choices = [SelectChoice(role, ROLE_NAMES[role]) for role in roles]
        return self


class ConfirmForm(FlaskForm):
    """A button that posts (CSRF-protected) and nothing else."""


class AcceptForm(FlaskForm):
    name = StringField(_l("Your name, as the team will see it"), validators=[InputRequired(REQUIRED), Length(max=NAME_MAX)])
    password = PasswordField(_l("Choose a password"), validators=[InputRequired(REQUIRED), Length(max=PASSWORD_MAX)])


class ForgotForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[InputRequired(REQUIRED), Length(max=254)])


class ResetForm(FlaskForm):
    password = PasswordField(_l("Choose a new password"), validators=[InputRequired(REQUIRED), Length(max=PASSWORD_MAX)])
