"""Field checks shared by the programme services and the spreadsheet import.

Each check takes the field's name and a plain value and returns the clean value or
raises Invalid(field, message, code). Codes are machine-readable and stable:
required, too_long, invalid, invalid_choice, out_of_range, invalid_timezone.
"""
import re
from datetime import date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from app.errors import Invalid

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# PostgreSQL integer columns; larger numbers would fail in the database, not here.
MAX_INT = 2**31 - 1
MAX_CAPACITY = 1_000_000
# Festival days: a bound keeps the date arithmetic (the day after, midnight in a zone) in range.
MIN_DATE = date(1990, 1, 1)
MAX_DATE = date(2200, 12, 31)


def text(field, value, max_length, required=False):
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid(field, "Must be text.", code="invalid")
    value = value.strip()
    if "\x00" in value:
        raise Invalid(field, "Must not contain NUL characters.", code="invalid")
    if required and not value:
        raise Invalid(field, "This field is required.", code="required")
    if len(value) > max_length:
        raise Invalid(field, f"At most {max_length} characters.", code="too_long")
    return value


def slug(field, value, max_length):
    value = text(field, value, max_length, required=True).lower()
    if not SLUG_RE.match(value):
        raise Invalid(field, "Use lowercase letters, digits and single hyphens (e.g. chiang-mai).", code="invalid")
    return value


def is_slug(value):
    """A lookup guard: anything that cannot be a slug is simply not found."""
    return isinstance(value, str) and len(value) <= 80 and bool(SLUG_RE.match(value))


def slugify(value):
    words = re.findall(r"[a-z0-9]+", (value or "").lower())
    return "-".join(words)[:70].strip("-")


def choice(field, value, allowed, required=True):
    if value is None or value == "":
        if required:
            raise Invalid(field, "This field is required.", code="required")
        return None
    if not isinstance(value, str) or value not in allowed:
        raise Invalid(field, f"Must be one of: {', '.join(allowed)}.", code="invalid_choice")
    return value


def choices(field, values, allowed):
    """A list of vocabulary words, de-duplicated, in the order given."""
    if values is None:
        return []
    if isinstance(values, str) or not isinstance(values, (list, tuple, set, frozenset)):
        raise Invalid(field, "Must be a list.", code="invalid")
    clean = []
    for value in values:
        if not isinstance(value, str) or value not in allowed:
            raise Invalid(field, f"Each must be one of: {', '.join(allowed)}.", code="invalid_choice")
        if value not in clean:
            clean.append(value)
    return clean


def names(field, values, max_items=30, max_length=200):
    """A list of people's or organisations' names (session hosts)."""
    if values is None:
        return []
    if isinstance(values, str) or not isinstance(values, (list, tuple)):
        raise Invalid(field, "Must be a list of names.", code="invalid")
    if len(values) > max_items:
        raise Invalid(field, f"At most {max_items} names.", code="too_long")
    clean = [text(field, value, max_length) for value in values]
    return [value for value in clean if value]


def integer(field, value, minimum=0, maximum=MAX_INT, nullable=True):
    if value is None or value == "":
        if nullable:
            return None
        raise Invalid(field, "This field is required.", code="required")
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(field, "Must be a whole number.", code="invalid")
    if value < minimum or value > maximum:
        raise Invalid(field, f"Must be between {minimum} and {maximum}.", code="out_of_range")
    return value


def capacity(field, value):
    return integer(field, value, minimum=0, maximum=MAX_CAPACITY)


def boolean(field, value):
    if not isinstance(value, bool):
        raise Invalid(field, "Must be true or false.", code="invalid")
    return value


def a_date(field, value, required=True):
    if value is None or value == "":
        if required:
            raise Invalid(field, "This field is required.", code="required")
        return None
    if isinstance(value, datetime):
        value = value.date()
    elif isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            pass
    if not isinstance(value, date):
        raise Invalid(field, "Must be a date (YYYY-MM-DD).", code="invalid")
    if not MIN_DATE <= value <= MAX_DATE:
        raise Invalid(field, f"Must be between {MIN_DATE.year} and {MAX_DATE.year}.", code="out_of_range")
    return value


# A festival happens somewhere: its zone is an IANA location (Area/City). The database also
# holds names that are no place (`localtime`, whatever the server is set to; `Factory`;
# `Etc/GMT+7`, which is UTC-7; `UTC`) and old aliases (`US/Eastern`, `posix/...`).
_REGIONS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")


@lru_cache(maxsize=1)
def _zones():
    return frozenset(zone for zone in available_timezones() if zone.split("/", 1)[0] in _REGIONS and "/" in zone)


def timezone_name(field, value):
    value = text(field, value, 64, required=True)
    if value not in _zones():
        raise Invalid(field, "Must be an IANA time zone such as Asia/Bangkok.", code="invalid_timezone")
    return value


def moment(field, value, zone):
    """An aware UTC datetime. Naive values (and ISO strings without an offset) are read in `zone`."""
    if value is None or value == "":
        raise Invalid(field, "This field is required.", code="required")
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise Invalid(field, "Must be an ISO 8601 date and time.", code="invalid") from None
    if not isinstance(value, datetime):
        raise Invalid(field, "Must be a date and time.", code="invalid")
    try:
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            value = value.replace(tzinfo=ZoneInfo(zone))
        return value.astimezone(ZoneInfo("UTC"))
    except (OverflowError, ValueError):
        raise Invalid(field, "This date and time is out of range.", code="out_of_range") from None


def local_moment(day, clock, zone):
    """A festival-local date and wall-clock time as an aware UTC datetime."""
    return datetime.combine(day, clock, tzinfo=ZoneInfo(zone)).astimezone(ZoneInfo("UTC"))


def midnight(day, zone):
    return local_moment(day, time(0, 0), zone)
