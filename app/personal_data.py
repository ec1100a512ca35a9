"""A visitor's personal data across the packages: the copy we give them, and its erasure (Thailand's PDPA).

What we hold about one pass holder lives in several packages: registrations
(the pass, its party, the consent record, the bookings), checkin (the scans),
mail (the mails sent), feeds (their agenda) and the audit log (its part is
registrations'). app/
imports no domain, so each package that keeps something about a visitor
registers its own part here, in its `personal_data` module (the factory
imports them):

* an exporter: pass -> one JSON-ready section of the visitor's export;
* an eraser: [Identity] -> removes or scrubs what the package keeps beside
  the pass that could name these people. It runs in the transaction that
  anonymises the passes (registrations.services.erasure), flushes, never commits.

docs/privacy.md lists what each part holds and why.
"""
from dataclasses import dataclass

from app.database import db, now_utc

FORMAT = "thetsakan.personal-data/1"

_exporters = []  # (order, section, function)
_erasers = {}  # name -> function


@dataclass(frozen=True)
class Identity:
    """Who a pass named before it was anonymised: what erasers look for in their copies."""

    pass_id: int
    festival_id: int
    email: str
    names: tuple = ()  # the holder's, then the party members'
    phone: str = ""

    @property
    def values(self):
        """The strings that identify these people (empty ones left out)."""
        return tuple(v for v in (self.email, *self.names, self.phone) if v and v.strip())


def exporter(section, order=100):
    """Register `function(pass_) -> JSON-ready value` as the export's `section`."""

    def register(function):
        global _exporters
        _exporters = sorted(
            [entry for entry in _exporters if entry[1] != section] + [(order, section, function)],
            key=lambda entry: (entry[0], entry[1]),
        )
        return function

    return register


def eraser(name):
    """Register `function(identities)`: scrub this package's copies of these people's data."""

    def register(function):
        _erasers[name] = function
        return function

    return register


def erasers():
    return sorted(_erasers)


def export(pass_):
    """Everything we hold about a pass holder, section by section, in a fixed order."""
    body = {"format": FORMAT, "exported_at": now_utc().isoformat(timespec="seconds")}
    for _order, section, function in _exporters:
        body[section] = function(pass_)
    return body


def erase(identities):
    """Run every registered eraser over these (already anonymised) passes' former identities."""
    identities = [identity for identity in identities if identity is not None]
    if not identities:
        return
    db.session.flush()  # the audit log's entries of this very transaction included
    for name in sorted(_erasers):
        _erasers[name](identities)
    db.session.flush()
