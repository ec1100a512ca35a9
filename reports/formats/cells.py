"""How a value of each column kind is written: exactly for CSV, readably for people."""
from datetime import date

from app.i18n import short_date
from reports.tables import DATE, HOUR, INT, PCT, STAMP, WORD, WORDS


# A cell a spreadsheet would run as a formula (OWASP "CSV injection"): names come from organisers.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_text(value):
    """Text kept as text in a spreadsheet: a leading quote before what would start a formula."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def csv_value(value, kind):
    """Stable text for scripts: codes, ISO dates, shares as fractions with four places."""
    if value is None:
        return ""
    if kind == PCT:
        return f"{value:.4f}"
    if isinstance(value, str):
        return as_text(value)
    return str(value)


def percent(value, locale):
    if value is None:
        return "–"
    text = f"{value * 100:.1f}".rstrip("0").rstrip(".")
    return f"{text} %" if locale == "en" else f"{text}%"


def integer(value):
    return "–" if value is None else f"{value:,}"


def display(table, value, kind, locale):
    """The text a person reads in the PDF (Thai or English, Buddhist Era dates in Thai)."""
    if value is None or value == "":
        return "–" if kind in (INT, PCT, HOUR, DATE) else ""
    if kind == PCT:
        return percent(value, locale)
    if kind == INT:
        return integer(value)
    if kind == WORD:
        return table.label(value, locale)
    if kind == WORDS:
        return table.labels_of(value, locale)
    if kind == HOUR:
        return f"{value:02d}:00"
    if kind == DATE:
        return short_date(date.fromisoformat(value), locale)
    if kind == STAMP:
        day, clock = value.split(" ")
        return f"{short_date(date.fromisoformat(day), locale)} {clock}"
    return str(value)
