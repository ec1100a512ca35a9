"""The organiser's checkpoints console: create checkpoints, print and rotate posters, pair scanner
phones, and watch the live counters. Handlers parse, call a service, commit, redirect."""
from datetime import datetime

import sqlalchemy as sa
from flask import Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required
from wtforms import SelectChoice

from app.auth import current_principal, ensure_city, require_roles
from app.database import db
from app.errors import DomainError
from app.users import User
from checkin import checkpoints as checkpoint_service
from checkin import devices, posters, stats
from checkin.forms import KIND_LABELS, CheckpointEditForm, CheckpointForm, ConfirmForm, PairingForm
from events.models import Booth, ProgrammeSession
from events.services import find_festival

PREFIX = "/organiser/festivals/<slug>/checkpoints"
NONE = SelectChoice("0", "—")


def organiser_page(view):
    return login_required(require_roles("organiser")(view))


def _festival(slug):
    festival = find_festival(slug)
    ensure_city(festival.city_id)
    return festival


def _checkpoint(checkpoint_id):
    return checkpoint_service.checkpoint_for(current_principal(), checkpoint_id)


def _aware(value, festival):
    return value.replace(tzinfo=festival.zone) if isinstance(value, datetime) else None


def _editable(form, festival):
    """The fields a checkpoint form shares with the edit form, times read in the festival's zone."""
    return {
        "name": form.name.data,
        "opens_at": _aware(form.opens_at.data, festival),
        "closes_at": _aware(form.closes_at.data, festival),
        "counts_exits": form.counts_exits.data,
    }


def _saved(form, change):
    """Run a checkpoint service call and commit; a refusal that names a field goes beside that field."""
    try:
        change()
    except DomainError as error:
        if error.status in (401, 403, 404) and not error.field:
            raise
        db.session.rollback()
        getattr(form, error.field, form.name).errors.append(error.message)
        return False
    db.session.commit()
    return True


def _choices(form, festival):
    sessions = db.session.scalars(
        sa.select(ProgrammeSession).where(ProgrammeSession.festival_id == festival.id).order_by(ProgrammeSession.starts_at)
    )
    booths = db.session.scalars(sa.select(Booth).where(Booth.festival_id == festival.id).order_by(Booth.code, Booth.id))
    form.session_id.choices = [NONE] + [SelectChoice(str(s.id), f"{s.title_th} · {s.title_en}") for s in sessions]
    form.booth_id.choices = [NONE] + [SelectChoice(str(b.id), f"{b.code} {b.name_th} · {b.name_en}".strip())
                                      for b in booths]


def _page(festival, form, pairing_form, status=200, pairing=None):
    return render_template(
        "checkin/console.html",
        festival=festival,
        form=form,
        pairing_form=pairing_form,
        confirm=ConfirmForm(),
        checkpoints=checkpoint_service.list_checkpoints(festival),
        devices=devices.devices_of(festival),
        stats=stats.checkin_stats(festival),
        kind_labels=KIND_LABELS,
        pairing=pairing,
    ), status


def _pairing_form(festival):
    form = PairingForm(prefix="pair")
    form.user_id.choices = [SelectChoice(str(u.id), f"{u.email} ({u.role})") for u in devices.staff_for(festival)]
    return form


@organiser_page
def console(slug):
    festival = _festival(slug)
    form = CheckpointForm()
    _choices(form, festival)
    if form.validate_on_submit():
        added = _saved(form, lambda: checkpoint_service.create_checkpoint(
            festival,
            kind=form.kind.data,
            session_id=form.session_id.data or None,
            booth_id=form.booth_id.data or None,
            **_editable(form, festival),
        ))
        if not added:
            return _page(festival, form, _pairing_form(festival), status=422)
        flash(_("Checkpoint added."), "success")
        return redirect(url_for("checkin.console", slug=slug), code=303)
    return _page(festival, form, _pairing_form(festival), status=422 if form.errors else 200)


def _local(value, festival):
    """An aware time as the naive local time a datetime-local field shows."""
    return value.astimezone(festival.zone).replace(tzinfo=None) if value is not None else None


