"""marshmallow schemas of the check-in API: what comes in, and the shape of each answer."""
from datetime import datetime, timezone

import marshmallow as ma
from marshmallow import validate

from checkin.models import CHECKPOINT_KINDS, DIRECTIONS, RESULTS

MAX_CODE = 2000  # far longer than any pass code; longer bodies are not scans
MAX_BATCH = 500
# A scanner's clock can be wrong, but not by centuries: times outside this are refused (422), so
# that the zone arithmetic of answers and reports stays in range (as for festival days).
PLAUSIBLE = validate.Range(
    min=datetime(1990, 1, 1, tzinfo=timezone.utc), max=datetime(2200, 12, 31, tzinfo=timezone.utc),
    error="Must be between 1990 and 2200.",
)


def _aware():
    return ma.fields.AwareDateTime(default_timezone=timezone.utc, load_default=None, validate=PLAUSIBLE)


class CheckpointIn(ma.Schema):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = ma.fields.String(required=True, validate=validate.OneOf(CHECKPOINT_KINDS))
    session_id = ma.fields.Integer(load_default=None, allow_none=True, strict=True)
    booth_id = ma.fields.Integer(load_default=None, allow_none=True, strict=True)
    opens_at = ma.fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=None, validate=PLAUSIBLE)
    closes_at = ma.fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=None, validate=PLAUSIBLE)
    counts_exits = ma.fields.Boolean(load_default=False)


class CheckpointPatch(ma.Schema):
    """What an organiser may change on a checkpoint; absent fields stay as they are."""

    name = ma.fields.String(validate=validate.Length(min=1, max=200))
    opens_at = ma.fields.AwareDateTime(allow_none=True, default_timezone=None, validate=PLAUSIBLE)
    closes_at = ma.fields.AwareDateTime(allow_none=True, default_timezone=None, validate=PLAUSIBLE)
    counts_exits = ma.fields.Boolean()


class CheckpointOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    kind = ma.fields.String()
    session_id = ma.fields.Integer(allow_none=True)
    booth_id = ma.fields.Integer(allow_none=True)
    opens_at = ma.fields.String(allow_none=True)
    closes_at = ma.fields.String(allow_none=True)
    counts_exits = ma.fields.Boolean()
    poster_version = ma.fields.Integer()
    poster_pdf = ma.fields.String(allow_none=True, metadata={"description": "the A4 poster (booths and session doors)"})
    poster_visit_url = ma.fields.String(allow_none=True, metadata={"description": "what the poster's QR opens"})


class ScanIn(ma.Schema):
    code = ma.fields.String(required=True, validate=validate.Length(max=MAX_CODE))
    scanned_at = _aware()
    device_id = ma.fields.String(load_default="", validate=validate.Length(max=100))
    direction = ma.fields.String(load_default="in", validate=validate.OneOf(DIRECTIONS))
    local_id = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=100),
                                metadata={"description": "optional: a retried scan with the same device and local id is answered from the first"})


class BatchItemIn(ma.Schema):
    local_id = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    code = ma.fields.String(required=True, validate=validate.Length(max=MAX_CODE))
    scanned_at = ma.fields.AwareDateTime(required=True, default_timezone=timezone.utc, validate=PLAUSIBLE)
    direction = ma.fields.String(load_default="in", validate=validate.OneOf(DIRECTIONS))


class BatchIn(ma.Schema):
    device_id = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    scans = ma.fields.List(ma.fields.Nested(BatchItemIn), required=True, validate=validate.Length(max=MAX_BATCH))


class PassShown(ma.Schema):
    name = ma.fields.String()
    age_group = ma.fields.String()
    party_size = ma.fields.Integer()


class ScanOut(ma.Schema):
    result = ma.fields.String(metadata={"enum": list(RESULTS)})
    message = ma.fields.String()
    scan_id = ma.fields.Integer()
    checkpoint_id = ma.fields.Integer()
    scanned_at = ma.fields.String()
    direction = ma.fields.String()
    walk_in = ma.fields.Boolean()
    rehearsal = ma.fields.Boolean(metadata={"description": "made outside the festival's days: counted nowhere"})
    detail = ma.fields.String()
    party_size = ma.fields.Integer(metadata={"description": "people admitted by this scan"})
    first_scanned_at = ma.fields.String(allow_none=True)
    pass_ = ma.fields.Nested(PassShown, data_key="pass", allow_none=True)


