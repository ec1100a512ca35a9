"""Scanning a pass at a checkpoint: read the signed code, then admit or refuse, and keep every scan.

The rules, in order: an unreadable or forged code is `invalid`; a code of another
festival is `wrong_festival`; a cancelled pass or a replaced (revoked) serial is
`cancelled`; outside the checkpoint's hours is `not_open`. Then, under the lock of
the (checkpoint, pass) Admission row: a gate admits once (and again after an
exit when it counts exits), a booth records one visit, a session door admits a
confirmed booking or, when the festival allows walk-ins and seats are free, a
walk-in (registrations decides whether its seats are free, and takes them).
A second scan is `already_admitted` with the time of the first.

A scan made outside the festival's days (in its zone) is a rehearsal: it is judged
the same way and answers with `rehearsal: true`, but against a fresh admission that
is never stored, and it takes no seat, so no count, report, stamp card or later
scan takes it into account.
"""
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from app import metrics
from app.database import db, now_utc
from app.errors import Invalid, N_
from app.outbox import emit, wanted
from checkin import admissions
from checkin.models import (
    ADMITTED, ALREADY_ADMITTED, CANCELLED, GATE, IN, INVALID, NOT_BOOKED, NOT_OPEN, OFFLINE_SOURCE, OUT,
    SESSION, STAFF_SOURCE, WAITLISTED, WRONG_FESTIVAL, Admission, Scan,
)
from registrations import pass_codes
from registrations.models import CONFIRMED, PASS_ACTIVE, Booking, PartyMember, Pass
from registrations.models import WAITLISTED as BOOKING_WAITLISTED
from registrations.services import seats


@dataclass
class Outcome:
    """What a scan answered; `scan` is the stored row (a Scan, or the StoredScan just written);
    `pass_` a Pass or the PassAtGate a scan of a code read."""

    result: str
    scan: "Scan | admissions.StoredScan"
    pass_: "Pass | PassAtGate | None" = None
    first_scanned_at: datetime | None = None
    walk_in: bool = False
    detail: str = ""

    @property
    def party_size(self):
        return self.scan.party_size

    @property
    def rehearsal(self):
        return self.scan.rehearsal


@dataclass
class _Verdict:
    result: str | None = None
    detail: str = ""
    walk_in: bool = False
    party_size: int = 0
    first_scanned_at: datetime | None = None


@dataclass(frozen=True)
class PassAtGate:
    """What a scan reads of a pass: enough to judge it and to show it to the staff member."""

    id: int
    festival_id: int
    serial: int
    status: str
    name: str
    age_group: str
    party_size: int

    @property
    def is_active(self):
        return self.status == PASS_ACTIVE


# One row in Core, built once: the pass's ORM object, its party loaded as a joined collection to
# be counted, and the statement built per scan cost more CPU than the read itself.
_PASS_AT_GATE = sa.select(
    Pass.id, Pass.festival_id, Pass.serial, Pass.status, Pass.name, Pass.age_group,
    (sa.select(sa.func.count(PartyMember.id)).where(PartyMember.pass_id == Pass.id).scalar_subquery() + 1)
    .label("party_size"),
).where(Pass.public_id == sa.bindparam("public_id"))


def _admissible(found):
    """The refusals of _judge_pass below that the database can tell: where none applies, the read also
    locks the pass's admission (a code of this checkpoint's festival, checked before asking)."""
    return sa.and_(
        found.c.festival_id == sa.bindparam("festival_id"), found.c.status == PASS_ACTIVE,
        found.c.serial <= sa.bindparam("code_serial"),
    )


_READ_AND_LOCK = admissions.read_and_lock_statement(_PASS_AT_GATE, _admissible)
# An entry at a gate or booth: a pass not seen there before is admitted by the same statement (_judge
# admits a first entry there whatever else holds).
_READ_AND_ADMIT = admissions.read_and_admit_statement(_PASS_AT_GATE, _admissible)
_PASS_FIELDS = len(_PASS_AT_GATE.selected_columns)


def read_pass(code, festival_id):
    """(pass, refusal, detail): the pass behind a code (a PassAtGate), or why there is none to admit."""
    try:
        parsed = _verify(code)
    except pass_codes.InvalidCode as error:
        return None, INVALID, str(error)[:40]
    return _read(parsed, festival_id)


def _read(parsed, festival_id):
    row = db.session.execute(_PASS_AT_GATE, {"public_id": parsed.public_id}).first()
    return _judge_pass(PassAtGate(*row) if row is not None else None, parsed, festival_id)


