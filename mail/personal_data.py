"""Mail's part of a visitor's data (app/personal_data.py): the mails we recorded as sent (export, erasure).

The mail ledger (SentMessage) keeps the pass id, never the address; but a refusal
from a mail server can quote the address in `last_error`, so erasure empties the
errors of that pass's mails.
"""
import sqlalchemy as sa

from app import personal_data
from app.database import db
from mail.models import SentMessage

# What each mail was about, by the first part of its ledger key ("booking.confirmed:5:17").
ABOUT = {
    "pass.created": "pass confirmation",
    "pass.link_requested": "manage link",
    "pass.cancelled": "pass cancelled",
    "booking.confirmed": "booking confirmed",
    "booking.waitlisted": "booking waitlisted",
    "booking.promoted": "booking promoted from the waitlist",
    "booking.cancelled": "booking cancelled",
    "session.moved": "session moved",
    "session.cancelled": "session cancelled",
}


def _about(key):
    topic = key.split(":", 1)[0]
    return ABOUT.get(topic, topic)


@personal_data.exporter("emails", order=60)
def export_sent_mail(pass_):
    rows = db.session.scalars(
        sa.select(SentMessage).where(SentMessage.pass_id == pass_.id).order_by(SentMessage.created_at, SentMessage.id)
    ).all()
    zone = pass_.festival.zone
    return [
        {
            "about": _about(row.key),
            "kind": row.kind,
            "status": row.status,
            "message_id": row.message_id,
            "first_tried_at": row.created_at.astimezone(zone).isoformat(),
            "sent_at": row.sent_at.astimezone(zone).isoformat() if row.sent_at else None,
        }
        for row in rows
    ]


@personal_data.eraser("mail")
def erase_mail_errors(identities):
    pass_ids = [identity.pass_id for identity in identities]
    db.session.execute(
        sa.update(SentMessage)
        .where(SentMessage.pass_id.in_(pass_ids), SentMessage.last_error.is_not(None))
        .values(last_error=None),
        execution_options={"synchronize_session": False},
    )
