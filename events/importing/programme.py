"""A programme from a spreadsheet: check every row, then apply all rows or none.

Small files (up to JOB_THRESHOLD rows) are checked and applied inside the request.
Larger ones become a ProgrammeImport row and an `import.requested {import_id}`
message; the worker's job (workers/jobs/programme_imports.py) calls run_import(import_id).

Progress of a running job lives in Redis (key `thetsakan:import:<id>:progress`):
the apply step is one database transaction, and writing progress to the same
database from a second connection would wait on that transaction's lock on SQLite.
The row keeps status, the final progress and the errors; import_status() merges both.
"""
import logging
from dataclasses import dataclass, field

import redis
import sqlalchemy as sa

from app.database import db, now_utc
from app.errors import DomainError, Invalid, N_, render_message
from app.outbox import emit
from app.redis_conn import connection
from events import validation as check
from events.models import ProgrammeImport, ProgrammeSession, Venue
from events.programme import ensure_inside_festival
from events.importing.spreadsheets import column_label, parse_clock, parse_count, parse_day, read_table, split_list, word_for, yes_or_no
from events.vocabulary import AGE_GROUPS, LANGUAGES, SESSION_KINDS, THEMES, VENUE_KINDS, labels

log = logging.getLogger(__name__)

JOB_THRESHOLD = 200
PROGRESS_KEY = "thetsakan:import:{}:progress"
PROGRESS_TTL = 24 * 3600
# Share of the progress bar for checking; the rest is writing.
CHECK_SHARE = 60


@dataclass
class Plan:
    """What an import would do: sessions to add, venues to create, and every row's errors."""

    total_rows: int = 0
    sessions: list = field(default_factory=list)  # (row, values with "venue_key")
    new_venues: dict = field(default_factory=dict)  # casefolded name -> (name, kind)
    errors: list = field(default_factory=list)
    ignored_columns: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.errors


ROWS_HAVE_ERRORS = N_("%(n)s row(s) have errors; nothing was imported.")


def _error(row, column, code, message, params=None, **extra):
    """One problem of one row: the English message for the API, its catalogue id and parameters for pages."""
    return {"row": row, "field": column, "code": code, "message": render_message(message, params, locale="en"),
            "message_id": message, "params": params or {}, **extra}


def _from(row, column, error):
    return _error(row, column, error.code, error.message_id, error.params)


# Service field names as the spreadsheet's columns, so that errors point at cells.
COLUMN_OF = {"starts_at": "start", "ends_at": "end", "venue_id": "venue"}


def _check_row(festival, number, raw, venues_by_name, plan):
    """Clean values of one row, or None after adding each of its errors to the plan."""
    errors = []
    values = {}

    def attempt(column, fn):
        try:
            return fn()
        except Invalid as error:
            errors.append(_from(number, COLUMN_OF.get(error.field, column), error))
        except (ValueError, TypeError, OverflowError):
            errors.append(_error(number, column, "invalid", N_("Cannot read “%(value)s” as %(column)s."),
                                 {"value": str(raw.get(column))[:40], "column": column_label(column)}))
        return None

    values["title_th"] = attempt("title_th", lambda: check.text("title_th", _cell(raw, "title_th"), 300))
    values["title_en"] = attempt("title_en", lambda: check.text("title_en", _cell(raw, "title_en"), 300))
    if values["title_th"] == "" and values["title_en"] == "":
        errors.append(_error(number, "title_th", "required", N_("Give the title in Thai, English or both.")))
    values["description_th"] = attempt("description_th", lambda: check.text("description_th", _cell(raw, "description_th"), 20_000))
    values["description_en"] = attempt("description_en", lambda: check.text("description_en", _cell(raw, "description_en"), 20_000))
    values["kind"] = attempt("kind", lambda: _word("kind", raw, SESSION_KINDS, required=True))
    day = attempt("day", lambda: check.a_date("day", _required(raw, "day", parse_day)))  # a_date: years in range
    start = attempt("start", lambda: _required(raw, "start", parse_clock))
    end = attempt("end", lambda: _required(raw, "end", parse_clock))
    values["capacity"] = attempt("capacity", lambda: check.capacity("capacity", _optional(raw, "capacity", parse_count)))
    values["themes"] = attempt("themes", lambda: _words("themes", raw, THEMES))
    values["age_groups"] = attempt("age_groups", lambda: _words("age_groups", raw, AGE_GROUPS))
    values["adult_takes_seat"] = attempt("adult_takes_seat", lambda: _yes_no("adult_takes_seat", raw))
    values["hosts"] = attempt("hosts", lambda: check.names("hosts", split_list(_cell(raw, "hosts"))))
    values["language"] = attempt("language", lambda: _word("language", raw, LANGUAGES) or "th")
    values["venue_key"] = attempt("venue", lambda: _venue_key(raw, venues_by_name, plan))
    if day is not None and start is not None and end is not None:
        values["starts_at"] = check.local_moment(day, start, festival.timezone)
        values["ends_at"] = check.local_moment(day, end, festival.timezone)
        if values["ends_at"] <= values["starts_at"]:
            errors.append(_error(number, "end", "ends_before_start", N_("The session must end after it starts.")))
        else:
            try:
                ensure_inside_festival(festival, values["starts_at"], values["ends_at"])
            except Invalid as error:
                column = "end" if error.field == "ends_at" else "day"
                errors.append(_from(number, column, error))
    if errors:
        # An unknown venue is reported once per row, and not planned for creation by a bad row.
        plan.errors.extend(errors)
        return None
    return values


