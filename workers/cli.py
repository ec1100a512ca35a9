"""Worker-side commands: `outbox sweep`, and the recurring jobs every worker keeps scheduled."""
from datetime import timedelta

import click
from flask.cli import AppGroup

from app import relay
from app.queues import add_maintenance_hook
from workers.schedule import ensure_recurring
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


def register_commands(app):
    app.cli.add_command(outbox_cli)
    add_maintenance_hook(app, warm_up)
    add_maintenance_hook(app, ensure_recurring)
    return app
