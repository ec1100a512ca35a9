"""Console forms. They parse and type the input; the services judge it.

Field names follow the service keywords, so that a service's `Invalid(field=...)`
lands next to the field that caused it. Labels and WTForms' own messages go
through Flask-Babel, so they come out in Thai from this package's catalogue.
"""
from datetime import datetime

from flask_babel import get_translations, gettext, lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    SelectChoice,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.i18n import current_locale
from events.models import DEFAULT_SIGNUPS_PER_HOUR
from events.vocabulary import AGE_GROUPS, LANGUAGES, SESSION_KINDS, THEMES, VENUE_KINDS, label

REQUIRED = _l("This field is required.")


class BabelTranslations:
    """WTForms' built-in messages ("Not a valid integer value.") looked up in our catalogues."""

    def gettext(self, string):
        return gettext(string)

    def ngettext(self, singular, plural, n):
        # Untouched: WTForms fills in %(value)s itself. Flask-Babel's ngettext() would format the
        # message with `num` alone and fail on it (KeyError), e.g. for a choice that is not offered.
        return get_translations().ngettext(singular, plural, n)


class ConsoleForm(FlaskForm):
    class Meta:
        def get_translations(self, form):
            return BabelTranslations()

    def add_error(self, field, message):
        """Put a service's message next to its field; unknown fields go to the top of the form."""
        target = getattr(self, field, None) if field else None
        if target is None or not hasattr(target, "errors") or field == "csrf_token":
            self.form_errors.append(message)
            return
        if isinstance(target.errors, tuple):
            target.errors = list(target.errors)
        target.errors.append(message)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def vocabulary_choices(words):
    """(value, label) pairs in the reader's language, built when the form is made."""
    locale = current_locale()
    return [SelectChoice(word, label(word, locale)) for word in words]


def optional_id(value):
    return int(value) if value not in (None, "", "None") else None


def venue_choices(festival):
    locale = current_locale()
    return [SelectChoice("", gettext("No particular venue"))] + [
        SelectChoice(str(venue.id), venue.name_th if locale == "th" else venue.name_en) for venue in festival.venues
    ]


def text(field):
    return (field.data or "").strip()


class FestivalForm(ConsoleForm):
    city_id = SelectField(_l("City"), coerce=optional_id, validate_choice=False)
    slug = StringField(_l("Web address (slug)"), validators=[Optional()],
                       description=_l("Letters, digits and dashes, e.g. chiang-mai-2027. Leave blank to make one from the English name."))
    name_th = StringField(_l("Name in Thai"))
    name_en = StringField(_l("Name in English"))
    starts_on = DateField(_l("First day"), validators=[InputRequired(REQUIRED)])
    ends_on = DateField(_l("Last day"), validators=[InputRequired(REQUIRED)])
    timezone = StringField(_l("Time zone"), default="Asia/Bangkok", validators=[InputRequired(REQUIRED)])
    venue_th = StringField(_l("Venue in Thai"))
    venue_en = StringField(_l("Venue in English"))
    address = StringField(_l("Address"))
    description_th = TextAreaField(_l("Description in Thai"))
    description_en = TextAreaField(_l("Description in English"))
    stamp_goal = IntegerField(_l("Stamps for a full card"), default=5,
                              validators=[InputRequired(REQUIRED)])
    allow_walk_ins = BooleanField(_l("Walk-ins may join sessions without booking when seats are free"), default=True)
    allow_self_checkin = BooleanField(_l("Visitors may check themselves in by scanning a poster"))
    signups_per_hour = IntegerField(
        _l("New passes per hour"), default=DEFAULT_SIGNUPS_PER_HOUR, validators=[Optional()],
        description=_l("Sign-ups beyond this in one hour are refused: a ceiling against scripts signing up "
                       "fake families. Raise it before a big rush, such as a school signing up its classes."),
    )

    CREATE_ONLY = ("city_id", "slug")

    def validate_ends_on(self, field):
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(gettext("The last day cannot come before the first day."))

    def values(self, creating):
        """The keywords for create_festival/update_festival."""
        names = [name for name in self._fields if name != "csrf_token"]
        if not creating:
            names = [name for name in names if name not in self.CREATE_ONLY]
        values = {name: self[name].data for name in names if name != "city_id"}
        for name in ("name_th", "name_en", "timezone", "venue_th", "venue_en", "address", "slug"):
            if name in values:
                values[name] = (values[name] or "").strip()
        if creating and not values.get("slug"):
            values.pop("slug", None)
        if values.get("signups_per_hour") is None:
            values.pop("signups_per_hour", None)  # left blank: the festival keeps its ceiling (a new one the default)
        return values


