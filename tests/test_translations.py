"""Every message a package marks for translation has its Thai in that package's catalogue: Thai first,
and an organiser in Thai should not meet an English page because a string was added without one."""
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["app", "events", "registrations", "checkin", "reports", "feeds", "mail", "workers"]
# The same methods as babel.cfg, which `make translations` uses.
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]


def _marked(package):
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(ROOT / package, METHODS):
        key = message if isinstance(message, str) else message[0]
        found.setdefault(key, f"{package}/{filename}:{lineno}")
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_every_marked_message_has_its_thai(package):
    with open(ROOT / package / "translations" / "th" / "LC_MESSAGES" / "messages.po", "rb") as po:
        catalogue = read_po(po)
    marked = _marked(package)
    assert marked, f"{package}: no messages found: is the extraction looking in the right place?"
    missing = []
    for message, where in marked.items():
        entry = catalogue.get(message)
        text = entry.string if entry is not None else ""
        if not text or (isinstance(text, tuple) and not all(text)):
            missing.append(f"{where}: {message!r}")
    assert missing == []
