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
