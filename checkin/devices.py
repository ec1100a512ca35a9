"""Scanner phones: a one-time pairing code from the organiser console, or a signed-in staff session.

Either way the phone gets an ordinary API token of the user it scans for, kept by
the scanner page and sent as `Authorization: Bearer <token>`; a ScannerDevice row
records which phone holds which token, so that an organiser can revoke one phone.
"""
import secrets

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.database import db
from app.errors import DomainError, Forbidden, NotFound, N_
from app.users import ApiToken, User, hash_token, issue_token
from checkin.checkpoints import may_scan
from checkin.models import ScannerDevice
from events.models import Festival

PAIRING_MAX_AGE = 15 * 60  # seconds a pairing QR stays valid


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="thetsakan.scanner-pairing")


def pairing_code(festival, user):
    """A signed code that pairs one phone, once, to scan at `festival` as `user`."""
    if not may_scan(user, festival):
        raise Forbidden(N_("This user may not scan at this festival."))
    return _serializer().dumps({"f": festival.id, "u": user.id, "n": secrets.token_urlsafe(12)})


def pairing_url(code):
    return f"{current_app.config['PUBLIC_URL']}/scan?pair={code}"


def staff_for(festival):
    """Users who may scan at a festival (the pairing form's choices)."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.city_id == festival.city_id, User.role.in_(("staff", "organiser")), User.active.is_(True))
            .order_by(User.role.desc(), User.email)
        )
    )


def pair(code, label=""):
    """Use a pairing code: a new device and its token. 410 if expired, 409 if used already."""
    try:
        data = _serializer().loads(code or "", max_age=PAIRING_MAX_AGE)
    except SignatureExpired as error:
        raise DomainError("pairing_expired", N_("This pairing code has expired: show a new one."), status=410) from error
    except BadSignature as error:
        raise DomainError("invalid_pairing", N_("This is not a pairing code."), status=404) from error
    if db.session.scalar(sa.select(ScannerDevice.id).where(ScannerDevice.pairing_nonce == data["n"])):
        raise DomainError("pairing_used", N_("This pairing code was used already: show a new one."), status=409)
    festival = db.session.get(Festival, data["f"])
    user = db.session.get(User, data["u"])
    if festival is None or user is None or not user.active or not may_scan(user, festival):
        raise DomainError("invalid_pairing", N_("This pairing code no longer applies."), status=404)
    return _new_device(festival, user, label or "paired phone", pairing_nonce=data["n"])


def device_for_signed_in(festival, user, label=""):
    """A signed-in user's own phone (the /scan page after /login)."""
    if not may_scan(user, festival):
        raise Forbidden(N_("You may not scan at this festival."))
    return _new_device(festival, user, label or "signed-in phone")


def _new_device(festival, user, label, pairing_nonce=None):
    raw = issue_token(user, label=f"scanner: {label}"[:100])
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    device = ScannerDevice(
        festival_id=festival.id,
        user_id=user.id,
        label=label[:100],
        token_hash=token.token_hash,
        api_token_id=token.id,
        pairing_nonce=pairing_nonce,
    )
    db.session.add(device)
    db.session.flush()
    return device, raw, user, festival


def devices_of(festival):
    return list(
        db.session.scalars(
            sa.select(ScannerDevice).where(ScannerDevice.festival_id == festival.id).order_by(ScannerDevice.id.desc())
        )
    )


def revoke(festival, device_id):
    device = db.session.get(ScannerDevice, device_id)
    if device is None or device.festival_id != festival.id:
        raise NotFound("scanner device")
    device.revoked = True
    if device.api_token_id is not None:
        token = db.session.get(ApiToken, device.api_token_id)
        if token is not None:
            token.revoked = True
    db.session.flush()
    return device
