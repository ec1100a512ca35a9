"""Checkpoints (gates, session doors, booths), paired scanner devices and every scan. Models never commit."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import UTCDateTime, db, now_utc
from events.models import Booth, Festival, ProgrammeSession
from registrations.models import Pass

GATE, SESSION, BOOTH = "gate", "session", "booth"
CHECKPOINT_KINDS = (GATE, SESSION, BOOTH)
RESULTS = (
    "admitted",
    "already_admitted",
    "not_booked",
    "waitlisted",
    "cancelled",
    "wrong_festival",
    "invalid",
    "not_open",
)


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


class ScannerDevice(db.Model):
    """A phone paired to scan for a festival (from a pairing QR), acting for a staff user."""

    __tablename__ = "scanner_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    festival_id: Mapped[int] = mapped_column(sa.ForeignKey("festivals.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(sa.String(100), default="")
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
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
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("checkpoints.id", ondelete="CASCADE"))
    festival_id: Mapped[int] = mapped_column(sa.ForeignKey("festivals.id", ondelete="CASCADE"))
    pass_id: Mapped[int | None] = mapped_column(sa.ForeignKey("passes.id", ondelete="SET NULL"), nullable=True, index=True)
    result: Mapped[str] = mapped_column(sa.String(30))
    direction: Mapped[str] = mapped_column(sa.String(5), default="in")  # in / out (gates that count exits)
    walk_in: Mapped[bool] = mapped_column(default=False)  # admitted at a session door without a booking
    source: Mapped[str] = mapped_column(sa.String(10), default="staff")  # staff, offline, poster
    party_size: Mapped[int] = mapped_column(default=1)  # snapshot, for reports that outlive personal data
    device_id: Mapped[str] = mapped_column(sa.String(100), default="")
    local_id: Mapped[str | None] = mapped_column(sa.String(100), nullable=True)
    staff_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    scanned_at: Mapped[object] = mapped_column(UTCDateTime)
    received_at: Mapped[object] = mapped_column(UTCDateTime, default=now_utc)

    checkpoint: Mapped[Checkpoint] = relationship()
    pass_: Mapped[Pass | None] = relationship()
