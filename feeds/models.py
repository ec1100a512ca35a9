"""What feeds keep: each built iCalendar feed, served as stored. Models never commit."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.database import UTCDateTime, db, now_utc


class Feed(db.Model):
    """A built iCalendar feed, served as stored: "festival:3", "venue:12", "pass:40"."""

    __tablename__ = "feeds"

    key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    festival_id: Mapped[int] = mapped_column(sa.ForeignKey("festivals.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(sa.Text)
    etag: Mapped[str] = mapped_column(sa.String(64))
    # When the build started reading: an older build never overwrites a newer one.
    built_at: Mapped[object] = mapped_column(UTCDateTime, default=now_utc)
