"""What an organiser reads when their city's endpoint was switched off: Thai first, then English."""
import sqlalchemy as sa
from babel.dates import get_timezone_location
from flask import current_app
from flask_babel import force_locale

from app.database import db
from app.i18n import long_date
from webhooks.labels import answer_text
from webhooks.models import WebhookAttempt
from webhooks.services.endpoints import zone_of


def moment(value, zone, locale):
    """22 สิงหาคม 2570 10:00 (Buddhist Era in Thai) in this zone."""
    if value is None:
        return ""
    local = value.astimezone(zone)
    return f"{long_date(local.date(), locale)} {local:%H:%M}"


def console_url(endpoint, city_slug):
    return f"{current_app.config['PUBLIC_URL']}/organiser/cities/{city_slug}/webhooks#endpoint-{endpoint.id}"


def switched_off(endpoint, city_slug):
    """(subject, text, html) of the mail, both languages in one message (users keep no language)."""
    zone = zone_of(endpoint)
    last_try = db.session.scalar(sa.select(WebhookAttempt).where(WebhookAttempt.endpoint_id == endpoint.id)
                                 .order_by(WebhookAttempt.id.desc()).limit(1))
    env = current_app.jinja_env
    parts = {}
    for locale in ("th", "en"):
        with force_locale(locale):
            context = dict(endpoint=endpoint, locale=locale, url=console_url(endpoint, city_slug),
                           since=moment(endpoint.failing_since, zone, locale),
                           answer=answer_text(last_try.error, last_try.status_code) if last_try else "-",
                           zone=get_timezone_location(zone, locale=locale))  # เวลาไทย, Thailand Time
            parts[locale] = (
                env.get_template("webhooks/mail/switched_off_subject.txt").render(**context).strip(),
                env.get_template("webhooks/mail/switched_off.txt").render(**context),
                env.get_template("webhooks/mail/switched_off.html").render(**context),
            )
    subject = f"{parts['th'][0]} · {parts['en'][0]}"
    text = parts["th"][1] + "\n\n----\n\n" + parts["en"][1]
    html = (
        '<!doctype html><html lang="th"><head><meta charset="utf-8"><title>' + parts["th"][0] + "</title></head>"
        '<body style="font-family:sans-serif;color:#1f2a33;line-height:1.55;max-width:560px;margin:0 auto;padding:16px;">'
        + parts["th"][2] + '<hr><div lang="en">' + parts["en"][2] + "</div></body></html>"
    )
    return subject, text, html
