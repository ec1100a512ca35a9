"""Console forms for endpoints. They type the input; webhooks.services judges it."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, SelectMultipleField, StringField, URLField
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget

from webhooks.topics import TOPICS

TOPIC_LABELS = {
    "pass.created": _l("A pass was made"),
    "pass.cancelled": _l("A pass was cancelled"),
    "booking.confirmed": _l("A seat was booked"),
    "booking.waitlisted": _l("A booking joined the waitlist"),
    "booking.promoted": _l("A waitlisted booking got its seat"),
    "booking.cancelled": _l("A booking was cancelled"),
    "session.changed": _l("A session moved, was cancelled or changed its seats"),
    "scan.admitted": _l("A pass was admitted at a checkpoint"),
    "report.finished": _l("A report is ready"),
    "webhook.test": _l("Test event"),
}


class EndpointForm(FlaskForm):
    url = URLField(_l("Endpoint URL"), validators=[Length(max=2000)])
    topics = SelectMultipleField(_l("Topics"), choices=[SelectChoice(t, TOPIC_LABELS[t]) for t in TOPICS],
                                 widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    festival = SelectField(_l("Festival"), default="")
    description = StringField(_l("Note (whose endpoint, what for)"), validators=[Length(max=200)])


class ConfirmForm(FlaskForm):
    """A button that changes something: the CSRF token only."""
