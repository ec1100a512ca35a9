"""The webhooks console: a city's endpoints with their recent deliveries, adding one (its secret
shown once), a test event, retrying a delivery, rotating the secret, switching back on.

Handlers parse, call a service, commit, and render or redirect.
"""
import sqlalchemy as sa
from babel.dates import get_timezone_location
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from wtforms import SelectChoice

from app.auth import current_principal, organiser_page
from app.database import db
from app.errors import DomainError
from app.i18n import current_locale, long_date
from events.models import City, Festival
from webhooks.models import DELIVERED, FAILED, FAILING, PENDING, WebhookAttempt
from webhooks.labels import ERROR_LABELS, STATUS_LABELS, answer_text
from webhooks.pages.forms import TOPIC_LABELS, ConfirmForm, EndpointForm
from webhooks.services import delivery as delivery_service
from webhooks.services import endpoints as endpoint_service
from webhooks.services import events as event_service
from webhooks.topics import TOPICS


def _back(endpoint):
    city_slug = db.session.scalar(sa.select(City.slug).where(City.id == endpoint.city_id))
    return redirect(url_for("webhooks.console", city_slug=city_slug) + f"#endpoint-{endpoint.id}", code=303)


def moment(value, zone):
    """A stored UTC time as the city's clock shows it: 3 ธันวาคม 2569 12:05:09 (BE in Thai)."""
    if value is None:
        return ""
    local = value.astimezone(zone)
    return f"{long_date(local.date(), current_locale())} {local:%H:%M:%S}"


def zone_name(zone):
    """A zone as the reader names it ("เวลาไทย", "Thailand Time"), never its code ("Asia/Bangkok")."""
    return get_timezone_location(zone, locale=current_locale())


def _form(city, fresh=False):
    # fresh: an empty form after an endpoint was added (not the values just posted).
    form = EndpointForm(formdata=None) if fresh else EndpointForm()
    festivals = db.session.scalars(sa.select(Festival).where(Festival.city_id == city.id).order_by(Festival.starts_on))
    form.festival.choices = [SelectChoice("", _("Every festival of the city"))] + [
        SelectChoice(f.slug, f.name_th if current_locale() == "th" else f.name_en) for f in festivals
    ]
    return form


def _page(city, form, created=None, status=200):
    endpoints = endpoint_service.list_endpoints(city)
    rows = [(e, endpoint_service.zone_of(e), endpoint_service.recent_deliveries(e), _last_try(e)) for e in endpoints]
    return render_template(
        "webhooks/console.html", city=city, form=form, confirm=ConfirmForm(), rows=rows, created=created,
        topics=TOPICS, topic_labels=TOPIC_LABELS, status_labels=STATUS_LABELS, error_labels=ERROR_LABELS,
        moment=moment, zone_name=zone_name, answer_text=answer_text,
        FAILING=FAILING, FAILED=FAILED, PENDING=PENDING, DELIVERED=DELIVERED,
        principal_is_admin=current_principal().is_admin,
        created_zone=endpoint_service.zone_of(created[0]) if created else None,
    ), status


def _last_try(endpoint):
    return db.session.scalar(sa.select(WebhookAttempt).where(WebhookAttempt.endpoint_id == endpoint.id)
                             .order_by(WebhookAttempt.id.desc()).limit(1))


@organiser_page
def console(city_slug):
    city = endpoint_service.city_of_caller(city_slug)
    form = _form(city)
    if form.validate_on_submit():
        try:
            endpoint, secret = endpoint_service.create_endpoint(
                city, url=form.url.data, topics=form.topics.data, festival=form.festival.data or None,
                description=form.description.data, created_by=current_principal())
        except DomainError as error:
            if not error.field:
                raise
            db.session.rollback()
            getattr(form, error.field, form.url).errors.append(_error_message(error))
            return _page(city, form, status=422)
        db.session.commit()
        # Rendered, not redirected: the secret is on this answer only and never shown again.
        return _page(city, _form(city, fresh=True), created=(endpoint, secret), status=201)
    return _page(city, form, status=422 if form.errors else 200)


