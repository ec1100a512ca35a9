"""Passes, party members, consents, bookings and each festival's signing key. Models never commit."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.access import city_resolver
from app.audit import audited
from app.database import UTCDateTime, db, now_utc
from events.models import Festival, ProgrammeSession, city_of_festival, in_festival_city

PASS_ACTIVE, PASS_CANCELLED = "active", "cancelled"
# A pass whose holder deleted their personal data: it admits no one but still counts in reports.
PASS_ANONYMISED = "anonymised"
CONFIRMED, WAITLISTED, CANCELLED = "confirmed", "waitlisted", "cancelled"


@audited(city=in_festival_city, secrets=("manage_token", "manage_token_hash", "feed_token", "feed_token_hash"))
class Pass(db.Model):
    """One pass per email per festival; it admits the holder and their family party."""

    __tablename__ = "passes"
    __table_args__ = (sa.UniqueConstraint("festival_id", "email", name="uq_passes_festival_email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    festival_id: Mapped[int] = mapped_column(sa.ForeignKey("festivals.id", ondelete="CASCADE"), index=True)
    # Random, not the primary key: this is what the QR code carries.
    public_id: Mapped[bytes] = mapped_column(sa.LargeBinary(8), unique=True)
    serial: Mapped[int] = mapped_column(default=1)  # raised when a code is reissued; older serials are revoked
    # Secret URLs. Looked up by their SHA-256, so lookups reveal nothing by timing.
    manage_token: Mapped[str] = mapped_column(sa.String(64))
    manage_token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    feed_token: Mapped[str] = mapped_column(sa.String(64))
    feed_token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # Personal data: emptied by a PDPA deletion or the retention purge (anonymised_at set).
    name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str] = mapped_column(sa.String(254))
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    age_group: Mapped[str] = mapped_column(sa.String(10))
    locale: Mapped[str] = mapped_column(sa.String(5), default="th")
    status: Mapped[str] = mapped_column(sa.String(20), default=PASS_ACTIVE, index=True)
    consent_version: Mapped[str] = mapped_column(sa.String(40))
    consent_locale: Mapped[str] = mapped_column(sa.String(5))
    consent_text_sha256: Mapped[str] = mapped_column(sa.String(64))
    consent_at: Mapped[object] = mapped_column(UTCDateTime)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=now_utc, index=True)
    cancelled_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    anonymised_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)

    festival: Mapped[Festival] = relationship()
    party: Mapped[list["PartyMember"]] = relationship(
        back_populates="pass_", order_by="PartyMember.position", cascade="all, delete-orphan"
    )
    bookings: Mapped[list["Booking"]] = relationship(back_populates="pass_", order_by="Booking.id")

    @property
    def party_size(self):
        return 1 + len(self.party)

    @property
    def is_active(self):
        return self.status == PASS_ACTIVE


class PartyMember(db.Model):
    """A family member who comes on the holder's pass (a child registers with a parent)."""

    __tablename__ = "party_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    pass_id: Mapped[int] = mapped_column(sa.ForeignKey("passes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(sa.String(200))
    age_group: Mapped[str] = mapped_column(sa.String(10))

    pass_: Mapped[Pass] = relationship(back_populates="party")


def _booking_city(session, booking):
    """For @audited: a booking is its pass's festival's city's."""
    return city_of_festival(session, session.execute(sa.select(Pass.festival_id).where(Pass.id == booking.pass_id)).scalar())


@audited(city=_booking_city)
class Booking(db.Model):
    __tablename__ = "bookings"
    __table_args__ = (
        # One live booking per pass and session; cancelled rows stay as history.
        sa.Index(
            "uq_bookings_live",
            "pass_id",
            "session_id",
            unique=True,
            sqlite_where=sa.text("status != 'cancelled'"),
            postgresql_where=sa.text("status != 'cancelled'"),
        ),
        sa.Index("ix_bookings_session_status", "session_id", "status", "queued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pass_id: Mapped[int] = mapped_column(sa.ForeignKey("passes.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("sessions.id", ondelete="CASCADE"))
    seats: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(sa.String(20))
    # Waitlist order is arrival order: (queued_at, id). Positions are counted, never stored,
    # so they can have no gaps or duplicates.
    queued_at: Mapped[object] = mapped_column(UTCDateTime, default=now_utc)
    confirmed_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    promoted_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_by: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)  # visitor, organiser, session
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=now_utc)

    pass_: Mapped[Pass] = relationship(back_populates="bookings")
    session: Mapped[ProgrammeSession] = relationship()


class FestivalKey(db.Model):
    """The Ed25519 key pair that signs a festival's pass codes; scanners get only the public half."""

    __tablename__ = "festival_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    festival_id: Mapped[int] = mapped_column(sa.ForeignKey("festivals.id", ondelete="CASCADE"), index=True)
    private_key: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=now_utc)


# What city a booking named in a URL belongs to: app/access.py refuses other cities' staff.
city_resolver("booking_id")(
    lambda booking_id: sa.select(Festival.city_id)
    .join(Pass, Pass.festival_id == Festival.id)
    .join(Booking, Booking.pass_id == Pass.id)
    .where(Booking.id == booking_id)
)