def _read_and_lock(code, checkpoint, entry=None):
    """read_pass, and on PostgreSQL the lock of the admission in the same statement when the pass
    is admissible: (pass, refusal, detail, locked AdmissionState or None, the scan stored or None).
    `entry`: the scan's columns (insert_scan's) of an entry at a gate or booth, which the same
    statement stores, admitted, when the pass was not seen there before."""
    try:
        parsed = _verify(code)
    except pass_codes.InvalidCode as error:
        return None, INVALID, str(error)[:40], None, None
    if parsed.festival_id != checkpoint.festival_id or admissions.dialect() != "postgresql":
        return (*_read(parsed, checkpoint.festival_id), None, None)
    parameters = {
        "public_id": parsed.public_id, "festival_id": checkpoint.festival_id, "code_serial": parsed.serial,
        "checkpoint_id": checkpoint.id, "created_at": now_utc(),
    }
    if entry is not None:
        parameters.update(entry)
    row = db.session.execute(_READ_AND_LOCK if entry is None else _READ_AND_ADMIT, parameters).first()
    if row is None:
        return None, INVALID, "unknown_pass", None, None
    pass_, refusal, detail = _judge_pass(PassAtGate(*row[:_PASS_FIELDS]), parsed, checkpoint.festival_id)
    stored = None
    if entry is not None and row.scan_id is not None:
        stored = admissions.StoredScan(row.scan_id, checkpoint.id, entry["scanned_at"], IN, pass_.party_size, False)
    return pass_, refusal, detail, admissions.locked_state(row), stored


def _judge_pass(pass_, parsed, festival_id):
    if pass_ is None or pass_.festival_id != parsed.festival_id:
        return None, INVALID, "unknown_pass"
    if parsed.festival_id != festival_id:
        # Signed by another festival: say so, but show nothing of that festival's visitor.
        return None, WRONG_FESTIVAL, ""
    if not pass_.is_active:
        return pass_, CANCELLED, "pass_cancelled"
    if parsed.serial < pass_.serial:
        return pass_, CANCELLED, "serial_revoked"
    return pass_, None, ""


# Public keys by festival id, kept per process: keys are only ever added, so a code that fails
# against the cached keys is checked once more against the database before it is called invalid.
_public_keys = {}


def _verify(code):
    def cached(festival_id):
        keys = _public_keys.get(festival_id)
        if keys is None:
            keys = _public_keys[festival_id] = pass_codes.public_keys(festival_id)
        return keys

    def fresh(festival_id):
        keys = pass_codes.public_keys(festival_id)
        if keys:
            _public_keys[festival_id] = keys
        else:
            _public_keys.pop(festival_id, None)  # no such festival: forged ids do not fill the cache
        return keys

    try:
        return pass_codes.verify(code, cached)
    except pass_codes.InvalidCode as error:
        if str(error) != "signature":
            raise
        return pass_codes.verify(code, fresh)


SCANS = metrics.counter("thetsakan_scans_total", "Scans recorded (committed), by result.", ("result",))


def scan_code(checkpoint, code, *, user=None, device_id="", scanned_at=None, direction=IN, source=STAFF_SOURCE,
              local_id=None):
    """One scan of a pass code at a checkpoint; stored whatever it answers."""
    if local_id is not None:
        earlier = stored_scan(device_id, local_id)
        if earlier is not None:
            return outcome_of(earlier)
    _check_direction(checkpoint, direction)
    received_at = now_utc()
    scanned_at = scanned_at or received_at
    if checkpoint.is_open_at(scanned_at) and not is_rehearsal(checkpoint.festival, scanned_at):
        # The pass and the lock of its admission in one round trip (the admission is the next thing asked);
        # a first entry at a gate or booth is judged and stored by it too.
        entry = None
        if direction == IN and checkpoint.kind != SESSION:
            entry = {"scanned_at": scanned_at, "received_at": received_at, "source": source,
                     "device_id": device_id or "", "local_id": local_id,
                     "staff_user_id": user.id if user is not None else None}
        pass_, refusal, detail, locked, stored = _read_and_lock(code, checkpoint, entry)
        if stored is not None:
            _announce(checkpoint, stored, ADMITTED, IN)
            return Outcome(ADMITTED, stored, pass_)
    else:
        (pass_, refusal, detail), locked = read_pass(code, checkpoint.festival_id), None
    return _decide(checkpoint, pass_, refusal, detail, user=user, device_id=device_id, scanned_at=scanned_at,
                   received_at=received_at, direction=direction, source=source, local_id=local_id, locked=locked)


def scan_pass(checkpoint, pass_, *, source, scanned_at=None, device_id="", user=None):
    """A scan of a pass already known (a visitor's own phone at a poster)."""
    received_at = now_utc()
    refusal, detail = None, ""
    if pass_.festival_id != checkpoint.festival_id:
        pass_, refusal = None, WRONG_FESTIVAL
    elif not pass_.is_active:
        refusal, detail = CANCELLED, "pass_cancelled"
    return _decide(checkpoint, pass_, refusal, detail, user=user, device_id=device_id,
                   scanned_at=scanned_at or received_at, received_at=received_at, direction=IN, source=source,
                   local_id=None)


