"""Console forms for checkpoints, posters and scanner pairing. They type the input; services judge it."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

KIND_LABELS = {"gate": _l("Gate"), "session": _l("Session door"), "booth": _l("Booth")}


class CheckpointForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(_l("This field is required.")), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(kind, label) for kind, label in KIND_LABELS.items()])
    session_id = SelectField(_l("Session (a session door)"), coerce=int, default=0)
    booth_id = SelectField(_l("Booth (a booth checkpoint)"), coerce=int, default=0)
    opens_at = DateTimeLocalField(_l("Opens at (optional)"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    closes_at = DateTimeLocalField(_l("Closes at (optional)"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    counts_exits = BooleanField(_l("Count exits too (a gate)"))


class CheckpointEditForm(FlaskForm):
    """What an organiser may change on a checkpoint: its kind and what it names stay."""

    name = StringField(_l("Name"), validators=[InputRequired(_l("This field is required.")), Length(max=200)])
    opens_at = DateTimeLocalField(_l("Opens at (optional)"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    closes_at = DateTimeLocalField(_l("Closes at (optional)"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    counts_exits = BooleanField(_l("Count exits too (a gate)"))


class PairingForm(FlaskForm):
    user_id = SelectField(_l("Scans as"), coerce=int)


class ConfirmForm(FlaskForm):
    """A button that changes something: the CSRF token only."""
