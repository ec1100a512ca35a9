"""`flask --app wsgi demo load [--if-empty]`."""
import click
from flask.cli import AppGroup

from app.database import db
from app.errors import DomainError
from events.demo.loading import load_demo, network_exists

demo_cli = AppGroup("demo", help="The demo network of Thai learning cities.")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when any city exists (what `make run` uses).")
def load_command(if_empty):
    """The ten Thai GNLC cities, Learning City Days 2023 and a Chiang Mai festival; idempotent."""
    if if_empty and network_exists():
        click.echo("demo: cities exist already; nothing loaded")
        return
    try:
        made = load_demo()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(f"{error.field or error.code}: {error.message}") from error
    db.session.commit()
    click.echo(f"demo: {len(made['cities'])} cities and {len(made['festivals'])} festivals loaded")
    for slug in made["festivals"]:
        click.echo(f"  festival {slug}")
    if made["users"]:
        click.echo("demo users (DEVELOPMENT ONLY: known passwords, change or remove them anywhere public):")
        for email, role, password, token in made["users"]:
            click.echo(f"  {role:<10} {email}  password: {password}  token: {token}")
