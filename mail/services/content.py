"""What each mail says, in the visitor's language (Pass.locale): subject, paragraphs, cards, links.

Every function here runs inside force_locale(locale) (see jobs.send), returns a
Letter, and reads only: sending is the ledger's and the transport's business.
"""
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _

from app.i18n import clock, date_range, long_date, pick
from events.vocabulary import label
from registrations import pass_codes, qr_image
from registrations.models import CONFIRMED, WAITLISTED
from feeds.services import store
from mail.services import batch
from mail.services.compose import Attachment, Inline, new_cid


@dataclass
class Letter:
    subject: str
    template: str  # "notice" or "confirmation"
    context: dict
    inline: list = field(default_factory=list)
    attachments: list = field(default_factory=list)
    headers: dict = field(default_factory=dict)


def manage_url(pass_):
    return f"{current_app.config['PUBLIC_URL']}/passes/{pass_.manage_token}"


def agenda_url(pass_):
    return f"{current_app.config['PUBLIC_URL']}/passes/{pass_.feed_token}/agenda.ics"


def when(session, festival, locale, starts_at=None, ends_at=None):
    starts_at, ends_at = starts_at or session.starts_at, ends_at or session.ends_at
    local_day = starts_at.astimezone(festival.zone).date()
    times = f"{clock(starts_at, festival.timezone, locale)}–{clock(ends_at, festival.timezone, locale)}"
    return f"{long_date(local_day, locale, weekday=True)}, {times}"


def where(venue, festival, locale):
    parts = [pick(venue, "name", locale)] if venue is not None else []
    parts.append(pick(festival, "venue", locale))
    return ", ".join(part for part in parts if part)


def card(session, festival, locale, booking=None):
    facts = {
        "title": pick(session, "title", locale),
        "when": when(session, festival, locale),
        "where": where(session.venue, festival, locale),
        "kind": label(session.kind, locale),
        "cancelled": session.status == "cancelled",
    }
    if booking is not None:
        facts["seats"] = booking.seats
        facts["status"] = booking.status
    return facts


def _base(pass_, locale, **extra):
    festival = pass_.festival
    return {
        "festival_name": pick(festival, "name", locale),
        "festival_dates": _dates(festival, locale),
        "festival_venue": ", ".join(p for p in (pick(festival, "venue", locale), festival.address) if p),
        "name": pass_.name,
        "manage_url": manage_url(pass_),
        "agenda_url": agenda_url(pass_),
        "public_url": current_app.config["PUBLIC_URL"],
        **extra,
    }


def _dates(festival, locale):
    return date_range(festival.starts_on, festival.ends_on, locale)


def confirmation(pass_, locale):
    festival = pass_.festival
    image, agenda, code = _pass_parts(pass_)
    bookings = [b for b in pass_.bookings if b.status in (CONFIRMED, WAITLISTED)]
    context = _base(
        pass_,
        locale,
        code=code,
        qr_cid=image.cid,
        party=[{"name": pass_.name, "age_group": label(pass_.age_group, locale)}]
        + [{"name": m.name, "age_group": label(m.age_group, locale)} for m in pass_.party],
        bookings=[card(b.session, festival, locale, booking=b) for b in bookings],
    )
    return Letter(
        subject=_("Your pass for %(festival)s", festival=context["festival_name"]),
        template="confirmation",
        context=context,
        inline=[image],
        attachments=[agenda],
    )


def manage_link(pass_, locale):
    context = _base(
        pass_,
        locale,
        heading=_("Your pass link"),
        paragraphs=[
            _("Someone, probably you, signed up again for %(festival)s with this email address.", festival=pick(pass_.festival, "name", locale)),
            _("You already have a pass. Open it with the button below to see your QR code and your bookings."),
            _("If this was not you, you can ignore this email: nobody else has been sent your link."),
        ],
        action=(_("Open my pass"), manage_url(pass_)),
    )
    return Letter(_("Your pass link for %(festival)s", festival=context["festival_name"]), "notice", context)


def pass_cancelled(pass_, locale):
    context = _base(
        pass_,
        locale,
        heading=_("Your pass is cancelled"),
        paragraphs=[
            _("Your pass for %(festival)s and all its bookings are cancelled. Its QR code no longer opens the gates.", festival=pick(pass_.festival, "name", locale)),
            _("You are welcome to sign up again at any time."),
        ],
    )
    return Letter(_("Your pass is cancelled: %(festival)s", festival=context["festival_name"]), "notice", context)


