"""One email: HTML and plain text from templates, inline images, attachments and proper headers."""
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale

from app.database import now_utc


class _Headers(HeaderRegistry):
    """The default registry of header classes, making each class once.

    The email package's registry makes a new class (type()) for every header value it
    parses, stored or read: about 50 a confirmation, half the time of composing and
    writing one (docs/benchmarks.md). The class depends only on the header's name."""

    def __init__(self):
        super().__init__()
        self._made = {}

    def __getitem__(self, name):
        name = name.lower()
        made = self._made.get(name)
        if made is None:
            made = self._made[name] = super().__getitem__(name)
        return made


# 7-bit bodies (quoted-printable or base64, whichever is shorter): no server needs 8BITMIME.
POLICY = policy.default.clone(cte_type="7bit", header_factory=_Headers())


@dataclass
class Inline:
    data: bytes
    subtype: str  # png
    filename: str
    cid: str = ""  # without angle brackets; filled in by compose()


@dataclass
class Attachment:
    text: str
    subtype: str  # calendar
    filename: str
    params: dict = field(default_factory=dict)


def our_domain(config=None):
    """The domain of MAIL_FROM (what SPF and DKIM vouch for), else PUBLIC_URL's host."""
    config = config or current_app.config
    address = parseaddr(config["MAIL_FROM"])[1]
    if "@" in address:
        return address.rsplit("@", 1)[1]
    return urlsplit(config["PUBLIC_URL"]).hostname or "localhost"


def new_cid(name):
    return make_msgid(idstring=name, domain=our_domain())[1:-1]


def render(template, locale, **context):
    """Render a mail template in the visitor's language, outside any request."""
    env = current_app.jinja_env
    with force_locale(locale):
        return env.get_template(template).render(locale=locale, **context)


def _address(name, email):
    local, _, domain = email.partition("@")
    return Address(display_name=name or "", username=local, domain=domain)


def compose(*, message_id, to_name, to_email, subject, text, html, inline=(), attachments=(), headers=None):
    message = EmailMessage(policy=POLICY)
    message["Subject"] = subject
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = _address(to_name, to_email)
    message["Date"] = format_datetime(now_utc())
    message["Message-ID"] = message_id
    # RFC 3834: no vacation auto-replies to these, please.
    message["Auto-Submitted"] = "auto-generated"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    if inline:
        html_part = message.get_payload()[1]
        for image in inline:
            html_part.add_related(
                image.data, "image", image.subtype, cid=f"<{image.cid}>", filename=image.filename, disposition="inline"
            )
    for attachment in attachments:
        # As bytes (base64), so that the lines reach the calendar app as written: RFC 5545 asks for CRLF,
        # and a text part would be re-wrapped with the mail's own line endings.
        text = attachment.text.replace("\r\n", "\n").replace("\n", "\r\n")
        message.add_attachment(
            text.encode("utf-8"), maintype="text", subtype=attachment.subtype, filename=attachment.filename,
            params={**attachment.params, "charset": "utf-8"},
        )
    return message