class VenueForm(ConsoleForm):
    name_th = StringField(_l("Name in Thai"))
    name_en = StringField(_l("Name in English"))
    kind = SelectField(_l("Kind"), default="stage")
    capacity = IntegerField(_l("Capacity"), validators=[Optional()],
                            description=_l("People the place holds. Leave blank if it does not matter."))
    sort_order = IntegerField(_l("Order on the programme"), default=0, validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = vocabulary_choices(VENUE_KINDS)

    def values(self):
        return {
            "name_th": text(self.name_th),
            "name_en": text(self.name_en),
            "kind": self.kind.data,
            "capacity": self.capacity.data,
            "sort_order": self.sort_order.data or 0,
        }


class SessionForm(ConsoleForm):
    title_th = StringField(_l("Title in Thai"))
    title_en = StringField(_l("Title in English"))
    kind = SelectField(_l("Kind"), default="workshop")
    venue_id = SelectField(_l("Venue"), coerce=optional_id)
    day = SelectField(_l("Day"), validators=[InputRequired(REQUIRED)])
    starts = TimeField(_l("Starts"), validators=[InputRequired(REQUIRED)])
    ends = TimeField(_l("Ends"), validators=[InputRequired(REQUIRED)])
    capacity = IntegerField(_l("Seats"), validators=[Optional()],
                            description=_l("Leave blank for a session open to all, without booking."))
    themes = MultiCheckboxField(_l("Themes (UNESCO's features of a learning city)"))
    age_groups = MultiCheckboxField(_l("For whom"))
    adult_takes_seat = BooleanField(
        _l("In a children's workshop, an accompanying adult takes a seat"),
        description=_l("Leave it off when the seats are counted in children and a parent comes along without one."),
    )
    hosts = TextAreaField(_l("Hosts"), description=_l("One per line."))
    language = SelectField(_l("Language"), default="th")
    description_th = TextAreaField(_l("Description in Thai"))
    description_en = TextAreaField(_l("Description in English"))

    # Services speak in datetimes; the form in a day and two clock times.
    FIELD_FOR = {"starts_at": "starts", "ends_at": "ends"}

    def __init__(self, festival, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = vocabulary_choices(SESSION_KINDS)
        self.themes.choices = vocabulary_choices(THEMES)
        self.age_groups.choices = vocabulary_choices(AGE_GROUPS)
        self.language.choices = vocabulary_choices(LANGUAGES)
        self.venue_id.choices = venue_choices(festival)
        self.day_choices = [day.isoformat() for day in festival.days()]
        self.day.choices = [SelectChoice(day.isoformat(), day) for day in festival.days()]
        self.festival = festival

    def include_day(self, day):
        """An edited session may sit on a day the festival no longer has: keep it choosable."""
        if day.isoformat() not in self.day_choices:
            self.day_choices.append(day.isoformat())
            self.day.choices.append(SelectChoice(day.isoformat(), day))

    def add_error(self, field, message):
        super().add_error(self.FIELD_FOR.get(field, field), message)

    def values(self):
        day = datetime.fromisoformat(self.day.data).date()
        zone = self.festival.zone
        return {
            "title_th": text(self.title_th),
            "title_en": text(self.title_en),
            "description_th": self.description_th.data or "",
            "description_en": self.description_en.data or "",
            "kind": self.kind.data,
            "venue_id": self.venue_id.data,
            "starts_at": datetime.combine(day, self.starts.data, tzinfo=zone),
            "ends_at": datetime.combine(day, self.ends.data, tzinfo=zone),
            "capacity": self.capacity.data,
            "themes": list(self.themes.data or []),
            "age_groups": list(self.age_groups.data or []),
            "adult_takes_seat": bool(self.adult_takes_seat.data),
            "hosts": [line.strip() for line in (self.hosts.data or "").splitlines() if line.strip()],
            "language": self.language.data,
        }


class BoothForm(ConsoleForm):
    code = StringField(_l("Booth number"), description=_l("The number on the map, e.g. A12."))
    name_th = StringField(_l("Name in Thai"))
    name_en = StringField(_l("Name in English"))
    exhibitor = StringField(_l("Exhibitor"))
    venue_id = SelectField(_l("Venue"), coerce=optional_id)
    themes = MultiCheckboxField(_l("Themes (UNESCO's features of a learning city)"))
    age_groups = MultiCheckboxField(_l("For whom"))
    description_th = TextAreaField(_l("Description in Thai"))
    description_en = TextAreaField(_l("Description in English"))

    def __init__(self, festival, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.themes.choices = vocabulary_choices(THEMES)
        self.age_groups.choices = vocabulary_choices(AGE_GROUPS)
        self.venue_id.choices = venue_choices(festival)

    def values(self):
        return {
            "code": text(self.code),
            "name_th": text(self.name_th),
            "name_en": text(self.name_en),
            "exhibitor": text(self.exhibitor),
            "venue_id": self.venue_id.data,
            "themes": list(self.themes.data or []),
            "age_groups": list(self.age_groups.data or []),
            "description_th": self.description_th.data or "",
            "description_en": self.description_en.data or "",
        }


class StatusForm(ConsoleForm):
    """Publish or unpublish: a button that posts one value."""

    status = SelectField(choices=[SelectChoice("draft"), SelectChoice("published")])


class ConfirmForm(ConsoleForm):
    """Cancel or delete: only the CSRF token."""


class ImportForm(ConsoleForm):
    file = FileField(_l("Programme file (CSV or XLSX)"))
