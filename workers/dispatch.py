"""Topic -> jobs: what each outbox message sets in motion. The table is data; handle_message reads it.

The relay (app/relay.py) enqueues handle_message(message_id) for a committed
message, or handle_messages(message_ids) for several handed over together.
handle_message fans the message out into the jobs below, each on the queue of its
purpose, with a job id made of the message id and the job, so that running
handle_message twice enqueues each job once.

Jobs take ids (from the payload), load what they need, return quietly when it
is gone, and are safe to run twice. They retry with backoff and, when they give
up, wait in RQ's failed registry (with their error) for /admin/jobs.
"""
import logging
from collections.abc import Callable
from dataclasses import dataclass

from app import logs
from app.database import db, now_utc
from app.enqueue import enqueue_once
from app.outbox import OutboxMessage
from app.queues import DEFAULT, FEEDS, MAIL, REPORTS
from webhooks.services.endpoints import wants as webhook_wants
from webhooks.topics import FROM_OUTBOX

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class JobSpec:
    func: str  # dotted path of the job function
    queue: str
    fields: tuple = ()  # payload fields passed as keyword arguments
    message_id: bool = False  # also pass message_id (mail keyed by the message)
    since: bool = False  # also pass since (ISO time of the fan-out): lets feed builds coalesce
    timeout: int = 180
    # Asked with the message before enqueueing, for a job only some festivals need: a job that
    # would find nothing to do still costs a queue slot and a forked work-horse.
    wanted: Callable | None = None

    @property
    def name(self):
        return self.func.rsplit(".", 1)[-1]


MAIL_JOBS = "workers.jobs.mail"
REMINDERS = "workers.jobs.reminders"
FEED_JOBS = "workers.jobs.feeds"
SESSION_JOBS = "workers.jobs.session_bookings"
WEBHOOK_JOBS = "workers.jobs.webhooks"
IMPORT_JOBS = "workers.jobs.programme_imports"
REPORT_JOBS = "workers.jobs.reports"
TEAM_MAIL_JOBS = "workers.jobs.team_mail"


def _booking_jobs(notice):
    return (
        JobSpec(f"{MAIL_JOBS}.{notice}", MAIL, ("booking_id",), message_id=True),
        JobSpec(f"{FEED_JOBS}.rebuild_agenda", FEEDS, ("pass_id",), since=True),
    )


TOPICS = {
    "pass.created": (JobSpec(f"{MAIL_JOBS}.send_pass_confirmation", MAIL, ("pass_id",)),),
    "pass.link_requested": (JobSpec(f"{MAIL_JOBS}.send_manage_link", MAIL, ("pass_id",), message_id=True),),
    "pass.cancelled": (
        JobSpec(f"{MAIL_JOBS}.send_pass_cancelled", MAIL, ("pass_id",)),
        JobSpec(f"{FEED_JOBS}.rebuild_agenda", FEEDS, ("pass_id",), since=True),
    ),
    "booking.confirmed": (
        *_booking_jobs("send_booking_confirmed"),
        JobSpec(f"{REMINDERS}.plan_for_booking", MAIL, ("booking_id",)),
    ),
    "booking.waitlisted": _booking_jobs("send_booking_waitlisted"),
    "booking.promoted": (
        *_booking_jobs("send_booking_promoted"),
        JobSpec(f"{REMINDERS}.plan_for_booking", MAIL, ("booking_id",)),
    ),
    "booking.cancelled": _booking_jobs("send_booking_cancelled"),
    "session.moved": (
        JobSpec(f"{MAIL_JOBS}.notify_session_moved", MAIL, ("session_id",), message_id=True),
        JobSpec(f"{REMINDERS}.replan_session", MAIL, ("session_id",)),
        JobSpec(f"{FEED_JOBS}.rebuild_festival", FEEDS, ("festival_id",), since=True),
        JobSpec(f"{FEED_JOBS}.rebuild_session_agendas", FEEDS, ("session_id",), since=True),
    ),
    # Registrations cancel the bookings (their booking.cancelled messages rebuild
    # the agendas), then every holder is told once.
    "session.cancelled": (
        JobSpec(f"{SESSION_JOBS}.cancel_bookings_and_notify", DEFAULT, ("session_id",), message_id=True),
        JobSpec(f"{FEED_JOBS}.rebuild_festival", FEEDS, ("festival_id",), since=True),
    ),
    "session.capacity_changed": (JobSpec(f"{SESSION_JOBS}.promote_waitlist", DEFAULT, ("session_id",)),),
    "programme.changed": (
        JobSpec(f"{FEED_JOBS}.rebuild_festival", FEEDS, ("festival_id",), since=True),
        JobSpec(f"{FEED_JOBS}.forget_agendas", FEEDS, ("festival_id",)),
    ),
    # Scans change no mail and no feed; reports read the scans table itself.
    "scan.recorded": (),
    # An invitation or a password reset link of the team (teams.services.links).
    "team.link_issued": (JobSpec(f"{TEAM_MAIL_JOBS}.send_team_link", MAIL, ("link_id",)),),
    "import.requested": (JobSpec(f"{IMPORT_JOBS}.run_import", DEFAULT, ("import_id",), timeout=1800),),
    "report.requested": (JobSpec(f"{REPORT_JOBS}.build_report", REPORTS, ("report_id",), timeout=1800),),
}


