"""Cities, festivals, venues, programme sessions and booths. Models never commit."""
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.access import city_resolver
from app.audit import audited
from app.database import UTCDateTime, db, now_utc
from app.users import User


def city_of_festival(session, festival_id):
    """The city a festival belongs to (None for an unknown festival)."""
    if festival_id is None:
        return None
    return session.execute(sa.select(Festival.city_id).where(Festival.id == festival_id)).scalar()


def in_festival_city(session, row):
    """For @audited: a row of a festival is its festival's city's."""
    return city_of_festival(session, row.festival_id)


def festival_city_of(model):
    """For city_resolver: the city of `model`'s row with this id, through its festival."""
    return lambda row_id: (
        sa.select(Festival.city_id).join(model, model.festival_id == Festival.id).where(model.id == row_id)
    )


@audited(city=lambda session, city: city.id)
class City(db.Model):
    __tablename__ = "cities"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(60), unique=True)
    name_th: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200))
    province_th: Mapped[str] = mapped_column(sa.String(200), default="")
    province_en: Mapped[str] = mapped_column(sa.String(200), default="")
    member_since: Mapped[int | None] = mapped_column(nullable=True)  # GNLC membership year (CE)
    unit: Mapped[str] = mapped_column(sa.String(60), default="")  # city municipality, province, ...
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=now_utc)

    festivals: Mapped[list["Festival"]] = relationship(back_populates="city")

# New passes a festival takes in an hour before sign-ups are refused (429): a ceiling against a
# script signing up thousands of fake families, which the festival's organisers see and raise.
DEFAULT_SIGNUPS_PER_HOUR = 2000
MAX_SIGNUPS_PER_HOUR = 100_000


# Every console user but an admin belongs to one city (app/users.py): the city is ours to name.
User.__table__.append_constraint(sa.ForeignKeyConstraint([User.__table__.c.city_id], [City.__table__.c.id]))


@audited(city=lambda session, festival: festival.city_id)
class Festival(db.Model):
    __tablename__ = "festivals"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    city_id: Mapped[int] = mapped_column(sa.ForeignKey("cities.id"), index=True)
    name_th: Mapped[str] = mapped_column(sa.String(300))
    name_en: Mapped[str] = mapped_column(sa.String(300))
    description_th: Mapped[str] = mapped_column(sa.Text, default="")
    description_en: Mapped[str] = mapped_column(sa.Text, default="")
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date] = mapped_column(sa.Date)
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Asia/Bangkok")
    venue_th: Mapped[str] = mapped_column(sa.String(300), default="")
    venue_en: Mapped[str] = mapped_column(sa.String(300), default="")
    address: Mapped[str] = mapped_column(sa.String(500), default="")
    status: Mapped[str] = mapped_column(sa.String(20), default="draft", index=True)
    # Check-in options the organiser sets (used by checkin/).
    stamp_goal: Mapped[int] = mapped_column(default=5)
    allow_walk_ins: Mapped[bool] = mapped_column(default=True)
    allow_self_checkin: Mapped[bool] = mapped_column(default=False)
    signups_per_hour: Mapped[int] = mapped_column(default=DEFAULT_SIGNUPS_PER_HOUR,
                                                  server_default=str(DEFAULT_SIGNUPS_PER_HOUR))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    city: Mapped[City] = relationship(back_populates="festivals")
    venues: Mapped[list["Venue"]] = relationship(back_populates="festival", order_by="Venue.sort_order, Venue.id")
    sessions: Mapped[list["ProgrammeSession"]] = relationship(back_populates="festival")
    booths: Mapped[list["Booth"]] = relationship(back_populates="festival", order_by="Booth.code, Booth.id")

    @property
    def zone(self):
        return ZoneInfo(self.timezone)

    @property
    def is_published(self):
        return self.status == "published"

    def days(self):
        return [self.starts_on + timedelta(days=n) for n in range((self.ends_on - self.starts_on).days + 1)]


@audited(city=in_festival_city)
class Venue(db.Model):
    __tablename__ = "venues"

    id: Mapped[int] = mapped_column(primary_key=True)
    festival_id: Mapped[int] = mapped_column(sa.ForeignKey("festivals.id", ondelete="CASCADE"), index=True)
    name_th: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(20))
    capacity: Mapped[int | None] = mapped_column(nullable=True)
    sort_order: Mapped[int] = mapped_column(default=0)

    festival: Mapped[Festival] = relationship(back_populates="venues")