def scan_batch(checkpoint, items, *, user=None, device_id):
    """Scans made offline, uploaded later: idempotent per (device_id, local_id).

    Items are handled oldest first and in a fixed order of passes, so that two
    uploads holding the same passes take their row locks in the same order.
    """
    for item in items:
        _check_direction(checkpoint, item.get("direction", IN))
    outcomes = {}
    prepared = []
    for index, item in enumerate(items):
        local_id = str(item["local_id"])
        earlier = stored_scan(device_id, local_id)
        if earlier is not None:
            outcomes[index] = outcome_of(earlier)
            continue
        pass_, refusal, detail = read_pass(item["code"], checkpoint.festival_id)
        prepared.append((pass_.id if pass_ else 0, item["scanned_at"], index, pass_, refusal, detail, local_id))
    seen = {}
    for _pass_id, scanned_at, index, pass_, refusal, detail, local_id in sorted(prepared, key=lambda p: p[:3]):
        if local_id in seen:  # the same local id twice in one upload: one scan
            outcomes[index] = outcomes[seen[local_id]]
            continue
        seen[local_id] = index
        outcomes[index] = _decide(
            checkpoint, pass_, refusal, detail, user=user, device_id=device_id, scanned_at=scanned_at,
            received_at=now_utc(), direction=items[index].get("direction", IN), source=OFFLINE_SOURCE,
            local_id=local_id,
        )
    return [(str(items[i]["local_id"]), outcomes[i]) for i in range(len(items))]


def stored_scan(device_id, local_id):
    return db.session.scalar(sa.select(Scan).where(Scan.device_id == device_id, Scan.local_id == local_id))


def outcome_of(scan):
    """The answer a stored scan gives now (a replayed upload answers from what was stored)."""
    first = None
    if scan.result == ALREADY_ADMITTED and scan.pass_id is not None:
        first = db.session.scalar(
            sa.select(Admission.first_scanned_at).where(
                Admission.checkpoint_id == scan.checkpoint_id, Admission.pass_id == scan.pass_id
            )
        )
    shown = scan.pass_ if scan.result != WRONG_FESTIVAL else None
    return Outcome(scan.result, scan, shown, first, scan.walk_in, scan.detail)


def _check_direction(checkpoint, direction):
    if direction == OUT and not (checkpoint.kind == GATE and checkpoint.counts_exits):
        raise Invalid("direction", N_("Only a gate that counts exits takes exit scans."), code="no_exits")
    if direction not in (IN, OUT):
        raise Invalid("direction", N_("Direction is in or out."), code="invalid_choice")


def is_rehearsal(festival, scanned_at):
    """A scan made on none of the festival's days, in the festival's time zone."""
    day = scanned_at.astimezone(festival.zone).date()
    return not festival.starts_on <= day <= festival.ends_on


def _decide(checkpoint, pass_, refusal, detail, *, user, device_id, scanned_at, received_at, direction, source,
            local_id, locked=None):
    """`locked`: the pass's admission, already locked in this transaction by the read of the pass."""
    verdict = _Verdict(refusal, detail)
    admission = None
    rehearsal = is_rehearsal(checkpoint.festival, scanned_at)
    if refusal is None and not checkpoint.is_open_at(scanned_at):
        verdict = _Verdict(NOT_OPEN, "hours")
    if verdict.result is None:
        # A rehearsal is judged as if the pass had not been seen here: an admission never stored,
        # so that neither it nor the real scans that follow see each other.
        admission = admissions.AdmissionState() if rehearsal else locked or admissions.lock(
            checkpoint.id, pass_.id, checkpoint.festival_id)
        verdict = _judge(checkpoint, pass_, admission, scanned_at, direction, source, rehearsal)
    party_size = verdict.party_size or (pass_.party_size if pass_ is not None else 0)
    first = False
    if admission is not None and not rehearsal and verdict.result == ADMITTED and direction == IN:
        first = _record_admission(admission, scanned_at, verdict.walk_in, party_size)
    scan = admissions.insert_scan(
        None if rehearsal else admission,
        first=first,
        checkpoint_id=checkpoint.id,
        festival_id=checkpoint.festival_id,
        pass_id=pass_.id if pass_ is not None else None,
        result=verdict.result,
        detail=verdict.detail,
        direction=direction,
        walk_in=verdict.walk_in,
        rehearsal=rehearsal,
        source=source,
        party_size=party_size,
        device_id=device_id or "",
        local_id=local_id,
        staff_user_id=user.id if user is not None else None,
        scanned_at=scanned_at,
        received_at=received_at,
    )
    _announce(checkpoint, scan, verdict.result, direction)
    return Outcome(verdict.result, scan, pass_, verdict.first_scanned_at, verdict.walk_in, verdict.detail)