@organiser_page
def edit_checkpoint(checkpoint_id):
    checkpoint = _checkpoint(checkpoint_id)
    festival = checkpoint.festival
    form = CheckpointEditForm(data={"name": checkpoint.name, "opens_at": _local(checkpoint.opens_at, festival),
                                    "closes_at": _local(checkpoint.closes_at, festival),
                                    "counts_exits": checkpoint.counts_exits})
    if form.validate_on_submit() and _saved(
            form, lambda: checkpoint_service.update_checkpoint(checkpoint, **_editable(form, festival))):
        flash(_("Checkpoint saved."), "success")
        return redirect(url_for("checkin.console", slug=festival.slug) + f"#checkpoint-{checkpoint.id}", code=303)
    status = 422 if form.errors else 200
    return render_template("checkin/checkpoint_edit.html", festival=festival, checkpoint=checkpoint, form=form,
                           kind_labels=KIND_LABELS), status


@organiser_page
def live_stats(slug):
    """The live counters as an HTML fragment; the console page refreshes it every few seconds."""
    festival = _festival(slug)
    return render_template("checkin/_stats.html", festival=festival, stats=stats.checkin_stats(festival))


@organiser_page
def poster_pdf(checkpoint_id):
    checkpoint = _checkpoint(checkpoint_id)
    return Response(posters.poster_pdf(checkpoint), mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="poster-{checkpoint.id}-v{checkpoint.poster_version}.pdf"'})


@organiser_page
def rotate_poster(checkpoint_id):
    checkpoint = _checkpoint(checkpoint_id)
    if ConfirmForm().validate_on_submit():
        posters.poster_code(checkpoint)
        checkpoint_service.rotate_poster(checkpoint)
        db.session.commit()
        flash(_("A new poster code: print the poster again; the old one no longer works."), "success")
    return redirect(url_for("checkin.console", slug=checkpoint.festival.slug) + f"#checkpoint-{checkpoint.id}",
                    code=303)


@organiser_page
def pair_phone(slug):
    """Show a one-time pairing QR for a phone that will scan as the chosen user."""
    festival = _festival(slug)
    form = _pairing_form(festival)
    checkpoint_form = CheckpointForm(formdata=None)
    _choices(checkpoint_form, festival)
    if not form.validate_on_submit():
        return _page(festival, checkpoint_form, form, status=422)
    user = db.session.get(User, form.user_id.data)
    code = devices.pairing_code(festival, user)
    url = devices.pairing_url(code)
    pairing = {"url": url, "svg": posters.qr_svg(url), "user": user, "minutes": devices.PAIRING_MAX_AGE // 60}
    return _page(festival, checkpoint_form, form, pairing=pairing)


@organiser_page
def revoke_device(slug, device_id):
    festival = _festival(slug)
    if ConfirmForm().validate_on_submit():
        devices.revoke(festival, device_id)
        db.session.commit()
        flash(_("The phone can no longer scan."), "success")
    return redirect(url_for("checkin.console", slug=slug) + "#devices", code=303)


def register(bp):
    both = ["GET", "POST"]
    bp.add_url_rule(PREFIX, "console", console, methods=both)
    bp.add_url_rule(PREFIX + "/live", "live_stats", live_stats)
    bp.add_url_rule(PREFIX + "/pair", "pair_phone", pair_phone, methods=["POST"])
    bp.add_url_rule(PREFIX + "/devices/<int:device_id>/revoke", "revoke_device", revoke_device, methods=["POST"])
    bp.add_url_rule("/organiser/checkpoints/<int:checkpoint_id>", "edit_checkpoint", edit_checkpoint, methods=both)
    bp.add_url_rule("/organiser/checkpoints/<int:checkpoint_id>/poster.pdf", "poster_pdf", poster_pdf)
    bp.add_url_rule("/organiser/checkpoints/<int:checkpoint_id>/poster/rotate", "rotate_poster", rotate_poster,
                    methods=["POST"])

