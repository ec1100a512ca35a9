"""The recurring retention purge of personal data (PDPA, docs/privacy.md) and `flask privacy purge`."""
import logging

import click
from flask.cli import AppGroup, with_appcontext

from app.database import db, now_utc
from registrations.services.erasure import PURGE_BATCH, purge_expired_festivals

log = logging.getLogger(__name__)


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