def _announce(checkpoint, scan, result, direction):
    """The messages and the count a stored scan gives, on commit."""
    # No job reads scan.recorded (reports read the scans table): a gate scan writes no outbox row
    # for it unless a reader declares itself with app.outbox.read_by. scan.admitted is read only by
    # partners' webhooks, so it is written only where an endpoint of this festival listens.
    if wanted("scan.recorded", festival_id=checkpoint.festival_id):
        emit("scan.recorded", scan_id=scan.id, checkpoint_id=checkpoint.id, festival_id=checkpoint.festival_id,
             result=result, rehearsal=scan.rehearsal)
    if result == ADMITTED and direction == IN and not scan.rehearsal and wanted(
            "scan.admitted", festival_id=checkpoint.festival_id):
        emit("scan.admitted", scan_id=scan.id, checkpoint_id=checkpoint.id, festival_id=checkpoint.festival_id)
    metrics.count_on_commit(SCANS, result)


def _judge(checkpoint, pass_, admission, scanned_at, direction, source, rehearsal):
    if direction == OUT:
        _move(admission, inside=False, at=scanned_at)
        return _Verdict(ADMITTED, "exit", party_size=pass_.party_size)
    if admission.first_scanned_at is not None:
        return _again(checkpoint, pass_, admission, scanned_at, source)
    if checkpoint.kind == SESSION:
        return _session_door(checkpoint, pass_, rehearsal)
    return _Verdict(ADMITTED, "", party_size=pass_.party_size)


def _again(checkpoint, pass_, admission, scanned_at, source):
    """A pass seen here before: re-entry after an exit, an earlier offline scan, or a duplicate."""
    if checkpoint.kind == GATE and checkpoint.counts_exits and not admission.inside and (
        admission.moved_at is None or scanned_at >= admission.moved_at
    ):
        return _Verdict(ADMITTED, "re-entry", party_size=pass_.party_size)
    if source == OFFLINE_SOURCE and scanned_at < admission.first_scanned_at:
        # Two scanners admitted this pass while offline: the earliest scan is the admission.
        earlier = db.session.get(Scan, admission.first_scan_id) if admission.first_scan_id else None
        if earlier is not None and earlier.result == ADMITTED:
            earlier.result = ALREADY_ADMITTED
            earlier.detail = "later_than_offline"
        return _Verdict(ADMITTED, "", walk_in=admission.walk_in, party_size=admission.party_size or pass_.party_size)
    return _Verdict(ALREADY_ADMITTED, "", first_scanned_at=admission.first_scanned_at,
                    party_size=admission.party_size or pass_.party_size)


def _session_door(checkpoint, pass_, rehearsal):
    session = checkpoint.session
    if session.status == "cancelled":
        return _Verdict(NOT_OPEN, "session_cancelled")
    if not session.needs_booking:
        return _Verdict(ADMITTED, "", party_size=pass_.party_size)  # open to all: no booking to check
    booking = db.session.scalar(
        sa.select(Booking).where(
            Booking.pass_id == pass_.id, Booking.session_id == session.id, Booking.status != "cancelled"
        )
    )
    if booking is not None and booking.status == CONFIRMED:
        return _Verdict(ADMITTED, "", party_size=booking.seats)
    refusal = WAITLISTED if booking is not None and booking.status == BOOKING_WAITLISTED else NOT_BOOKED
    if checkpoint.festival.allow_walk_ins:
        # Registrations owns the seats: it seats the party's people the session is for, if free,
        # under the same lock as bookings. A rehearsal asks without taking.
        taken = seats.walk_in(session.id, db.session.get(Pass, pass_.id), take=not rehearsal)
        if taken:
            return _Verdict(ADMITTED, "walk_in", walk_in=True, party_size=taken)
    return _Verdict(refusal, "", party_size=pass_.party_size)


def _record_admission(admission, scanned_at, walk_in, party_size):
    """Enter this scan's admission; True when it becomes the first (the scan's id is its first_scan_id)."""
    first = admission.first_scanned_at is None or scanned_at < admission.first_scanned_at
    if first:
        admission.first_scanned_at = scanned_at
        admission.walk_in = walk_in
        admission.party_size = party_size
        admission.changed = True
    _move(admission, inside=True, at=scanned_at)
    return first


def _move(admission, *, inside, at):
    if admission.moved_at is None or at >= admission.moved_at:
        admission.inside = inside
        admission.moved_at = at
        admission.changed = True
