"""A visitor's personal data across the packages: the copy we give them, and its erasure (Thailand's PDPA).

What we hold about one pass holder lives in several packages: registrations
(the pass, its party, the consent record, the bookings), checkin (the scans),
mail (the mails sent), feeds (their agenda) and app (the audit log). app/
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

import sqlalchemy as sa

from app.audit import AuditEntry
from app.database import db, now_utc

FORMAT = "thetsakan.personal-data/1"
# Columns of an audited pass that name a person: scrubbed from the audit log on erasure.
PERSONAL_COLUMNS = ("name", "email", "phone")
ERASED = None

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


# --- the audit log (app) ------------------------------------------------------------


def _audit_of_pass(pass_id, booking_ids):
    about = sa.and_(AuditEntry.entity == "passes", AuditEntry.entity_id == pass_id)
    if booking_ids:
        about = sa.or_(about, sa.and_(AuditEntry.entity == "bookings", AuditEntry.entity_id.in_(booking_ids)))
    return sa.select(AuditEntry).where(about).order_by(AuditEntry.id)


def _booking_ids(pass_id):
    bookings = db.metadata.tables["bookings"]  # through the table: app/ imports no domain
    return list(db.session.scalars(sa.select(bookings.c.id).where(bookings.c.pass_id == pass_id)))


@exporter("organiser_changes", order=70)
def export_audit(pass_):
    """Changes organisers made to this pass or its bookings (who did it is staff data: the role only)."""
    return [
        {
            "at": entry.at.isoformat(timespec="seconds"),
            "by_role": entry.role,
            "action": entry.action,
            "entity": entry.entity,
            "entity_id": entry.entity_id,
            "before": entry.before,
            "after": entry.after,
        }
        for entry in db.session.scalars(_audit_of_pass(pass_.id, _booking_ids(pass_.id)))
    ]


def _scrubbed(values, identity):
    if not values:
        return values, False
    changed = False
    clean = dict(values)
    for key, value in values.items():
        if key in PERSONAL_COLUMNS or (isinstance(value, str) and value in identity.values):
            if value not in (None, ""):
                clean[key] = ERASED
                changed = True
    return clean, changed


@eraser("app.audit")
def erase_audit(identities):
    """The log keeps who changed what and when; a pass's name, email and phone leave it."""
    by_pass = {identity.pass_id: identity for identity in identities}
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity == "passes", AuditEntry.entity_id.in_(list(by_pass)))
    )
    for entry in entries:
        identity = by_pass[entry.entity_id]
        before, changed_before = _scrubbed(entry.before, identity)
        after, changed_after = _scrubbed(entry.after, identity)
        if changed_before:
            entry.before = before
        if changed_after:
            entry.after = after
