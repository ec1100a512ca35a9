"""A report is a list of tables: named columns of a known kind, rows in a fixed order.

Column and table titles are English msgids, translated when a file is written
for people (XLSX, PDF); CSV files keep the stable keys for scripts.
"""
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from app.i18n import current_locale
from events.vocabulary import label

# WORD: a vocabulary word (age group, kind, theme, scan result): its code in CSV, its name elsewhere.
# VALUE: the kind is the row's own (Table.row_kinds), for tables of mixed figures.
# STAMP: a local date and time as 'YYYY-MM-DD HH:MM' in the festival's zone.
# WORDS: several vocabulary words joined by ";" (their codes in CSV, their names, comma-separated, elsewhere).
TEXT, WORD, INT, PCT, DATE, TIME, HOUR, STAMP, VALUE = "text", "word", "int", "pct", "date", "time", "hour", "stamp", "value"
WORDS = "words"


@dataclass(frozen=True)
class Column:
    key: str
    title: object  # an English msgid (lazy), translated at write time
    kind: str = INT
    width: int = 0  # characters, for spreadsheets; 0: from the kind


@dataclass
class Table:
    key: str  # the CSV file's and the spreadsheet's stable name
    title: object
    columns: tuple
    rows: list = field(default_factory=list)
    labels: dict = field(default_factory=dict)  # word -> title, for WORD columns beyond the vocabulary
    row_kinds: list | None = None  # for VALUE columns

    def label(self, word, locale):
        if word in self.labels:
            return str(self.labels[word])
        return word_label(word, locale)

    def labels_of(self, words, locale):
        """A WORDS cell ("a;b") as the reader's names, comma-separated."""
        return ", ".join(self.label(word, locale) for word in str(words).split(";") if word)

    def kind_of(self, column, row_number):
        if column.kind == VALUE:
            return self.row_kinds[row_number]
        return column.kind

    def index(self, key):
        return [c.key for c in self.columns].index(key)

    def values(self, key):
        i = self.index(key)
        return [row[i] for row in self.rows]

    def dicts(self):
        keys = [c.key for c in self.columns]
        return [dict(zip(keys, row)) for row in self.rows]


def rate(numerator, denominator):
    """A share as a fraction rounded to 4 places (0.2500 = 25 %), or None when there is nothing to divide by."""
    if not denominator:
        return None
    return round(numerator / denominator, 4)


def in_order(found, vocabulary):
    """The vocabulary's words first, in its order, then any other word found, sorted."""
    return list(vocabulary) + sorted(word for word in found if word not in vocabulary and word is not None)


RESULT_TITLES = {
    "admitted": _l("Admitted"),
    "already_admitted": _l("Already admitted (repeat scan)"),
    "not_booked": _l("No booking for this session"),
    "waitlisted": _l("On the waitlist"),
    "cancelled": _l("Pass cancelled"),
    "wrong_festival": _l("Pass of another festival"),
    "invalid": _l("Unreadable or forged code"),
    "not_open": _l("Checkpoint not open"),
}


def word_label(word, locale):
    """The Thai or English name of a vocabulary word (age group, kind, theme, scan result)."""
    if word in RESULT_TITLES:
        return str(RESULT_TITLES[word])
    return label(word, locale)



class WordTitle:
    """A column named after a vocabulary word, in the language being written."""

    def __init__(self, word):
        self.word = word

    def __str__(self):
        return word_label(self.word, current_locale())