def _cell(raw, column):
    value = raw.get(column)
    if value is None:
        return ""
    if isinstance(value, float) and value == int(value):
        value = int(value)
    return str(value)


def _required(raw, column, parse):
    if raw.get(column) is None or str(raw.get(column)).strip() == "":
        raise Invalid(column, N_("This cell is required."), code="required")
    return parse(raw[column])


def _optional(raw, column, parse):
    if raw.get(column) is None or str(raw.get(column)).strip() == "":
        return None
    return parse(raw[column])


def _word(column, raw, allowed, required=False):
    text = _cell(raw, column).strip()
    if not text:
        if required:
            raise Invalid(column, N_("This cell is required."), code="required")
        return None
    word = word_for(text, allowed)
    if word is None:
        raise Invalid(column, N_("“%(value)s” is not one of: %(words)s."),
                      params={"value": text[:40], "words": labels(allowed)}, code="invalid_choice")
    return word


def _yes_no(column, raw):
    text = _cell(raw, column).strip()
    answer = yes_or_no(text)
    if answer is None:
        raise Invalid(column, f"{text[:40]!r} is neither yes (ใช่) nor no (ไม่ใช่).", code="invalid_choice")
    return answer


def _words(column, raw, allowed):
    words = []
    for part in split_list(_cell(raw, column)):
        word = word_for(part, allowed)
        if word is None:
            raise Invalid(column, N_("“%(value)s” is not one of: %(words)s."),
                          params={"value": part[:40], "words": labels(allowed)}, code="invalid_choice")
        if word not in words:
            words.append(word)
    return words


def _venue_key(raw, venues_by_name, plan):
    name = check.text("venue", _cell(raw, "venue"), 200)
    if not name:
        return None
    key = name.casefold()
    if key in venues_by_name or key in plan.new_venues:
        return key
    kind_text = _cell(raw, "venue_kind").strip()
    if not kind_text:
        raise Invalid(
            "venue", N_("No venue called “%(name)s”: add it first, or fill %(column)s to create it."),
            params={"name": name, "column": column_label("venue_kind")}, code="unknown_venue"
        )
    kind = word_for(kind_text, VENUE_KINDS)
    if kind is None:
        raise Invalid("venue_kind", N_("“%(value)s” is not one of: %(words)s."),
                      params={"value": kind_text[:40], "words": labels(VENUE_KINDS)}, code="invalid_choice")
    plan.new_venues[key] = (name, kind)
    return key


def _taken_by_venue(festival):
    rows = db.session.execute(
        sa.select(ProgrammeSession.id, ProgrammeSession.title_th, ProgrammeSession.title_en, ProgrammeSession.venue_id,
                  ProgrammeSession.starts_at, ProgrammeSession.ends_at)
        .where(
            ProgrammeSession.festival_id == festival.id,
            ProgrammeSession.status != "cancelled",
            ProgrammeSession.venue_id.is_not(None),
        )
    )
    taken = {}
    for row in rows:
        taken.setdefault(row.venue_id, []).append(row)
    return taken


