"""The console's programme import: upload, dry run, apply, and progress for large files.

The page works without JavaScript (a form post renders the result). With it,
events/static/import.js posts the same form to the JSON endpoints below, keeps the
chosen file for "apply" after a clean dry run, and polls a queued import. The
JSON endpoints use the console's session cookie and the X-CSRFToken header; the
bearer-token API (/api/v1/festivals/<slug>/import) calls the same functions.
"""
from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.auth import current_principal, ensure_city
from app.database import db
from app.errors import DomainError, NotFound
from events.importing import programme as programme_import
from events.console_messages import translate
from events.pages.console import console_festival_for, organiser_page
from events.forms import ImportForm
from events.importing.spreadsheets import COLUMNS

FINISHED = ("finished", "failed")


def _refusal(error, dry_run):
    """A whole-file refusal (bad file, missing columns, rows with errors) as a result to show."""
    return {
        "ok": False,
        "dry_run": dry_run,
        "message": translate(error),
        "errors": error.details.get("errors", []),
        "total_rows": 0,
    }


def run_upload(festival, upload, dry_run):
    """Check or apply an uploaded file now, or queue it: (result, HTTP status). Commits or rolls back."""
    try:
        result, status = programme_import.import_file(
            festival, upload.filename, upload.read(), dry_run, user=current_principal()
        )
    except DomainError as error:
        db.session.rollback()
        if error.status in (401, 403, 404) and not error.field:
            raise
        return _refusal(error, dry_run), 422
    if dry_run and status == 200:
        db.session.rollback()  # a dry run writes nothing, whatever the checks touched
    else:
        db.session.commit()
    return result, status


def _dry_run_flag(value):
    return str(value or "").strip().lower() not in ("", "0", "false", "no", "off")


def _page(festival, form, result=None, status=200):
    return render_template(
        "events/console/import.html", festival=festival, form=form, result=result, columns=COLUMNS,
    ), status


@organiser_page
def console_import(slug):
    festival = console_festival_for(slug)
    form = ImportForm()
    if request.method == "GET":
        return _page(festival, form)
    upload = form.file.data
    if not form.validate_on_submit() or not getattr(upload, "filename", ""):
        form.add_error("file", _("Choose a CSV or XLSX file."))
        return _page(festival, form, status=422)
    result, status = run_upload(festival, upload, dry_run=request.form.get("action") != "apply")
    if status == 202:
        return redirect(url_for("events.console_import_status", import_id=result["id"]), code=303)
    return _page(festival, form, result, 200 if status in (200, 201) else status)


@organiser_page
def console_import_json(slug):
    festival = console_festival_for(slug)
    upload = request.files.get("file")
    dry_run = _dry_run_flag(request.form.get("dry_run"))
    if upload is None or not upload.filename:
        result, status = {"ok": False, "dry_run": dry_run, "message": _("Choose a CSV or XLSX file."), "errors": []}, 422
    else:
        result, status = run_upload(festival, upload, dry_run)
    body = dict(result)
    if status == 202:
        body["poll_url"] = url_for("events.console_import_status_json", import_id=result["id"])
    else:
        body["html"] = render_template("events/console/_import_result.html", festival=festival, result=result, js=True)
    return jsonify(body), status


def _job(import_id):
    job = programme_import.import_by_id(import_id)
    if job is None:
        raise NotFound("import")
    ensure_city(job.festival.city_id)
    return job


@organiser_page
def console_import_status(import_id):
    job = _job(import_id)
    return render_template(
        "events/console/import_status.html", festival=job.festival, job=programme_import.import_status(job),
        form=ImportForm(formdata=None), columns=COLUMNS,
    )


@organiser_page
def console_import_status_json(import_id):
    job = _job(import_id)
    body = programme_import.import_status(job)
    if body["status"] in FINISHED:
        body["html"] = render_template("events/console/_import_result.html", festival=job.festival, result=body, js=True)
    return jsonify(body)


@organiser_page
def console_import_apply(import_id):
    """Apply a large file that a dry-run job has checked, from the copy the job kept."""
    job = _job(import_id)
    festival = job.festival
    if not (job.dry_run and job.status == "finished" and not job.errors):
        flash(_("Only a file whose dry run found no problem can be imported from here."), "error")
        return redirect(url_for("events.console_import_status", import_id=job.id), code=303)
    try:
        result, status = programme_import.import_file(festival, job.filename, job.content, False, user=current_principal())
    except DomainError as error:
        # The programme changed since the dry run (a clash, a venue renamed): show why.
        db.session.rollback()
        return _page(festival, ImportForm(formdata=None), _refusal(error, False), 422)
    db.session.commit()
    if status == 202:
        return redirect(url_for("events.console_import_status", import_id=result["id"]), code=303)
    return _page(festival, ImportForm(formdata=None), result)


def register(bp):
    prefix = "/organiser/festivals/<slug>/import"
    bp.add_url_rule(prefix, "console_import", console_import, methods=["GET", "POST"])
    bp.add_url_rule(prefix + ".json", "console_import_json", console_import_json, methods=["POST"])
    bp.add_url_rule("/organiser/imports/<int:import_id>", "console_import_status", console_import_status)
    bp.add_url_rule("/organiser/imports/<int:import_id>/apply", "console_import_apply", console_import_apply,
                    methods=["POST"])
    bp.add_url_rule("/organiser/imports/<int:import_id>.json", "console_import_status_json", console_import_status_json)
