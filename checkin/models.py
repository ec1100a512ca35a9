"""Checkpoints (gates, session doors, booths), paired scanner devices, every scan, and the
state of one pass at one checkpoint (Admission). Models never commit."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, contains_eager, mapped_column, relationship

from app.access import city_resolver
from app.audit import audited
from app.database import UTCDateTime, db, now_utc
from events.models import Booth, Festival, ProgrammeSession, festival_city_of, in_festival_city
from registrations.models import Pass

GATE, SESSION, BOOTH = "gate", "session", "booth"
CHECKPOINT_KINDS = (GATE, SESSION, BOOTH)
ADMITTED, ALREADY_ADMITTED = "admitted", "already_admitted"
NOT_BOOKED, WAITLISTED, CANCELLED = "not_booked", "waitlisted", "cancelled"
WRONG_FESTIVAL, INVALID, NOT_OPEN = "wrong_festival", "invalid", "not_open"
RESULTS = (ADMITTED, ALREADY_ADMITTED, NOT_BOOKED, WAITLISTED, CANCELLED, WRONG_FESTIVAL, INVALID, NOT_OPEN)
IN, OUT = "in", "out"
DIRECTIONS = (IN, OUT)
# Where a scan came from: a staff scanner online, a scanner's offline queue, a visitor's phone at a poster.
STAFF_SOURCE, OFFLINE_SOURCE, POSTER_SOURCE = "staff", "offline", "poster"


@audited(city=in_festival_city, secrets=("poster_secret",))
class Checkpoint(db.Model):
    __tablename__ = "checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    festival_id: Mapped[int] = mapped_column(sa.ForeignKey("festivals.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(20))
    session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=True)
    booth_id: Mapped[int | None] = mapped_column(sa.ForeignKey("booths.id", ondelete="CASCADE"), nullable=True)
    opens_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    closes_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    # A gate can count exits too, so organisers see how many are inside now.
    counts_exits: Mapped[bool] = mapped_column(default=False)
    # Posters: the secret behind a poster's signed code; rotating it retires every printed copy.
    poster_version: Mapped[int] = mapped_column(default=1)
    poster_secret: Mapped[str] = mapped_column(sa.String(64), default="")
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=now_utc)

    festival: Mapped[Festival] = relationship()
    session: Mapped[ProgrammeSession | None] = relationship()
    booth: Mapped[Booth | None] = relationship()

    def is_open_at(self, moment):
        if self.opens_at is not None and moment < self.opens_at:
            return False
        if self.closes_at is not None and moment >= self.closes_at:
            return False
        return True


class ScannerDevice(db.Model):
    """A phone paired to scan for a festival (from a pairing QR or a signed-in session), acting for a user.

    Its token is an ordinary API token of that user (api_token_id), so the scan API
    needs one kind of authentication only; revoking the device revokes the token.
    """

    __tablename__ = "scanner_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    festival_id: Mapped[int] = mapped_column(sa.ForeignKey("festivals.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(sa.String(100), default="")
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    api_token_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("api_tokens.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # The one-time pairing code's nonce: a second use of the same code hits this unique key.
    pairing_nonce: Mapped[str | None] = mapped_column(sa.String(40), nullable=True, unique=True)
    paired_at: Mapped[object] = mapped_column(UTCDateTime, default=now_utc)
    revoked: Mapped[bool] = mapped_column(default=False)


class Scan(db.Model):
    """Every scan is kept, refused ones too: reports count them and disputes need them."""

    __tablename__ = "scans"
    __table_args__ = (
        # Offline uploads are idempotent per device and local id.
        sa.UniqueConstraint("device_id", "local_id", name="uq_scans_device_local"),
        sa.Index("ix_scans_checkpoint_pass", "checkpoint_id", "pass_id", "result"),
        sa.Index("ix_scans_festival_scanned", "festival_id", "scanned_at"),
        # Reports walk one checkpoint's scans in time order (entries and exits, inside at each moment).
        sa.Index("ix_scans_checkpoint_scanned", "checkpoint_id", "scanned_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("checkpoints.id", ondelete="CASCADE"))
    festival_id: Mapped[int] = mapped_column(sa.ForeignKey("festivals.id", ondelete="CASCADE"))
    pass_id: Mapped[int | None] = mapped_column(sa.ForeignKey("passes.id", ondelete="SET NULL"), nullable=True, index=True)
    result: Mapped[str] = mapped_column(sa.String(30))
    # Why a refusal was given (signature, length, serial, session_cancelled, ...): for staff and disputes.
    detail: Mapped[str] = mapped_column(sa.String(40), default="")
    direction: Mapped[str] = mapped_column(sa.String(5), default=IN)  # in / out (gates that count exits)
    walk_in: Mapped[bool] = mapped_column(default=False)  # admitted at a session door without a booking
    source: Mapped[str] = mapped_column(sa.String(10), default=STAFF_SOURCE)  # staff, offline, poster
    # Made outside the festival's days (in its zone): answered as usual, counted nowhere.
    rehearsal: Mapped[bool] = mapped_column(default=False)
    party_size: Mapped[int] = mapped_column(default=1)  # snapshot, for reports that outlive personal data
    device_id: Mapped[str] = mapped_column(sa.String(100), default="")
    local_id: Mapped[str | None] = mapped_column(sa.String(100), nullable=True)
    staff_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    scanned_at: Mapped[object] = mapped_column(UTCDateTime)
    received_at: Mapped[object] = mapped_column(UTCDateTime, default=now_utc)

    checkpoint: Mapped[Checkpoint] = relationship()
    pass_: Mapped[Pass | None] = relationship()


class Admission(db.Model):
    """One pass at one checkpoint: the row every scan of that pair locks first.

    The unique key serialises simultaneous scans of one pass (row lock on
    PostgreSQL, the write lock on SQLite), so that exactly one is admitted.
    `first_scanned_at` is null until the pass is admitted; the earliest scan wins,
    even when an offline scanner uploads it late.
    """

    __tablename__ = "admissions"
    __table_args__ = (sa.UniqueConstraint("checkpoint_id", "pass_id", name="uq_admissions_checkpoint_pass"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("checkpoints.id", ondelete="CASCADE"))
    pass_id: Mapped[int] = mapped_column(sa.ForeignKey("passes.id", ondelete="CASCADE"), index=True)
    festival_id: Mapped[int] = mapped_column(sa.ForeignKey("festivals.id", ondelete="CASCADE"), index=True)
    first_scan_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("scans.id", ondelete="SET NULL"), nullable=True
    )
    first_scanned_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    walk_in: Mapped[bool] = mapped_column(default=False)
    party_size: Mapped[int] = mapped_column(default=0)  # people admitted (a session door: the booked seats)
    # Gates that count exits: inside now, and the scan time of the last entry or exit that set it,
    # so that uploads arriving out of order leave the latest movement in force.
    inside: Mapped[bool] = mapped_column(default=False)
    moved_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=now_utc)

    checkpoint: Mapped[Checkpoint] = relationship()


def _checkpoint_beside_caller(caller):
    """The checkpoint's city, the checkpoint and its festival, outer-joined to the caller's own lookup by
    token (app.access): a gate scan finds its staff member and its checkpoint in one round trip."""
    return (
        caller.add_columns(Festival.city_id, Checkpoint)
        .outerjoin(Checkpoint, Checkpoint.id == sa.bindparam("checkpoint_id"))
        .outerjoin(Festival, Festival.id == Checkpoint.festival_id)
        .options(contains_eager(Checkpoint.festival))
    )


# What city a checkpoint or a scanner named in a URL belongs to: app/access.py refuses other cities' staff.
@city_resolver("checkpoint_id", beside_caller=_checkpoint_beside_caller)
def _checkpoint_city(checkpoint_id):
    """The city, selected with the checkpoint and its festival: the access check runs this before every
    scan, and the checkpoint it loads stays in the request's session (below), so that
    checkin.checkpoints.checkpoint_for finds it there instead of reading it a second time. Read beside a
    phone's token, it is kept per process with the caller (app.users) until a commit changes a
    checkpoint or festival, so new opening hours are still seen by the next scan."""
    return _CHECKPOINT_CITY, {"checkpoint_id": checkpoint_id}


_CHECKPOINT_CITY = (
    sa.select(Festival.city_id, Checkpoint)
    .join(Festival, Festival.id == Checkpoint.festival_id)
    .where(Checkpoint.id == sa.bindparam("checkpoint_id"))
    .options(contains_eager(Checkpoint.festival))
)


@sa.event.listens_for(Checkpoint, "load")
def _keep_for_the_session(checkpoint, context):
    # The identity map holds rows weakly, and the access check keeps only the city: hold the
    # checkpoint (and through it its festival) until the request's session ends. A checkpoint merged
    # from a kept reading (app.users) comes with no query context.
    session = context.session if context is not None else sa.orm.object_session(checkpoint)
    session.info.setdefault("checkin.checkpoints", []).append(checkpoint)


city_resolver("device_id")(festival_city_of(ScannerDevice))
