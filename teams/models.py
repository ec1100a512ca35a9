"""One-time links of the team: an invitation to join, or a password reset. Models never commit."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.access import city_resolver
from app.audit import audited
from app.database import UTCDateTime, db, now_utc
from app.users import User

INVITATION, PASSWORD_RESET = "invitation", "password_reset"
PURPOSES = (INVITATION, PASSWORD_RESET)


@audited(city=lambda session, link: link.city_id, secrets=("nonce",))
class TeamLink(db.Model):
    """A link mailed to one person; it works once, until it expires or a fresher one replaces it.

    The link carries the row id and `nonce`, signed with the app's SECRET_KEY
    (teams.services.links): the worker can write the mail from the row, and a copy
    of the database alone cannot make a working link.
    """

    __tablename__ = "team_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The member's city at the time (none for an admin): the audit log files the link under it.
    city_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cities.id", ondelete="CASCADE"), nullable=True)
    purpose: Mapped[str] = mapped_column(sa.String(20))
    nonce: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The language of the mail and of the page: the inviter's choice for the invitee.
    locale: Mapped[str] = mapped_column(sa.String(5), default="th")
    sent_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=now_utc)
    expires_at: Mapped[object] = mapped_column(UTCDateTime)
    used_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    replaced_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    sent_by: Mapped[User | None] = relationship(foreign_keys=[sent_by_id])


# /team/{member_id}: a member's city (an admin belongs to none: the view decides).
city_resolver("member_id")(lambda member_id: sa.select(User.city_id).where(User.id == member_id))
