"""Personal data in the workers: the mails we recorded as sent (export, erasure), a visitor's stored
calendar (erasure), the recurring retention purge and `flask privacy purge`.

The mail ledger (SentMessage) keeps the pass id, never the address; but a refusal
from a mail server can quote the address in `last_error`, so erasure empties the
errors of that pass's mails. A visitor's agenda feed ("pass:<id>") is dropped.
"""
import logging

import click
import sqlalchemy as sa
from flask.cli import AppGroup, with_appcontext

from app import privacy
from app.database import db, now_utc
from registrations.services.privacy import PURGE_BATCH, purge_expired_festivals
from workers.feeds.store import pass_key
from workers.models import Feed, SentMessage

log = logging.getLogger(__name__)

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


@privacy.exporter("emails", order=60)
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


@privacy.eraser("workers")
def erase_mail_and_feeds(identities):
    pass_ids = [identity.pass_id for identity in identities]
    db.session.execute(
        sa.update(SentMessage)
        .where(SentMessage.pass_id.in_(pass_ids), SentMessage.last_error.is_not(None))
        .values(last_error=None),
        execution_options={"synchronize_session": False},
    )
    db.session.execute(
        sa.delete(Feed).where(Feed.key.in_([pass_key(pass_id) for pass_id in pass_ids])),
        execution_options={"synchronize_session": False},
    )


# --- the retention purge ------------------------------------------------------------------


def purge(dry_run=False, today=None, retention_days=None, batch_size=PURGE_BATCH):
    """Anonymise the passes of festivals past retention, committing batch by batch (a dry run
    changes nothing). Returns registrations' Purge (cutoff, festivals, passes)."""
    result = purge_expired_festivals(
        today or now_utc().date(),
        retention_days=retention_days,
        batch_size=batch_size,
        dry_run=dry_run,
        commit=None if dry_run else db.session.commit,
    )
    if dry_run:
        db.session.rollback()
    return result


def purge_expired_personal_data():
    """The recurring job (workers/schedule.py): returns the number of passes anonymised."""
    result = purge()
    for festival in result.festivals:
        log.info("personal data purge: %s (ended %s): %d pass(es) anonymised", festival.slug, festival.ends_on,
                 festival.passes)
    return result.passes


privacy_cli = AppGroup("privacy", help="Personal data (PDPA): the retention purge.")


@privacy_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Only say what would be anonymised.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Default: today (UTC).")
@click.option("--days", "retention_days", type=click.IntRange(min=0), default=None,
              help="Default: PERSONAL_DATA_RETENTION_DAYS.")
@click.option("--batch-size", type=click.IntRange(min=1), default=PURGE_BATCH, show_default=True)
@with_appcontext
def purge_command(dry_run, today, retention_days, batch_size):
    """Anonymise every pass of the festivals that ended more than the retention period ago."""
    result = purge(
        dry_run=dry_run, today=today.date() if today else None, retention_days=retention_days, batch_size=batch_size
    )
    verb = "would anonymise" if dry_run else "anonymised"
    click.echo(f"festivals that ended before {result.cutoff.isoformat()} are past retention")
    for festival in result.festivals:
        click.echo(f"{festival.slug} (ended {festival.ends_on.isoformat()}): {verb} {festival.passes} pass(es)")
    click.echo(f"{verb} {result.passes} pass(es) in {len(result.festivals)} festival(s)")
