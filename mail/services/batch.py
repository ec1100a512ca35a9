"""A batch: the mails one worker process sends back to back, over one SMTP connection, with each
pass's QR code and agenda built once.

Why: in a sign-up or booking rush a worker sends mail after mail. Opening an SMTP
session per mail (TCP, EHLO, with a real relay STARTTLS and AUTH, then QUIT) and
drawing the same pass's QR code and agenda for each of its letters (its
confirmation, then a notice per booking, each carrying both) cost more than the
exchange of the message itself (docs/benchmarks.md).

A batch ends, and the next mail starts a new one:
* after MESSAGES_PER_BATCH mails: relays cap the messages of one connection, and
  the parts kept stay few and fresh;
* after IDLE_AFTER seconds without a mail (the worker's upkeep ends it, or the next
  mail does): servers drop idle connections, and nothing is kept while idle;
* when the SMTP settings changed;
* in a forked process, which never talks on its parent's socket.

One batch per process: mail is sent by worker jobs, one at a time on the worker's
thread (webhooks' delivery threads send no mail).

The exactly-once ledger does not know batches: each mail is still claimed,
committed to `sending` just before its DATA and marked `sent` on its own.
"""
import os
import time
from dataclasses import dataclass, field

from flask import current_app

from mail.services import transport

MESSAGES_PER_BATCH = 100
IDLE_AFTER = 5.0  # seconds; the worker's upkeep runs every 5 s (app/queues.py UPKEEP_INTERVAL)
_KEY = "thetsakan_mail_batch"


@dataclass
class Batch:
    pid: int
    settings: tuple
    connection: transport.Connection | None  # None where mail goes to the development Maildir
    parts: dict = field(default_factory=dict)
    mails: int = 0
    last_used: float = field(default_factory=time.monotonic)

    def done(self):
        return self.mails >= MESSAGES_PER_BATCH or time.monotonic() - self.last_used > IDLE_AFTER


def current():
    """This process's batch, a new one when the last has ended."""
    app = current_app._get_current_object()
    batch = app.extensions.get(_KEY)
    if batch is not None and batch.pid != os.getpid():
        if batch.connection is not None:
            batch.connection.forget()  # the parent's session: closing it here would end it there too
        batch = app.extensions[_KEY] = None
    settings = transport.settings_of(app.config)
    if batch is not None and (batch.done() or batch.settings != settings):
        end()
        batch = None
    if batch is None:
        connection = transport.Connection(app.config) if transport.uses_smtp(app.config) else None
        batch = app.extensions[_KEY] = Batch(os.getpid(), settings, connection)
    batch.last_used = time.monotonic()
    return batch


def connection():
    """The SMTP connection of the current batch (None without SMTP), counted as one more mail."""
    batch = current()
    batch.mails += 1
    return batch.connection


def once(key, build):
    """build() the first time `key` is asked for in this batch; the same value after that.

    The key must name everything the value is built from (a pass that changed within
    the batch then gets a fresh one)."""
    parts = current().parts
    if key not in parts:
        parts[key] = build()
    return parts[key]


def end():
    """QUIT the batch's connection and forget what it kept."""
    app = current_app._get_current_object()
    batch = app.extensions.pop(_KEY, None)
    if batch is not None and batch.pid == os.getpid() and batch.connection is not None:
        batch.connection.close()


def end_if_idle():
    """The worker's upkeep: no connection stays open, and nothing kept, while no mail goes out."""
    batch = current_app.extensions.get(_KEY)
    if batch is not None and (batch.pid != os.getpid() or time.monotonic() - batch.last_used > IDLE_AFTER):
        end()
