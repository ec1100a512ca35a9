"""A report request and its build: status, progress, the files it produced. Models never commit."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.access import city_resolver
from app.database import UTCDateTime, db, now_utc
from events.models import Festival, festival_city_of

QUEUED, STARTED, FINISHED, FAILED = "queued", "started", "finished", "failed"
STATUSES = (QUEUED, STARTED, FINISHED, FAILED)
FORMATS = ("csv", "xlsx", "pdf")
LOCALES = ("th", "en")
# Why a report exists: someone asked, or the schedule after a festival day.
REQUESTED, DAILY = "requested", "daily"


class Report(db.Model):
    __tablename__ = "reports"
    __table_args__ = (
        # One scheduled report per festival day, however many workers run the schedule.
        sa.UniqueConstraint("festival_id", "scheduled_for", name="uq_reports_festival_day"),
        sa.Index("ix_reports_festival_created", "festival_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    festival_id: Mapped[int] = mapped_column(sa.ForeignKey("festivals.id", ondelete="CASCADE"))
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    trigger: Mapped[str] = mapped_column(sa.String(20), default=REQUESTED)
    scheduled_for: Mapped[object | None] = mapped_column(sa.Date, nullable=True)  # the festival day (daily)
    formats: Mapped[list] = mapped_column(sa.JSON, default=lambda: list(FORMATS))
    locale: Mapped[str] = mapped_column(sa.String(5), default="th")  # of the PDF and the XLSX headers
    status: Mapped[str] = mapped_column(sa.String(20), default=QUEUED, index=True)
    progress: Mapped[int] = mapped_column(default=0)  # 0-100
    error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    # What the build found: the number of scans in its snapshot and the headline figures.
    scans: Mapped[int | None] = mapped_column(nullable=True)
    summary: Mapped[dict | None] = mapped_column(sa.JSON, nullable=True)
    # {format: file name under instance/reports/<id>/}
    files: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=now_utc)
    started_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    compiled_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)  # the snapshot's time
    finished_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)

    festival: Mapped[Festival] = relationship()

    @property
    def is_done(self):
        return self.status in (FINISHED, FAILED)


# What city a report named in a URL belongs to: app/access.py refuses other cities' staff.
city_resolver("report_id")(festival_city_of(Report))
