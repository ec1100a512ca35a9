"""Service messages in the reader's language.

Services speak English (the API's language for machines and scripts). The console
looks each message up in the catalogue; messages that carry a number or a name are
matched by pattern, so that "At most 300 characters." becomes Thai with its number.
"""
import re

from flask_babel import gettext

# (pattern of the English message, catalogue msgid with the same named parts)
PATTERNS = [
    (re.compile(r"^At most (?P<n>\d+) characters\.$"), "At most %(n)s characters."),
    (re.compile(r"^At most (?P<n>\d+) names\.$"), "At most %(n)s names."),
    (re.compile(r"^Must be between (?P<low>-?\d+) and (?P<high>-?\d+)\.$"), "Must be between %(low)s and %(high)s."),
    (re.compile(r"^Must be one of: (?P<words>.+)\.$"), "Must be one of: %(words)s."),
    (re.compile(r"^Each must be one of: (?P<words>.+)\.$"), "Each must be one of: %(words)s."),
    (re.compile(r"^A festival lasts at most (?P<n>\d+) days\.$"), "A festival lasts at most %(n)s days."),
    (re.compile(r"^A festival with the slug '(?P<slug>[^']*)' exists already\.$"),
     "A festival with the web address %(slug)s exists already."),
    (re.compile(r"^Booth (?P<code>.+) exists already\.$"), "Booth %(code)s exists already."),
    # the spreadsheet import (events/importing/programme.py, events/importing/spreadsheets.py)
    (re.compile(r"^(?P<q>['\"])(?P<value>.*)(?P=q) is not one of: (?P<words>.+)\.$"), "“%(value)s” is not one of: %(words)s."),
    (re.compile(r"^No venue called (?P<q>['\"])(?P<name>.*)(?P=q): add it first, or fill venue_kind to create it\.$"),
     "No venue called “%(name)s”: add it first, or fill venue_kind to create it."),
    (re.compile(r"^The venue is taken by row (?P<row>\d+) of this file at this time\.$"),
     "The venue is taken by row %(row)s of this file at this time."),
    (re.compile(r"^Cannot read (?P<q>['\"])(?P<value>.*)(?P=q) as (?P<column>\w+)\.$"), "Cannot read “%(value)s” as %(column)s."),
    (re.compile(r"^(?P<n>\d+) row\(s\) have errors; nothing was imported\.$"), "%(n)s row(s) have errors; nothing was imported."),
    (re.compile(r"^Missing columns: (?P<names>.+)\. Download the template for the headers\.$"),
     "Missing columns: %(names)s. Download the template for the headers."),
    (re.compile(r"^Two columns mean (?P<name>\w+): keep one\.$"), "Two columns mean %(name)s: keep one."),
    (re.compile(r"^At most (?P<n>\d+) rows in one import\.$"), "At most %(n)s rows in one import."),
    (re.compile(r"^The CSV cannot be read: (?P<reason>.*)\.$"), "The CSV cannot be read: %(reason)s."),
    (re.compile(r"^(?P<n>\d+) session\(s\) would fall outside the festival's new days: move or cancel them first\.$"),
     "%(n)s session(s) would fall outside the festival's new days: move or cancel them first."),
    (re.compile(r"^The venue is taken by session (?P<id>\d+) \((?P<title>.*)\) at this time\.$"),
     "The venue is taken by session %(id)s (%(title)s) at this time."),
]


def translate_message(message):
    for pattern, msgid in PATTERNS:
        match = pattern.match(message or "")
        if match:
            return gettext(msgid, **match.groupdict())
    return gettext(message) if message else message


def translate(error):
    """A DomainError's message for the console reader."""
    return translate_message(error.message)
