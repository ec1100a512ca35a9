"""Warm the worker before it forks: every job runs in a fresh work-horse that inherits the parent's memory.

Without this, each forked work-horse compiles the mail templates, loads the
translations, builds the festival zone's VTIMEZONE, imports the PNG encoder and
the job modules, and compiles its SQL again: about four times the CPU of the mail
itself (measured in bench/mail_throughput.py). Run once per worker process, at its
first maintenance pass (before it takes a job).
"""
import importlib
import logging
from datetime import date, datetime, timezone

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext

from app.database import db
from app.i18n import clock, long_date
from events.models import Festival
from registrations import qr_image
from registrations.models import PASS_ACTIVE, Pass
from workers.dispatch import TOPICS
from feeds.services import calendar
from mail.services import content
from workers.schedule import RECURRING

log = logging.getLogger(__name__)

_DONE = "thetsakan_workers_warm"


def warm_up():
    app = current_app._get_current_object()
    if app.extensions.get(_DONE):
        return False
    app.extensions[_DONE] = True
    # RQ imports a job's module by its dotted path when the job runs; a module the
    # worker never imported was imported again by every work-horse (dataclasses
    # and all), about 3 ms a job.
    for module in job_modules():
        importlib.import_module(module)
    env = app.jinja_env
    for name in env.list_templates(filter_func=lambda name: name.startswith("mail/")):
        env.get_template(name)  # layouts and includes too: they compile on first use
    for locale in ("th", "en"):
        with force_locale(locale):
            gettext("Open my pass")
            # Babel's locale data (dates, times) loads on first use.
            long_date(date(2027, 1, 1), locale, weekday=True)
            clock(datetime(2027, 1, 1, tzinfo=timezone.utc), "Asia/Bangkok", locale)
    for zone in db.session.scalars(sa.select(Festival.timezone).distinct()):
        calendar.vtimezone(zone)
    qr_image.png("WARM", box_size=2)
    # One confirmation written (not sent) compiles the SQL every mail runs.
    pass_ = db.session.scalar(sa.select(Pass).where(Pass.status == PASS_ACTIVE).order_by(Pass.id.desc()).limit(1))
    if pass_ is not None:
        try:
            with force_locale(pass_.locale or "th"):
                content.confirmation(pass_, pass_.locale or "th")
        except Exception:  # noqa: BLE001 - warming is optional; the job will say what is wrong
            log.warning("worker warm-up could not write a sample confirmation", exc_info=True)
    db.session.rollback()
    return True


def job_modules():
    """Every module a queued job can name: the topics' jobs and the recurring ones."""
    paths = [spec.func for specs in TOPICS.values() for spec in specs] + [entry.func for entry in RECURRING]
    return sorted({path.rsplit(".", 1)[0] for path in paths})