@audited(city=in_festival_city)
class ProgrammeSession(db.Model):
    """A workshop, talk, forum, performance, exhibition or activity in the programme."""

    __tablename__ = "sessions"
    __table_args__ = (sa.Index("ix_sessions_festival_start", "festival_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    festival_id: Mapped[int] = mapped_column(sa.ForeignKey("festivals.id", ondelete="CASCADE"))
    venue_id: Mapped[int | None] = mapped_column(sa.ForeignKey("venues.id"), nullable=True, index=True)
    title_th: Mapped[str] = mapped_column(sa.String(300))
    title_en: Mapped[str] = mapped_column(sa.String(300))
    description_th: Mapped[str] = mapped_column(sa.Text, default="")
    description_en: Mapped[str] = mapped_column(sa.Text, default="")
    kind: Mapped[str] = mapped_column(sa.String(20), index=True)
    starts_at: Mapped[object] = mapped_column(UTCDateTime)
    ends_at: Mapped[object] = mapped_column(UTCDateTime)
    capacity: Mapped[int | None] = mapped_column(nullable=True)  # null: open to all, no booking
    themes: Mapped[list] = mapped_column(sa.JSON, default=list)
    age_groups: Mapped[list] = mapped_column(sa.JSON, default=list)
    hosts: Mapped[list] = mapped_column(sa.JSON, default=list)
    language: Mapped[str] = mapped_column(sa.String(10), default="th")
    status: Mapped[str] = mapped_column(sa.String(20), default="scheduled")
    # Seat counters kept by registrations/ under the session's row lock, so that
    # the programme shows seats left without counting bookings on every read.
    seats_confirmed: Mapped[int] = mapped_column(default=0)
    waitlist_length: Mapped[int] = mapped_column(default=0)
    # Seats taken at the door by walk-ins: the same seats bookings draw on.
    walk_in_seats: Mapped[int] = mapped_column(default=0)
    # A children's workshop: does the adult who accompanies the children take a seat?
    # Off by default, as organisers count a children's workshop in children (docs/booking-rules.md).
    adult_takes_seat: Mapped[bool] = mapped_column(default=False)
    # Raised on every change visitors should see (iCalendar SEQUENCE).
    sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[object] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    festival: Mapped[Festival] = relationship(back_populates="sessions")
    venue: Mapped[Venue | None] = relationship()

    @property
    def needs_booking(self):
        return self.capacity is not None

    @property
    def seats_left(self):
        """What the programme shows; decisions ask registrations.services.seats.seats_free under the lock."""
        return seats_left_of(self.capacity, self.seats_confirmed, self.walk_in_seats)


def seats_left_of(capacity, seats_confirmed, walk_in_seats):
    """Seats the programme shows as left (None: no booking); the stored programme merges it from the counters."""
    if capacity is None:
        return None
    return max(0, capacity - seats_confirmed - walk_in_seats)


@audited(city=in_festival_city)
class Booth(db.Model):
    __tablename__ = "booths"

    id: Mapped[int] = mapped_column(primary_key=True)
    festival_id: Mapped[int] = mapped_column(sa.ForeignKey("festivals.id", ondelete="CASCADE"), index=True)
    venue_id: Mapped[int | None] = mapped_column(sa.ForeignKey("venues.id"), nullable=True)
    code: Mapped[str] = mapped_column(sa.String(20), default="")  # the number on the map, e.g. A12
    name_th: Mapped[str] = mapped_column(sa.String(300))
    name_en: Mapped[str] = mapped_column(sa.String(300))
    exhibitor: Mapped[str] = mapped_column(sa.String(300), default="")
    description_th: Mapped[str] = mapped_column(sa.Text, default="")
    description_en: Mapped[str] = mapped_column(sa.Text, default="")
    themes: Mapped[list] = mapped_column(sa.JSON, default=list)
    age_groups: Mapped[list] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=now_utc)

    festival: Mapped[Festival] = relationship(back_populates="booths")
    venue: Mapped[Venue | None] = relationship()


class ProgrammeImport(db.Model):
    """A large programme spreadsheet, checked and applied by a worker (events.importing.programme.run_import)."""

    __tablename__ = "programme_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    festival_id: Mapped[int] = mapped_column(sa.ForeignKey("festivals.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    filename: Mapped[str] = mapped_column(sa.String(255), default="")
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)  # the uploaded file, as sent
    dry_run: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(sa.String(20), default="queued")  # queued, started, finished, failed
    progress: Mapped[int] = mapped_column(default=0)  # 0-100
    total_rows: Mapped[int] = mapped_column(default=0)
    created_sessions: Mapped[int] = mapped_column(default=0)
    created_venues: Mapped[int] = mapped_column(default=0)
    errors: Mapped[list] = mapped_column(sa.JSON, default=list)  # [{row, field, code, message}]
    message: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=now_utc)
    started_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)

    festival: Mapped[Festival] = relationship()


# What city a resource named in a URL belongs to: app/access.py refuses other cities' staff.
city_resolver("slug")(lambda slug: sa.select(Festival.city_id).where(Festival.slug == slug))
city_resolver("city_slug")(lambda slug: sa.select(City.id).where(City.slug == slug))
city_resolver("venue_id")(festival_city_of(Venue))
city_resolver("session_id")(festival_city_of(ProgrammeSession))
city_resolver("booth_id")(festival_city_of(Booth))
city_resolver("import_id")(festival_city_of(ProgrammeImport))
