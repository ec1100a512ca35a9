"""Visitors' pages for their personal data (PDPA): the consent record on the pass page, the
download link, and deleting the pass's personal data (a confirm page, then a CSRF-protected POST).

The download itself is the API's GET /api/v1/passes/<token>/export (an attachment).
"""
from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.auth import public, visitor
from app.database import db
from app.errors import NotFound
from events.services import festival_with_slug
from registrations import consent
from registrations import services as svc
from registrations.services import erasure

CONFIRM_VALUE = "delete"


def consent_record(pass_):
    """What the pass page shows of the consent: version, language, time, hash and the text itself."""
    known = consent.is_known(pass_.consent_version)
    return {
        "version": pass_.consent_version,
        "locale": pass_.consent_locale,
        "at": pass_.consent_at,
        "sha256": pass_.consent_text_sha256,
        "text": consent.text(pass_.consent_locale, pass_.consent_version) if known else None,
    }


@visitor
def delete_personal_data(token):
    pass_ = svc.pass_for_manage_token(token)
    error = None
    if request.method == "POST":
        if request.form.get("confirm") == CONFIRM_VALUE:
            slug = pass_.festival.slug
            erasure.delete_personal_data(pass_.id)
            db.session.commit()
            # The old token travels in the fragment only (never to the server), so that this
            # phone forgets the pass it remembered, and no other one.
            return redirect(url_for("registrations.pass_deleted", slug=slug, _anchor=token), 303)
        error = _("Tick the box to confirm that you want your personal data deleted.")
    return render_template(
        "registrations/delete_pass.html",
        pass_=pass_,
        festival=pass_.festival,
        upcoming=erasure.bookings_to_cancel(pass_.id),
        error=error,
        confirm_value=CONFIRM_VALUE,
    ), (422 if error else 200)


@public
def pass_deleted(slug):
    festival = festival_with_slug(slug)
    if festival is None:
        raise NotFound("festival")
    return render_template("registrations/pass_deleted.html", festival=festival)


def register(bp):
    bp.add_url_rule("/passes/<token>/delete", "delete_personal_data", delete_personal_data, methods=["GET", "POST"])
    bp.add_url_rule("/festivals/<slug>/pass-deleted", "pass_deleted", pass_deleted)

    @bp.context_processor
    def privacy_helpers():
        return {"consent_record": consent_record}
