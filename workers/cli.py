"""Worker-side commands: `outbox sweep`, and the recurring jobs every worker keeps scheduled."""
from datetime import timedelta, timezone

import click
from flask.cli import AppGroup

from app import relay
from app.queues import MAIL, add_maintenance_hook, run_in_worker_process, run_queue_in_worker_process
from mail.services import batch
from workers.schedule import ensure_recurring, quiet_worker_log
from workers.warmup import warm_up

outbox_cli = AppGroup("outbox", help="The outbox of domain messages and its relay to RQ.")


@outbox_cli.command("sweep")
@click.option("--min-age", type=float, default=0.0, show_default=True, help="Only messages at least this many seconds old.")
def sweep_command(min_age):
    """Hand every message not yet handed over to RQ (what the worker's recurring sweep does)."""
    try:
        count = relay.sweep(older_than=timedelta(seconds=min_age))
    except Exception as exc:  # noqa: BLE001 - say why, in one line, and fail
        raise click.ClickException(f"sweep stopped: {type(exc).__name__}: {exc}") from exc
    pending, oldest = relay.backlog()
    click.echo(f"handed over {count} message(s); {pending} still waiting" + (f" (oldest {oldest.isoformat()})" if oldest else ""))


@outbox_cli.command("redeliver")
@click.option("--since", "since", required=True, type=click.DateTime(formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d"]),
              help="UTC time (YYYY-MM-DDTHH:MM): messages emitted since then are handed over again.")
def redeliver_command(since):
    """After Redis lost its data: hand messages over again (every job is safe to run twice)."""
    count = relay.forget_hand_over(since.replace(tzinfo=timezone.utc))
    handed = relay.sweep(older_than=timedelta(0))
    click.echo(f"{count} message(s) since {since:%Y-%m-%d %H:%M} UTC marked waiting; handed over {handed}")


def register_commands(app):
    app.cli.add_command(outbox_cli)
    add_maintenance_hook(app, warm_up)
    add_maintenance_hook(app, ensure_recurring)
    # The dispatch reads one outbox row and enqueues its jobs: forking a work-horse
    # (and opening a database connection) for it cost more than the dispatch itself,
    # once per message. The jobs it enqueues (mail, feeds, reports) still fork.
    run_in_worker_process(app, relay.DISPATCH_JOB)
    run_in_worker_process(app, relay.DISPATCH_MANY_JOB)
    # Mail comes by the thousand after a sign-up rush: a work-horse per mail cost a fork
    # and a new database connection each (more than writing the mail), and it would end
    # the batch's SMTP connection with every mail. Mail jobs run in the worker, which
    # keeps its batch (mail/services/batch.py) from one mail job to the next; feeds,
    # reports and imports still fork.
    run_queue_in_worker_process(app, MAIL)
    add_maintenance_hook(app, batch.end_if_idle)
    quiet_worker_log()
    return app
