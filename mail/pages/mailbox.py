"""/dev/mailbox: the Maildir that mail goes to without SMTP_HOST, readable in development only.

The HTML part is shown in a sandboxed iframe from its own URL with a CSP that
allows no script at all; its inline images (cid:) become data: URLs.
"""
import base64
import re
from email import message_from_bytes, policy

from flask import Blueprint, Response, abort, render_template
from markupsafe import escape

from app.auth import dev_only
from mail.services.transport import maildir

bp = Blueprint("mailbox", __name__, url_prefix="/dev/mailbox")

KEY = re.compile(r"^[A-Za-z0-9._,=-]{1,200}$")
SHOWN = 200
HTML_PART_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
_CID = re.compile(r"""(src\s*=\s*["'])cid:([^"']+)(["'])""", re.IGNORECASE)


# Every page here: 404 unless DEV_MAILBOX is on (never in production).
development = dev_only("DEV_MAILBOX")


def _box():
    return maildir()


def _parse(raw):
    return message_from_bytes(raw, policy=policy.default)


def _load(key):
    if not KEY.match(key):
        abort(404)
    try:
        raw = _box().get_bytes(key)
    except KeyError:
        abort(404)
    return raw, _parse(raw)


def _summary(key, message, delivered):
    return {
        "key": key,
        "subject": str(message.get("Subject", "")),
        "to": str(message.get("To", "")),
        "date": str(message.get("Date", "")),
        "delivered": delivered,
    }


def _attachments(message):
    return [
        {"index": index, "filename": part.get_filename() or f"part-{index}", "type": part.get_content_type()}
        for index, part in enumerate(message.iter_attachments())
    ]


@bp.get("")
@development
def index():
    box = _box()
    entries = []
    for key in box.keys():
        item = box.get_message(key)
        entries.append((item.get_date(), key))
    entries.sort(reverse=True)
    messages = []
    for delivered, key in entries[:SHOWN]:
        messages.append(_summary(key, _parse(box.get_bytes(key)), delivered))
    return render_template("mailbox/index.html", messages=messages, total=len(entries))


@bp.get("/<key>")
@development
def show(key):
    _raw, message = _load(key)
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    return render_template(
        "mailbox/message.html",
        key=key,
        headers=[(name, str(value)) for name, value in message.items()],
        subject=str(message.get("Subject", "")),
        text=text_part.get_content() if text_part is not None else "",
        has_html=html_part is not None,
        attachments=_attachments(message),
    )


def _inline_images(message):
    images = {}
    for part in message.walk():
        cid = part.get("Content-ID")
        if cid and part.get_content_maintype() == "image":
            data = base64.b64encode(part.get_payload(decode=True)).decode()
            images[cid.strip().strip("<>")] = f"data:{part.get_content_type()};base64,{data}"
    return images


@bp.get("/<key>/html")
@development
def html(key):
    _raw, message = _load(key)
    part = message.get_body(preferencelist=("html",))
    if part is None:
        abort(404)
    images = _inline_images(message)
    body = _CID.sub(lambda m: f"{m.group(1)}{escape(images.get(m.group(2), ''))}{m.group(3)}", part.get_content())
    response = Response(body, mimetype="text/html")
    response.headers["Content-Security-Policy"] = HTML_PART_CSP
    return response


@bp.get("/<key>/attachments/<int:index>")
@development
def attachment(key, index):
    _raw, message = _load(key)
    parts = list(message.iter_attachments())
    if not 0 <= index < len(parts):
        abort(404)
    part = parts[index]
    response = Response(part.get_payload(decode=True), mimetype="application/octet-stream")
    filename = re.sub(r"[^A-Za-z0-9._-]", "_", part.get_filename() or f"part-{index}")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/<key>/raw")
@development
def raw(key):
    raw_bytes, _message = _load(key)
    return Response(raw_bytes, mimetype="text/plain")
