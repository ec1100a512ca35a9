"""What mail keeps: each mail's delivery claim (the ledger). Models never commit."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.database import UTCDateTime, db, now_utc

# A mail's life: claimed (ours to send; nothing has left) -> sending (the point of
# no return: the message may be on the wire) -> sent. A definitive refusal
# before the server accepted it makes it `refused`, which may be claimed again.
CLAIMED, SENDING, SENT, REFUSED = "claimed", "sending", "sent", "refused"


class SentMessage(db.Model):
    """One row per mail we mean to send, keyed by what caused it ("pass.created:42")."""

    __tablename__ = "sent_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    # Not the address: personal data stays in passes, where the retention purge finds it.
    pass_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("passes.id", ondelete="SET NULL"), nullable=True, index=True
    )
    status: Mapped[str] = mapped_column(sa.String(20), index=True)
    # Fencing token: only the holder of the current claim may move it to `sending`.
    claim_token: Mapped[str] = mapped_column(sa.String(32))
    message_id: Mapped[str] = mapped_column(sa.String(250))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    claimed_at: Mapped[object] = mapped_column(UTCDateTime, default=now_utc)
    sent_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=now_utc)
