"""Composing a mail: the policy with its registry of header classes made once writes the same message as the
email package's default policy, and still refuses a header value that would start a new header."""
from email import message_from_bytes, policy

import pytest

from app.database import db
from mail.services import batch, compose, content
from mail.services.sending import write_message
from registrations.models import Pass

DEFAULT = policy.default.clone(cte_type="7bit")


def parsed(message):
    return message_from_bytes(message.as_bytes(policy=message.policy.clone(linesep="\r\n")), policy=policy.default)


def described(message):
    """Every part's headers (the random MIME boundary and the clock's Date left out) and decoded body."""
    parts = []
    for part in message.walk():
        headers = []
        for name, value in part.items():
            if name == "Date":
                continue
            if name == "Content-Type":
                value = (value.content_type, sorted((k, v) for k, v in value.params.items() if k != "boundary"))
            headers.append((name, str(value)))
        body = None if part.is_multipart() else part.get_payload(decode=True)
        parts.append((headers, body))
    return parts


@pytest.mark.parametrize("locale", ["th", "en"])
def test_a_confirmation_is_written_as_the_default_policy_writes_it(app, festival, workshop, sign_up, book, monkeypatch, locale):
    session_id = workshop(capacity=5, title_th="เวิร์กช็อปทอผ้า", title_en="Weaving workshop")
    pass_id = sign_up(name="สมศรี ใจดี", locale=locale, party=[{"name": "น้องฟ้า", "age_group": "child"}])
    book(pass_id, session_id)
    with app.app_context():
        pass_ = db.session.get(Pass, pass_id)
        letters = []

        def write(locale_):  # one letter for both: the same cids
            if not letters:
                letters.append(content.confirmation(pass_, locale_))
            return letters[0]

        ours = write_message(pass_, write, "<same@thetsakan.example>")
        monkeypatch.setattr(compose, "POLICY", DEFAULT)
        theirs = write_message(pass_, write, "<same@thetsakan.example>")
        batch.end()
        db.session.remove()
    assert described(parsed(ours)) == described(parsed(theirs))
    assert len(described(parsed(ours))) == 7  # mixed, alternative, text, related, html, png, agenda
    assert parsed(ours)["Subject"] == theirs["Subject"]


@pytest.mark.parametrize("header", ["Subject", "List-Unsubscribe"])
def test_a_header_value_with_a_line_break_is_still_refused(app, header):
    with app.app_context():
        with pytest.raises(ValueError):
            fields = {"headers": {header: "<https://x.example>\r\nBcc: someone@evil.example"}} if header != "Subject" else {}
            compose.compose(
                message_id="<x@thetsakan.example>", to_name="A", to_email="a@example.org",
                subject="Hi\r\nBcc: someone@evil.example" if header == "Subject" else "Hi",
                text="t", html="<p>t</p>", **fields,
            )
