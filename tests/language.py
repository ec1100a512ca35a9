"""What a reader meets on a page, a mail or a file, checked for the language they chose.

A Thai reader must meet no English catalogue message left untranslated, no raw code (a vocabulary word,
a status, a queue's name), no English sentence, no Gregorian date or year. An English reader must meet
no Thai catalogue text (nothing but the organisers' and visitors' own Thai names, which the test names as
data) and no raw code. The Thai page sweep (tests/thai) and the browser walks both ask here.
"""
import html.parser
import re
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

from events import vocabulary

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "events", "teams", "registrations", "checkin", "reports", "feeds", "mail", "workers", "webhooks")
# Words and codes a page must never show raw: the vocabulary, statuses, scan results, queue names.
CODES = (
    set(vocabulary.SESSION_KINDS) | set(vocabulary.AGE_GROUPS) | set(vocabulary.THEMES) | set(vocabulary.VENUE_KINDS)
    | {"scheduled", "cancelled", "confirmed", "waitlisted", "walk-in", "walk_in", "already_admitted", "not_booked",
       "wrong_festival", "not_open", "outbox", "feeds", "th-en"}
)
# Latin words a Thai page may show: names of formats and things that have no Thai name.
ALLOWED_LATIN = {"QR", "PDF", "CSV", "XLSX", "JSON", "ZIP", "zip", "English", "Thetsakan", "ไทย", "UNESCO", "PDPA",
                 "SHA", "ics", "agenda", "webcal", "https", "http", "iCal", "Google", "Apple", "Outlook", "Android",
                 "iPhone", "Excel", "LibreOffice", "Calendar", "Maildir", "SMTP_HOST", "flask", "wsgi", "worker",
                 "app", "scan", "ID", "URL", "Wi", "Fi"}
ISO_DATE = re.compile(r"\b(19|20)\d\d-\d\d-\d\d\b")
CE_YEAR = re.compile(r"(?<![\d.:/-])20[0-4]\d(?![\d:.-])")
# Thai clocks run to 24 hours. A clock reading stands alone ("9 PM", "10:30am"): digits inside a
# word (a random token such as "…10Z3AM") are not one.
TWELVE_HOUR = re.compile(r"(?<!\w)\d{1,2}(?:[:.]\d\d)?\s?(?:AM|PM|am|pm|a\.m\.|p\.m\.)(?!\w)")
ENGLISH_RUN = re.compile(r"\b[A-Za-z][a-z']+(?:[ ,]+[A-Za-z][a-z']+){3,}")


@lru_cache(maxsize=1)
def english_fragments():
    """Literal pieces (three words or more) of every catalogue message whose Thai differs from its English."""
    pieces = set()
    for package in PACKAGES:
        with open(ROOT / package / "translations" / "th" / "LC_MESSAGES" / "messages.po", "rb") as po:
            for message in read_po(po):
                ids = message.id if isinstance(message.id, tuple) else (message.id,)
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                if not message.id or ids[0] in strings:
                    continue
                for msgid in ids:
                    for piece in re.split(r"%\(\w+\)[sd]|%[sd]|\{[^}]*\}", msgid):
                        piece = piece.strip(" .,:;–—()“”\"'")
                        if len(piece.split()) >= 3:
                            pieces.add(piece)
    return frozenset(pieces)


class VisibleText(html.parser.HTMLParser):
    """What a person reads or hears: text outside scripts and styles, and alt/title/aria-label/placeholder."""

    HIDDEN = {"script", "style", "template", "noscript"}
    SPOKEN = ("alt", "title", "aria-label", "placeholder")

    def __init__(self):
        super().__init__()
        self.parts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.skip += 1
        attrs = dict(attrs)
        self.parts.extend(attrs[name] for name in self.SPOKEN if attrs.get(name))
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def visible(page_html):
    parser = VisibleText()
    parser.feed(page_html)
    return "\n".join(part.strip() for part in parser.parts if part.strip())


def around(text, match):
    return text[max(0, match.start() - 30):match.end() + 30].replace("\n", " / ")


def problems(text, fragments, known_english=()):
    """Each way `text` fails a Thai reader, as short strings."""
    text = re.sub(r"https?://\S+|webcal://\S+|[\w.+-]+@[\w-]+(\.[\w-]+)+|/[\w./-]+", " ", text)
    for name in known_english:  # organisers' own English names, shown as given
        text = text.replace(name, " ")
    found = [f"untranslated: {piece!r}" for piece in fragments if piece in text]
    for word in sorted(CODES):
        found += [f"raw code {word!r} in {around(text, m)!r}"
                  for m in re.finditer(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text)]
    found += [f"ISO date in {around(text, m)!r}" for m in ISO_DATE.finditer(text)]
    found += [f"Gregorian year in {around(text, m)!r}" for m in CE_YEAR.finditer(text)]
    found += [f"12-hour clock in {around(text, m)!r}" for m in TWELVE_HOUR.finditer(text)]
    for run in ENGLISH_RUN.finditer(text):
        words = [w for w in re.findall(r"[A-Za-z']+", run.group(0)) if w not in ALLOWED_LATIN]
        if len(words) >= 4:
            found.append(f"English: {run.group(0)!r}")
    return sorted(set(found))


THAI = re.compile(r"[\u0E00-\u0E7F]+(?:[\s\u0E00-\u0E7F]*[\u0E00-\u0E7F])?")
# In English, words like "confirmed" are plain English; a code with a hyphen or an underscore never is.
ENGLISH_CODES = {code for code in CODES if "_" in code or ("-" in code and code not in {"walk-in"})}


def english_problems(text, data=()):
    """Each way `text` fails an English reader: Thai script outside the people's own data, raw codes."""
    text = re.sub(r"https?://\S+|webcal://\S+|[\w.+-]+@[\w-]+(\.[\w-]+)+", " ", text)
    for name in sorted(data, key=len, reverse=True):  # people's and organisers' own Thai names, shown as given
        text = text.replace(name, " ")
    text = text.replace("ไทย", " ")  # the language switch names Thai in Thai, as every switch does
    found = [f"Thai in {around(text, m)!r}" for m in THAI.finditer(text)]
    for word in sorted(ENGLISH_CODES):
        found += [f"raw code {word!r} in {around(text, m)!r}"
                  for m in re.finditer(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text)]
    return sorted(set(found))


def assert_reads_in(page, lang, data=()):
    """Fail when the page (a Playwright page as it stands now) does not read wholly in `lang`.

    `data` lists what people typed themselves (names, titles given in one language only): shown as given.
    """
    text = visible(page.content())
    found = english_problems(text, data) if lang == "en" else problems(text, english_fragments(), data)
    assert not found, f"{page.url} does not read in {lang}:\n- " + "\n- ".join(found)
