"""iCalendar (RFC 5545) bodies for the programme, one venue, and a visitor's agenda. Pure builders.

Given the same rows, a builder returns the same bytes: UIDs come from session
ids, DTSTAMP and LAST-MODIFIED from the session's own updated_at, SEQUENCE from
ProgrammeSession.sequence. That is what lets a calendar app's conditional GET
answer 304 after a rebuild that changed nothing.
"""
from datetime import timedelta
from functools import lru_cache
from urllib.parse import urlsplit

from icalendar import Calendar, Event, Timezone

from app.i18n import pick
from events.vocabulary import label

PRODID = "-//Thetsakan//Learning City Festivals//EN"
REFRESH = timedelta(hours=1)
SEPARATOR = " · "


def host_of(public_url):
    return urlsplit(public_url).hostname or "thetsakan.local"


def session_uid(session_id, host):
    return f"session-{session_id}@{host}"


def festival_uid(festival_id, host):
    return f"festival-{festival_id}@{host}"


def _both(obj, field, separator=SEPARATOR):
    """Thai, then English when it says something else: public feeds have no reader's language."""
    th, en = (getattr(obj, f"{field}_th", "") or "").strip(), (getattr(obj, f"{field}_en", "") or "").strip()
    if th and en and th != en:
        return f"{th}{separator}{en}"
    return th or en


def _text(obj, field, locale):
    return _both(obj, field) if locale is None else pick(obj, field, locale)


def _label(word, locale):
    if locale is None:
        th, en = label(word, "th"), label(word, "en")
        return th if th == en else f"{th}{SEPARATOR}{en}"
    return label(word, locale)


def calendar(festival, name, description, locale=None):
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("name", name)
    if description:
        cal.add("x-wr-caldesc", description)
        cal.add("description", description)
    cal.add("x-wr-timezone", festival.timezone)
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")  # Outlook's name for REFRESH-INTERVAL
    return cal


def location(session, festival, locale=None):
    parts = []
    if session.venue is not None:
        parts.append(_text(session.venue, "name", locale))
    parts.append(_text(festival, "venue", locale))
    if festival.address:
        parts.append(festival.address)
    return ", ".join(part for part in parts if part)


def description(session, festival, public_url, locale=None):
    lines = []
    text = _both(session, "description", "\n\n") if locale is None else pick(session, "description", locale)
    if text:
        lines.append(text)
        lines.append("")
    facts = [_label(session.kind, locale)]
    if session.language:
        facts.append(_label(session.language, locale))
    if session.hosts:
        facts.append(", ".join(str(host) for host in session.hosts))
    lines.append(SEPARATOR.join(facts))
    lines.append(f"{public_url}/festivals/{festival.slug}")
    return "\n".join(lines)


def session_event(session, festival, public_url, locale=None):
    zone = festival.zone
    host = host_of(public_url)
    event = Event()
    event.add("uid", session_uid(session.id, host))
    # No METHOD-driven scheduling here: DTSTAMP is when the information last changed.
    event.add("dtstamp", session.updated_at)
    event.add("created", session.created_at)
    event.add("last-modified", session.updated_at)
    event.add("sequence", session.sequence or 0)
    event.add("dtstart", session.starts_at.astimezone(zone))
    event.add("dtend", session.ends_at.astimezone(zone))
    event.add("summary", _text(session, "title", locale))
    event.add("description", description(session, festival, public_url, locale))
    event.add("location", location(session, festival, locale))
    event.add("status", "CANCELLED" if session.status == "cancelled" else "CONFIRMED")
    event.add("categories", [_label(session.kind, locale)])
    event.add("url", f"{public_url}/festivals/{festival.slug}")
    event.add("transp", "OPAQUE")
    return event


def festival_event(festival, public_url, locale=None):
    """The festival's days as one all-day event (the confirmation mail's agenda)."""
    event = Event()
    event.add("uid", festival_uid(festival.id, host_of(public_url)))
    event.add("dtstamp", festival.updated_at)
    event.add("last-modified", festival.updated_at)
    event.add("dtstart", festival.starts_on)
    event.add("dtend", festival.ends_on + timedelta(days=1))
    event.add("summary", _text(festival, "name", locale))
    event.add("location", ", ".join(p for p in (_text(festival, "venue", locale), festival.address) if p))
    event.add("url", f"{public_url}/festivals/{festival.slug}")
    event.add("transp", "TRANSPARENT")
    return event


END = b"END:VCALENDAR\r\n"


@lru_cache(maxsize=32)
def vtimezone(tzid):
    """The VTIMEZONE of a zone, made once per process (it is the slow part of a small feed)."""
    return Timezone.from_tzid(tzid).to_ical()


def serialise(events):
    """Each event's own lines (folded), so that one build can share them between feeds."""
    return [event.to_ical() for event in events]


def assemble(cal, festival, event_lines):
    """Calendar properties, the festival zone's VTIMEZONE, then the events."""
    head = cal.to_ical()
    if not head.endswith(END):
        raise ValueError("icalendar ended a calendar unexpectedly")
    return head[: -len(END)] + vtimezone(festival.timezone) + b"".join(event_lines) + END


def programme_events(festival, sessions, public_url):
    return serialise(session_event(s, festival, public_url) for s in sessions)


def programme_body(festival, event_lines):
    cal = calendar(festival, _both(festival, "name"), _both(festival, "venue"))
    return assemble(cal, festival, event_lines)


def venue_body(festival, venue, event_lines):
    name = f"{_both(festival, 'name')}{SEPARATOR}{_both(venue, 'name')}"
    return assemble(calendar(festival, name, _both(festival, "venue")), festival, event_lines)


def agenda_body(festival, sessions, public_url, locale, calendar_name, with_festival=False):
    """A visitor's own sessions in their language; with_festival adds the festival days (mail attachment)."""
    cal = calendar(festival, calendar_name, pick(festival, "name", locale), locale=locale)
    events = [festival_event(festival, public_url, locale)] if with_festival else []
    events += [session_event(s, festival, public_url, locale) for s in sessions]
    return assemble(cal, festival, serialise(events))
