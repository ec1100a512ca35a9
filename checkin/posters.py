"""Posters that visitors scan with their own phones: signed codes, rotation, and the A4 PDF.

A poster code is `<checkpoint id>.<poster version>.<signature>`, the signature an
HMAC (itsdangerous, SHA-256) keyed by SECRET_KEY and the checkpoint's
poster_secret. Rotating the poster raises the version and draws a new secret, so a
shared photo of an old poster stops working.
"""
import base64
import hashlib
import io
import re

import qrcode
import qrcode.image.svg
from flask import current_app, render_template
from itsdangerous import BadSignature, Signer
from weasyprint import HTML

from app.database import db
from app.errors import DomainError
from checkin.models import BOOTH, SESSION, Checkpoint

POSTER_KINDS = (BOOTH, SESSION)
_CODE = re.compile(r"^(\d{1,10})\.(\d{1,6})\.([A-Za-z0-9_-]{20,100})$")


def _signer(checkpoint):
    return Signer(
        current_app.config["SECRET_KEY"] + ":" + checkpoint.poster_secret,
        salt="thetsakan.poster",
        sep=".",
        digest_method=hashlib.sha256,
    )


def poster_code(checkpoint):
    if checkpoint.kind not in POSTER_KINDS:
        raise DomainError("no_poster", "Only booths and session doors have visitor posters.", status=409)
    return _signer(checkpoint).sign(f"{checkpoint.id}.{checkpoint.poster_version}").decode()


def poster_url(checkpoint):
    return f"{current_app.config['PUBLIC_URL']}/p/{poster_code(checkpoint)}"


def checkpoint_for_poster(code):
    """The checkpoint a poster code stands for; 404 invalid_poster if forged, 410 poster_retired if rotated."""
    match = _CODE.match((code or "").strip())
    checkpoint = db.session.get(Checkpoint, int(match.group(1))) if match else None
    if checkpoint is None or checkpoint.kind not in POSTER_KINDS:
        raise DomainError("invalid_poster", "This poster code is not one of ours.", status=404)
    if int(match.group(2)) != checkpoint.poster_version:
        raise DomainError("poster_retired", "This poster has been replaced: scan the poster on display.", status=410)
    try:
        _signer(checkpoint).unsign(code.strip())
    except BadSignature as error:
        raise DomainError("invalid_poster", "This poster code is not one of ours.", status=404) from error
    return checkpoint


def qr_png(data, box_size=10):
    image = qrcode.make(data, box_size=box_size, border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def qr_svg(data):
    """An SVG QR code (for pages: crisp at any size, no image request)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    return image.to_string(encoding="unicode")


def poster_filename(checkpoint):
    """Its version in the name: a reprinted poster is not mistaken for the one it replaces."""
    return f"poster-{checkpoint.id}-v{checkpoint.poster_version}.pdf"


def poster_pdf(checkpoint):
    """The A4 poster, Thai and English, with the QR of its /p/ address."""
    url = poster_url(checkpoint)
    target = checkpoint.booth if checkpoint.kind == BOOTH else checkpoint.session
    html = render_template(
        "checkin/poster.html",
        checkpoint=checkpoint,
        festival=checkpoint.festival,
        name_th=(target.name_th if checkpoint.kind == BOOTH else target.title_th),
        name_en=(target.name_en if checkpoint.kind == BOOTH else target.title_en),
        booth_code=target.code if checkpoint.kind == BOOTH else "",
        url=url,
        qr_data_uri="data:image/png;base64," + base64.b64encode(qr_png(url, box_size=12)).decode(),
    )
    return HTML(string=html, base_url=current_app.config["PUBLIC_URL"]).write_pdf()