def check_rows(festival, rows, on_progress=None):
    """A Plan for these rows: every error of every row, clashes in the file and with the programme included."""
    plan = Plan(total_rows=len(rows))
    venues = list(db.session.scalars(sa.select(Venue).where(Venue.festival_id == festival.id)))
    venues_by_name = {}
    for venue in venues:
        for name in (venue.name_th, venue.name_en):
            if name:
                venues_by_name.setdefault(name.casefold(), venue)
    existing = _taken_by_venue(festival)
    in_file = {}  # venue key -> [(row, starts_at, ends_at)]
    step = max(1, len(rows) // 20)
    for index, (number, raw) in enumerate(rows, start=1):
        values = _check_row(festival, number, raw, venues_by_name, plan)
        if values is not None and values["venue_key"] is not None:
            clash = _clash(values, venues_by_name, existing, in_file)
            if clash is not None:
                plan.errors.append(_error(number, "start", "clash", clash.pop("message"), clash.pop("params"), **clash))
                values = None
            else:
                in_file.setdefault(values["venue_key"], []).append((number, values["starts_at"], values["ends_at"]))
        if values is not None:
            plan.sessions.append((number, values))
        if on_progress is not None and (index % step == 0 or index == len(rows)):
            on_progress(index, len(rows))
    # A venue is created only for rows that will be applied.
    wanted = {values["venue_key"] for _, values in plan.sessions}
    plan.new_venues = {key: value for key, value in plan.new_venues.items() if key in wanted}
    return plan


def _clash(values, venues_by_name, existing, in_file):
    key = values["venue_key"]
    starts_at, ends_at = values["starts_at"], values["ends_at"]
    venue = venues_by_name.get(key)
    if venue is not None:
        for other in existing.get(venue.id, []):
            if other.starts_at < ends_at and other.ends_at > starts_at:
                return {"message": N_("The venue is taken by “%(title)s” at this time."),
                        "params": {"title": {"th": other.title_th, "en": other.title_en}}, "session_id": other.id}
    for row, other_start, other_end in in_file.get(key, []):
        if other_start < ends_at and other_end > starts_at:
            return {"message": N_("The venue is taken by row %(row)s of this file at this time."), "params": {"row": row},
                    "other_row": row}
    return None


def apply_plan(festival, plan, on_progress=None):
    """Write the plan in the caller's transaction (all or nothing is the caller's commit or rollback)."""
    if not plan.ok:
        raise DomainError(
            "invalid_rows",
            ROWS_HAVE_ERRORS,
            params={"n": len({e["row"] for e in plan.errors})},
            field="file",
            status=422,
            errors=plan.errors,
        )
    venue_ids = {}
    for venue in db.session.scalars(sa.select(Venue).where(Venue.festival_id == festival.id)):
        for name in (venue.name_th, venue.name_en):
            if name:
                venue_ids.setdefault(name.casefold(), venue.id)
    next_order = (db.session.scalar(sa.select(sa.func.max(Venue.sort_order)).where(Venue.festival_id == festival.id)) or 0) + 1
    for offset, (key, (name, kind)) in enumerate(plan.new_venues.items()):
        # A spreadsheet gives one name: it is the Thai name if written in Thai, else the English one,
        # so that pages do not show the same name twice as if it were two languages.
        thai = any("\u0e00" <= char <= "\u0e7f" for char in name)
        venue = Venue(festival_id=festival.id, name_th=name if thai else "", name_en="" if thai else name, kind=kind,
                      sort_order=next_order + offset)
        db.session.add(venue)
        db.session.flush()
        venue_ids[key] = venue.id
    total = len(plan.sessions)
    for index, (_, values) in enumerate(plan.sessions, start=1):
        values = dict(values)
        key = values.pop("venue_key")
        db.session.add(ProgrammeSession(festival_id=festival.id, venue_id=venue_ids.get(key), **values))
        if index % 100 == 0 or index == total:
            db.session.flush()
            if on_progress is not None:
                on_progress(index, total)
    if festival.is_published and total:
        emit("programme.changed", festival_id=festival.id)
    return total, len(plan.new_venues)


def plan_summary(plan, dry_run):
    return {
        "dry_run": dry_run,
        "ok": plan.ok,
        "total_rows": plan.total_rows,
        "created_sessions": 0 if dry_run else len(plan.sessions),
        "created_venues": 0 if dry_run else len(plan.new_venues),
        "new_venues": [name for name, _ in plan.new_venues.values()],
        "errors": plan.errors,
        "ignored_columns": plan.ignored_columns,
    }


def import_file(festival, filename, content, dry_run, user=None):
    """Check (and unless dry_run, apply) a small file now; queue a large one. Returns (summary, status code)."""
    rows, ignored = read_table(filename, content)
    if len(rows) > JOB_THRESHOLD:
        job = ProgrammeImport(
            festival_id=festival.id,
            user_id=user.id if user is not None else None,
            filename=(filename or "")[:255],
            content=content,
            dry_run=dry_run,
            total_rows=len(rows),
            errors=[],
        )
        db.session.add(job)
        db.session.flush()
        emit("import.requested", import_id=job.id)
        return import_status(job), 202
    plan = check_rows(festival, rows)
    plan.ignored_columns = ignored
    if dry_run:
        return plan_summary(plan, True), 200
    apply_plan(festival, plan)
    return plan_summary(plan, False), 201


# --- jobs -------------------------------------------------------------------


def _set_progress(import_id, percent, observer=None):
    if observer is not None:
        observer(percent)
    try:
        connection().set(PROGRESS_KEY.format(import_id), int(percent), ex=PROGRESS_TTL)
    except redis.RedisError:
        log.warning("import %s: progress not stored (Redis unavailable)", import_id)


def _stored_progress(import_id):
    try:
        value = connection().get(PROGRESS_KEY.format(import_id))
    except redis.RedisError:
        return None
    return int(value) if value is not None else None


def import_status(job):
    progress = job.progress
    if job.status == "started":
        progress = max(progress, _stored_progress(job.id) or 0)
    return {
        "id": job.id,
        "festival": job.festival.slug,
        "status": job.status,
        "progress": progress,
        "status_url": f"/api/v1/imports/{job.id}",
        "dry_run": job.dry_run,
        "ok": job.status == "finished" and not job.errors,
        "total_rows": job.total_rows,
        "created_sessions": job.created_sessions,
        "created_venues": job.created_venues,
        "errors": job.errors or [],
        "message": job.message,
    }


def import_by_id(import_id):
    if not (isinstance(import_id, int) and 0 < import_id <= check.MAX_INT):
        return None
    return db.session.get(ProgrammeImport, import_id)


def run_import(import_id, observer=None):
    """The worker's job: check every row, then apply all of them in one transaction, or none.

    Idempotent: a finished or failed import is left alone; an import whose worker
    died is run again from the start (its earlier transaction was rolled back).
    `observer(percent)` sees each progress step (tests, command-line tools).
    """
    job = import_by_id(import_id)
    if job is None or job.status in ("finished", "failed"):
        return
    job.status, job.started_at, job.progress = "started", now_utc(), 0
    db.session.commit()
    _set_progress(job.id, 0, observer)
    festival = job.festival
    try:
        rows, ignored = read_table(job.filename, job.content)
        plan = check_rows(
            festival, rows, on_progress=lambda done, total: _set_progress(job.id, done * CHECK_SHARE // total, observer)
        )
        plan.ignored_columns = ignored
    except Invalid as error:
        db.session.rollback()
        _finish(job, "failed", [_from(1, error.field, error)], error.message, observer)
        return
    # End the reading transaction: on SQLite a write must start from a fresh snapshot.
    db.session.commit()
    if job.dry_run or not plan.ok:
        status = "finished" if job.dry_run else "failed"
        message = "" if plan.ok else render_message(ROWS_HAVE_ERRORS, {"n": len({e["row"] for e in plan.errors})})
        _finish(job, status, plan.errors, message, observer)
        return
    try:
        job = db.session.scalar(sa.select(ProgrammeImport).where(ProgrammeImport.id == import_id).with_for_update())
        if job.status != "started":
            db.session.rollback()
            return
        created, venues = apply_plan(
            festival,
            plan,
            on_progress=lambda done, total: _set_progress(
                job.id, CHECK_SHARE + done * (100 - CHECK_SHARE - 1) // total, observer
            ),
        )
        job.created_sessions, job.created_venues = created, venues
        _mark(job, "finished", errors=[], message="")
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        log.exception("import %s failed", import_id)
        _finish(db.session.get(ProgrammeImport, import_id), "failed", [], f"{type(error).__name__}: {error}", observer)
        raise
    _set_progress(import_id, 100, observer)


def _mark(job, status, errors, message):
    job.status, job.errors, job.message = status, errors, message
    job.progress, job.finished_at = 100, now_utc()


def _finish(job, status, errors, message, observer=None):
    _mark(job, status, errors, message)
    db.session.commit()
    _set_progress(job.id, 100, observer)