def _pass_parts(pass_):
    """The pass's QR code (inline image) and the visitor's agenda as it stands now (agenda.ics).

    Both are drawn once per batch (a confirmation and the booking notices of one pass
    carry the same two), keyed by what they are made of: the code itself, and the
    agenda's inputs, so that a booking made in between still shows."""
    code = pass_codes.issue(pass_)
    png = batch.once(("qr", code), lambda: qr_image.png(code, box_size=6))
    image = Inline(png, "png", "pass-qr.png", cid=new_cid("qr"))
    sessions = store.confirmed_sessions(pass_.id)
    ics = batch.once(("agenda", store.agenda_inputs(pass_, sessions)),
                     lambda: store.agenda_body(pass_, with_festival=True, sessions=sessions).decode())
    return image, Attachment(ics, "calendar", "agenda.ics", {"method": "PUBLISH"}), code


def _booking_letter(booking, locale, subject, heading, paragraphs, with_pass=False, **extra):
    """A notice about one booking; with_pass: a seat is (still) the visitor's, so the mail carries
    what they need at the door (the QR code) and their updated agenda."""
    pass_ = booking.pass_
    session = booking.session
    inline, attachments = [], []
    if with_pass:
        image, agenda, _code = _pass_parts(pass_)
        inline, attachments = [image], [agenda]
        extra["qr_cid"] = image.cid
    context = _base(
        pass_,
        locale,
        heading=heading,
        paragraphs=paragraphs,
        card=card(session, pass_.festival, locale, booking=booking),
        action=(_("Open my pass"), manage_url(pass_)),
        **extra,
    )
    return Letter(subject, "notice", context, inline=inline, attachments=attachments)


def booking_confirmed(booking, locale):
    title = pick(booking.session, "title", locale)
    return _booking_letter(
        booking,
        locale,
        _("Booked: %(title)s", title=title),
        _("Your seat is booked"),
        [_("Show the QR code of your pass at the door. The session is in your calendar feed too.")],
        with_pass=True,
    )


def booking_waitlisted(booking, locale, position):
    title = pick(booking.session, "title", locale)
    return _booking_letter(
        booking,
        locale,
        _("On the waitlist: %(title)s", title=title),
        _("You are on the waitlist"),
        [
            _("The session is full. You are number %(position)s on the waitlist.", position=position),
            _("When a seat frees up, it goes to the next on the list, and we email you at once."),
        ],
    )


def booking_promoted(booking, locale):
    title = pick(booking.session, "title", locale)
    return _booking_letter(
        booking,
        locale,
        _("A seat is yours: %(title)s", title=title),
        _("Good news: a seat freed up and it is yours"),
        [_("You were on the waitlist; your booking is now confirmed. If you cannot come, please cancel it so that the next person can.")],
        with_pass=True,
    )


def booking_cancelled(booking, locale):
    title = pick(booking.session, "title", locale)
    if booking.cancelled_by == "organiser":
        lead = _("The organisers cancelled your booking for this session.")
    else:
        lead = _("Your booking for this session is cancelled, as you asked.")
    return _booking_letter(booking, locale, _("Booking cancelled: %(title)s", title=title), _("Booking cancelled"), [lead])


def session_moved(booking, locale, changes, previous_venue):
    session, festival = booking.session, booking.pass_.festival
    title = pick(session, "title", locale)
    before_start = _parse(changes.get("starts_at", [None])[0]) or session.starts_at
    before_end = _parse(changes.get("ends_at", [None])[0]) or session.ends_at
    venue_before = previous_venue if "venue_id" in changes else session.venue
    previous = {
        "when": when(session, festival, locale, before_start, before_end),
        "where": where(venue_before, festival, locale),
    }
    return _booking_letter(
        booking,
        locale,
        _("Changed: %(title)s", title=title),
        _("A session you booked has changed"),
        [_("Your booking still stands. Here is the new time and place.")],
        previous=previous,
        with_pass=booking.status == CONFIRMED,
    )


def session_cancelled(booking, locale):
    title = pick(booking.session, "title", locale)
    return _booking_letter(
        booking,
        locale,
        _("Cancelled: %(title)s", title=title),
        _("This session is cancelled"),
        [_("We are sorry: the organisers have cancelled this session, and your booking with it. Your pass is still valid for the rest of the festival.")],
    )


def reminder(booking, locale):
    pass_ = booking.pass_
    title = pick(booking.session, "title", locale)
    letter = _booking_letter(
        booking,
        locale,
        _("Tomorrow: %(title)s", title=title),
        _("See you tomorrow"),
        [_("A reminder of the session you booked. Bring your pass's QR code (on your phone or printed). If you cannot come, please cancel so that someone on the waitlist gets your seat.")],
    )
    letter.headers["List-Unsubscribe"] = f"<{manage_url(pass_)}>"
    return letter


def _parse(value):
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None