def _error_message(error):
    messages = {
        "private_address": _("This address is on this machine or a private network: webhooks go to the internet only."),
        "scheme": _("Only https:// addresses can receive webhooks."),
        "unresolvable": _("This host name does not resolve."),
        "credentials": _("Put no user name or password in the URL: verify our signature instead."),
        "invalid_url": _("This is not a valid URL."),
        "required": _("This field is required."),
        "too_long": _("The URL is longer than 2,000 characters."),
        "invalid_choice": _("Choose topics from the list."),
        "unknown_festival": _("No festival of this city has this slug."),
    }
    return messages.get(error.code, error.message)


def _confirmed():
    if not ConfirmForm().validate_on_submit():
        abort(400)


@organiser_page
def send_test(webhook_id):
    _confirmed()
    endpoint = endpoint_service.endpoint_of_caller(webhook_id)
    event_service.record_test(endpoint)
    db.session.commit()
    flash(_("Test event queued: it appears below within a few seconds (reload the page)."), "success")
    return _back(endpoint)


@organiser_page
def retry_delivery(webhook_id, delivery_id):
    _confirmed()
    endpoint = endpoint_service.endpoint_of_caller(webhook_id)
    delivery = delivery_service.delivery_for(endpoint, delivery_id)
    if delivery is None:
        abort(404)
    delivery_service.retry(delivery)
    db.session.commit()
    flash(_("The delivery will be sent again in a few seconds, with the same event id."), "success")
    return _back(endpoint)


@organiser_page
def rotate_secret(webhook_id):
    _confirmed()
    endpoint = endpoint_service.endpoint_of_caller(webhook_id)
    secret = endpoint_service.rotate_secret(endpoint)
    db.session.commit()
    city = db.session.get(City, endpoint.city_id)
    return _page(city, _form(city, fresh=True), created=(endpoint, secret), status=200)


@organiser_page
def switch_on(webhook_id):
    _confirmed()
    endpoint = endpoint_service.endpoint_of_caller(webhook_id)
    endpoint_service.switch_on(endpoint)
    db.session.commit()
    flash(_("The endpoint is on again; the events that waited are being sent."), "success")
    return _back(endpoint)


@organiser_page
def switch_off(webhook_id):
    _confirmed()
    endpoint = endpoint_service.endpoint_of_caller(webhook_id)
    endpoint_service.update_endpoint(endpoint, current_principal(), enabled=False)
    db.session.commit()
    flash(_("The endpoint is off: events are kept but not sent."), "success")
    return _back(endpoint)


@organiser_page
def personal_data(webhook_id):
    """Admins only (the service refuses others): let this endpoint receive names and e-mails, or stop it."""
    _confirmed()
    endpoint = endpoint_service.endpoint_of_caller(webhook_id)
    endpoint_service.update_endpoint(endpoint, current_principal(), personal_data=not endpoint.personal_data)
    db.session.commit()
    flash(_("Saved. The audit log records who changed this."), "success")
    return _back(endpoint)


@organiser_page
def delete(webhook_id):
    _confirmed()
    endpoint = endpoint_service.endpoint_of_caller(webhook_id)
    city_slug = db.session.scalar(sa.select(City.slug).where(City.id == endpoint.city_id))
    endpoint_service.delete_endpoint(endpoint)
    db.session.commit()
    flash(_("The endpoint was removed."), "success")
    return redirect(url_for("webhooks.console", city_slug=city_slug), code=303)


def register(bp):
    both = ["GET", "POST"]
    bp.add_url_rule("/organiser/cities/<city_slug>/webhooks", "console", console, methods=both)
    for rule, name, view in (
        ("test", "send_test", send_test),
        ("secret", "rotate_secret", rotate_secret),
        ("switch-on", "switch_on", switch_on),
        ("switch-off", "switch_off", switch_off),
        ("personal-data", "personal_data", personal_data),
        ("delete", "delete", delete),
    ):
        bp.add_url_rule(f"/organiser/webhooks/<int:webhook_id>/{rule}", name, view, methods=["POST"])
    bp.add_url_rule("/organiser/webhooks/<int:webhook_id>/deliveries/<int:delivery_id>/retry", "retry_delivery",
                    retry_delivery, methods=["POST"])
