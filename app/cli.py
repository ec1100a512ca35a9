"""Command-line: users, the worker, and `up` (web + worker + embedded Redis for `make run`)."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from app.access import city_of
from app.database import db
from app.errors import DomainError
from app.queues import QUEUES, AppWorker, InProcessAppWorker, make_worker
from app.redis_conn import EmbeddedRedis
from app.users import ROLES, create_user, issue_token

users_cli = AppGroup("users", help="Organisers, staff, city teams and admins.")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--city", "city_slug", help="The city's slug (every role but admin).")
@click.option("--name", default="")
@click.option("--password", help="For the console login; without it the user has API access only.")
def create_user_command(email, role, city_slug, name, password):
    """Make a user and print an API token as the last line."""
    city_id = None
    if city_slug:
        city_id = city_of("city_slug", city_slug)  # the events package resolves it
        if city_id is None:
            raise click.ClickException(f"No city with slug {city_slug!r}. Try `flask --app wsgi demo load`.")
    try:
        user = create_user(email, role, city_id=city_id, name=name, password=password)
        token = issue_token(user)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(f"{error.field or error.code}: {error.message}") from error
    db.session.commit()
    click.echo(f"created {role} {user.email}" + (f" of {city_slug}" if city_slug else ""))
    click.echo(token)


@click.command("worker")
@click.option("--queue", "queue_names", multiple=True, type=click.Choice(QUEUES), help="Default: all queues.")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--no-fork", is_flag=True, help="Run jobs in the worker process instead of a fork per job (faster, less isolated).")
@with_appcontext
def worker_command(queue_names, burst, no_fork):
    """An RQ worker for the app's queues, with the scheduler."""
    worker_class = InProcessAppWorker if no_fork else AppWorker
    worker = make_worker(current_app._get_current_object(), queue_names or QUEUES, worker_class=worker_class)
    worker.work(with_scheduler=True, burst=burst)


@click.command("up")
@click.option("--port", type=int, default=None)
@with_appcontext
def up_command(port):
    """Web app, RQ worker with scheduler, and an embedded Redis if REDIS_URL is unset, in the foreground."""
    port = port or current_app.config["PORT"]
    env = dict(os.environ)
    redis = None
    if not current_app.config.get("REDIS_URL"):
        redis = EmbeddedRedis(Path(current_app.config["INSTANCE_DIR"]) / "redis").start()
        env["REDIS_URL"] = redis.url
        click.echo(f"embedded Redis on {redis.url}")
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    children = [
        subprocess.Popen([*flask, "run", "--host", "127.0.0.1", "--port", str(port), "--no-reload"], env=env),
        subprocess.Popen([*flask, "worker"], env=env),
    ]
    click.echo(f"Thetsakan is at http://127.0.0.1:{port}  (Ctrl-C stops everything)")

    def stop(*_):
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
        if redis is not None:
            redis.close()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        click.echo("a process stopped; stopping the rest", err=True)
    except (KeyboardInterrupt, SystemExit):
        click.echo("stopping…")
    finally:
        stop()


def register_commands(app):
    app.cli.add_command(users_cli)
    app.cli.add_command(worker_command)
    app.cli.add_command(up_command)