class BatchResultOut(ma.Schema):
    local_id = ma.fields.String()
    result = ma.fields.String(metadata={"enum": list(RESULTS)})
    scan_id = ma.fields.Integer()
    first_scanned_at = ma.fields.String(allow_none=True)
    walk_in = ma.fields.Boolean()
    rehearsal = ma.fields.Boolean()
    pass_ = ma.fields.Nested(PassShown, data_key="pass", allow_none=True)


class BatchOut(ma.Schema):
    results = ma.fields.List(ma.fields.Nested(BatchResultOut))


class VisitIn(ma.Schema):
    poster_code = ma.fields.String(required=True, validate=validate.Length(min=1, max=300))


class VisitOut(ScanOut):
    kind = ma.fields.String(metadata={"description": "booth or session"})
    place_th = ma.fields.String()
    place_en = ma.fields.String()
    stamps = ma.fields.Integer()
    stamp_goal = ma.fields.Integer()


class PairIn(ma.Schema):
    pairing_code = ma.fields.String(required=True, validate=validate.Length(min=1, max=500))
    label = ma.fields.String(load_default="", validate=validate.Length(max=100))


class DeviceOut(ma.Schema):
    device_id = ma.fields.Integer()
    token = ma.fields.String(metadata={"description": "send as Authorization: Bearer <token>"})
    festival = ma.fields.String()
    user = ma.fields.String()
    role = ma.fields.String()


# --- answers documented only (the views build them as plain dictionaries) ------------------


class CheckpointStatsOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    kind = ma.fields.String(metadata={"enum": list(CHECKPOINT_KINDS)})
    session_id = ma.fields.Integer(allow_none=True)
    booth_id = ma.fields.Integer(allow_none=True)
    admitted_passes = ma.fields.Integer()
    admitted_people = ma.fields.Integer()
    walk_ins = ma.fields.Integer()
    scans = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), metadata={"description": "scans by result"})
    entries = ma.fields.Integer(metadata={"description": "gates only"})
    exits = ma.fields.Integer(metadata={"description": "gates only"})
    inside_passes = ma.fields.Integer(metadata={"description": "gates that count exits"})
    inside_people = ma.fields.Integer(metadata={"description": "gates that count exits"})


class InsideNowOut(ma.Schema):
    people = ma.fields.Integer()
    passes = ma.fields.Integer()
    gates = ma.fields.Integer()


class SessionAttendanceOut(ma.Schema):
    session_id = ma.fields.Integer()
    title_th = ma.fields.String()
    title_en = ma.fields.String()
    starts_at = ma.fields.String(metadata={"format": "date-time"})
    capacity = ma.fields.Integer(allow_none=True)
    bookings = ma.fields.Integer()
    seats_booked = ma.fields.Integer()
    attended_passes = ma.fields.Integer()
    attended_people = ma.fields.Integer()
    walk_in_passes = ma.fields.Integer()
    walk_in_people = ma.fields.Integer()
    attendance_rate = ma.fields.Float(allow_none=True)
    checkpoint_ids = ma.fields.List(ma.fields.Integer())


class CheckinStatsOut(ma.Schema):
    festival = ma.fields.String()
    checkpoints = ma.fields.List(ma.fields.Nested(CheckpointStatsOut))
    inside_now = ma.fields.Nested(InsideNowOut)
    sessions = ma.fields.List(ma.fields.Nested(SessionAttendanceOut))


class PairingOut(ma.Schema):
    pairing_code = ma.fields.String()
    pairing_url = ma.fields.String(metadata={"description": "the /scan address to show as a QR code"})
    expires_in = ma.fields.Integer(metadata={"description": "seconds"})


class ScannerFestivalOut(ma.Schema):
    slug = ma.fields.String()
    name_th = ma.fields.String()
    name_en = ma.fields.String()
    starts_on = ma.fields.Date()
    ends_on = ma.fields.Date()
    status = ma.fields.String()


class ScannerFestivalsOut(ma.Schema):
    user = ma.fields.String()
    role = ma.fields.String()
    festivals = ma.fields.List(ma.fields.Nested(ScannerFestivalOut))
