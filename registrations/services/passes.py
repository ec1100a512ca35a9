"""Signing up for a festival, finding a pass by its secret tokens, its links, cancelling it."""
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.database import db, now_utc
from app.errors import Invalid, NotFound, N_
from app.i18n import LOCALES
from app.outbox import emit
from events.services import festival_with_slug
from events.vocabulary import AGE_GROUPS, labels
from registrations import consent as consent_texts
from registrations import pass_codes
from registrations.models import CANCELLED, PASS_CANCELLED, Booking, PartyMember, Pass
from registrations.services.bookings import BY_VISITOR, cancel_locked, promote_waitlist
from registrations.services.locks import lock_pass, lock_sessions
from registrations.services.tokens import could_be_token, new_token, token_hash

MAX_PARTY_MEMBERS = 9  # a pass admits at most ten people


@dataclass
class SignUp:
    pass_: Pass
    created: bool  # False: the email had a pass already, whose link is mailed instead


def normalise_email(email):
    return (email or "").strip().lower()


def published_festival(slug):
    festival = festival_with_slug(slug)
    if festival is None or not festival.is_published:
        raise NotFound("festival", N_("No published festival with this address."))
    return festival


def _check_person(name, age_group, field):
    if not (name or "").strip():
        raise Invalid(f"{field}name" if field else "name", N_("Give a name."), code="required")
    if age_group not in AGE_GROUPS:
        raise Invalid(
            f"{field}age_group" if field else "age_group",
            N_("Age group must be one of: %(words)s."), params={"words": labels(AGE_GROUPS)},
            code="invalid_choice",
        )


def _check_sign_up(name, age_group, party, consent, locale, consent_version):
    _check_person(name, age_group, "")
    if len(party) > MAX_PARTY_MEMBERS:
        raise Invalid("party", N_("A pass takes at most %(n)s family members."), params={"n": MAX_PARTY_MEMBERS}, code="too_many")
    for index, member in enumerate(party):
        _check_person(member.get("name"), member.get("age_group"), f"party.{index}.")
    if consent is not True:
        raise Invalid("consent", N_("Please agree to the consent text to get a pass."), code="consent_required")
    if locale not in LOCALES:
        raise Invalid("locale", N_("Language must be th or en."), code="invalid_choice")
    if not consent_texts.is_known(consent_version):
        raise Invalid("consent_version", N_("Unknown consent text version."), code="invalid_choice")


def _existing(festival_id, email):
    return db.session.scalar(sa.select(Pass).where(Pass.festival_id == festival_id, Pass.email == email))


def _link_requested(pass_):
    emit("pass.link_requested", pass_id=pass_.id, festival_id=pass_.festival_id)
    return SignUp(pass_, created=False)


def sign_up(festival_slug, *, name, email, age_group, consent, phone="", party=(), locale="th", consent_version=None):
    """One pass per email per festival. A second sign-up with the same email makes no pass:
    it asks the workers to mail the existing pass's link to that address."""
    consent_version = consent_version or consent_texts.CURRENT_VERSION
    party = list(party or [])
    festival = published_festival(festival_slug)
    _check_sign_up(name, age_group, party, consent, locale, consent_version)
    email = normalise_email(email)
    existing = _existing(festival.id, email)
    if existing is not None:
        return _link_requested(existing)
    pass_codes.festival_key(festival.id)  # made now, so that reading a pass never writes
    now = now_utc()
    manage_token, feed_token = new_token(), new_token()
    pass_ = Pass(
        festival_id=festival.id,
        public_id=pass_codes.new_public_id(),
        manage_token=manage_token,
        manage_token_hash=token_hash(manage_token),
        feed_token=feed_token,
        feed_token_hash=token_hash(feed_token),
        name=name.strip(),
        email=email,
        phone=(phone or "").strip(),
        age_group=age_group,
        locale=locale,
        consent_version=consent_version,
        consent_locale=locale,
        consent_text_sha256=consent_texts.sha256(locale, consent_version),
        consent_at=now,
        created_at=now,
        party=[
            PartyMember(position=index, name=member["name"].strip(), age_group=member["age_group"])
            for index, member in enumerate(party)
        ],
    )
    db.session.add(pass_)
    try:
        db.session.flush()
    except IntegrityError:
        # Another sign-up with this email committed first (the unique constraint caught
        # the race): answer as for any second sign-up.
        db.session.rollback()
        existing = _existing(festival.id, email)
        if existing is None:
            raise
        return _link_requested(existing)
    emit("pass.created", pass_id=pass_.id, festival_id=festival.id)
    return SignUp(pass_, created=True)


def _by_token(column, token):
    if not could_be_token(token):
        raise NotFound("pass", N_("No such pass."))
    pass_ = db.session.scalar(sa.select(Pass).where(column == token_hash(token)))
    if pass_ is None:
        raise NotFound("pass", N_("No such pass."))
    return pass_


def pass_for_manage_token(token):
    """The pass behind a manage link (looked up by the token's hash); 404 `not_found` otherwise."""
    return _by_token(Pass.manage_token_hash, token)


def pass_for_feed_token(token):
    """The pass behind a calendar feed link (for the workers' agenda feed)."""
    return _by_token(Pass.feed_token_hash, token)


def links(pass_):
    """The visitor's own addresses: the pass page, its QR image and their calendar."""
    base = current_app.config["PUBLIC_URL"]
    agenda = f"{base}/passes/{pass_.feed_token}/agenda.ics"
    return {
        "manage_url": f"{base}/passes/{pass_.manage_token}",
        "qr_url": f"{base}/api/v1/passes/{pass_.manage_token}/qr.png",
        "agenda_url": agenda,
        "webcal_url": "webcal://" + agenda.split("://", 1)[1],
    }


def bookings_of(pass_id):
    return list(db.session.scalars(sa.select(Booking).where(Booking.pass_id == pass_id).order_by(Booking.id)))


def cancel_pass(pass_id, now=None):
    """Cancel a pass and all its bookings; their seats go to the waitlists at once."""
    now = now or now_utc()
    pass_ = lock_pass(pass_id)
    if pass_.status == PASS_CANCELLED:
        return pass_
    session_ids = db.session.scalars(
        sa.select(Booking.session_id).where(Booking.pass_id == pass_id, Booking.status != CANCELLED)
    ).all()
    sessions = lock_sessions(session_ids)
    for session_id, session in sessions.items():
        booking = db.session.scalar(
            sa.select(Booking)
            .where(Booking.pass_id == pass_id, Booking.session_id == session_id, Booking.status != CANCELLED)
            .execution_options(populate_existing=True)
        )
        cancel_locked(booking, session, BY_VISITOR, now)
    pass_.status = PASS_CANCELLED
    pass_.cancelled_at = now
    db.session.flush()
    for session in sessions.values():
        promote_waitlist(session, now)
    emit("pass.cancelled", pass_id=pass_.id, festival_id=pass_.festival_id)
    return pass_