# Partners' webhooks: every outbox topic that webhooks.topics names also records its
# deliveries (a cheap database job on `default`); sending happens in passes on `webhooks`.
def _partners_listen(message):
    topic = FROM_OUTBOX.get(message.topic)
    return topic is not None and webhook_wants(topic, **(message.payload or {}))


WEBHOOK_EVENT = JobSpec(f"{WEBHOOK_JOBS}.record_event", DEFAULT, (), message_id=True, wanted=_partners_listen)
for _topic in FROM_OUTBOX:
    TOPICS[_topic] = (*TOPICS.get(_topic, ()), WEBHOOK_EVENT)
TOPICS["webhook.due"] = (JobSpec(f"{WEBHOOK_JOBS}.due", DEFAULT, ("endpoint_id",)),)
TOPICS["webhook.switched_off"] = (
    JobSpec(f"{WEBHOOK_JOBS}.notify_switched_off", MAIL, ("endpoint_id",), message_id=True),
)


def job_id(message_id, spec):
    return f"m{message_id}-{spec.name}"


def enqueue(spec, job_id_, kwargs, description=None, request_id=None):
    """Enqueue one job once (a second enqueue with the same id is refused and ignored)."""
    return enqueue_once(spec.queue, spec.func, kwargs, job_id_, timeout=spec.timeout, description=description,
                        meta={"request_id": request_id} if request_id else None)


def handle_message(message_id):
    """Fan one outbox message out into its jobs; return their ids."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        return []
    specs = TOPICS.get(message.topic)
    if specs is None:
        log.warning("outbox message %s has a topic no job listens to: %s", message.id, message.topic)
        return []
    # Anything that reads the database from now on sees this message's transaction.
    since = now_utc().isoformat()
    ids = []
    for spec in specs:
        if spec.wanted is not None and not spec.wanted(message):
            continue
        missing = [name for name in spec.fields if name not in message.payload]
        if missing:
            raise KeyError(f"outbox message {message.id} ({message.topic}) lacks {', '.join(missing)}")
        kwargs = {name: message.payload[name] for name in spec.fields}
        if spec.message_id:
            kwargs["message_id"] = message.id
        if spec.since:
            kwargs["since"] = since
        job_id_ = job_id(message.id, spec)
        enqueue(spec, job_id_, kwargs, description=f"{message.topic} {message.id}: {spec.name}",
                request_id=message.request_id)
        ids.append(job_id_)
    return ids


def handle_messages(message_ids):
    """handle_message for each of several messages handed over together; each message's jobs carry its
    own request id. One that fails does not hold up the rest: the job fails after them, and its retry
    dispatches them all again, which enqueues nothing twice."""
    ids, failure = [], None
    for message_id in message_ids:
        message = db.session.get(OutboxMessage, message_id)
        token = logs.set_request_id(message.request_id if message is not None else None)
        try:
            ids.extend(handle_message(message_id))
        except Exception as exc:  # noqa: BLE001 - raised again below, once the others are dispatched
            log.warning("outbox message %s not dispatched: %s: %s", message_id, type(exc).__name__, exc)
            failure = failure or exc
        finally:
            logs.reset_request_id(token)
    if failure is not None:
        raise failure
    return ids
