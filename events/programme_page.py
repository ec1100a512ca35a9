"""How the programme page arranges sessions: days, time slots, stages and filter links.

Pure functions over sessions the services return: no queries, no request. The
views pass in the query arguments; the tests call these directly too.
"""
from dataclasses import dataclass, field
from datetime import date
from itertools import groupby
from urllib.parse import urlencode

from app.i18n import local
from events.vocabulary import AGE_GROUPS, SESSION_KINDS, THEMES

FILTERS = {"kind": SESSION_KINDS, "theme": THEMES, "age_group": AGE_GROUPS}
VIEWS = ("time", "stage")
# Query arguments the page understands; anything else (utm tags, lang) is not carried on.
PAGE_ARGS = ("day", "view", *FILTERS)


@dataclass
class Choice:
    """What the visitor picked, cleaned: unknown values are dropped, never an error."""

    day: date
    view: str = "time"
    filters: dict = field(default_factory=dict)

    def args(self):
        values = {"day": self.day.isoformat(), "view": None if self.view == "time" else self.view}
        values.update(self.filters)
        return {key: value for key, value in values.items() if value}

    def url(self, path, **changes):
        """This page with some arguments changed; a value of None removes the argument."""
        values = self.args()
        for key, value in changes.items():
            if value is None or (key == "view" and value == "time"):
                values.pop(key, None)
            else:
                values[key] = value
        ordered = [(key, values[key]) for key in PAGE_ARGS if key in values]
        return path + ("?" + urlencode(ordered) if ordered else "")

    def toggle_url(self, path, name, value):
        """A filter chip: picking the active value again clears the filter."""
        return self.url(path, **{name: None if self.filters.get(name) == value else value})


def default_day(festival, today):
    """Today while the festival runs, else its first day."""
    days = festival.days()
    return today if today in days else days[0]


def parse_choice(festival, args, today):
    days = festival.days()
    try:
        day = date.fromisoformat(args.get("day", ""))
    except ValueError:
        day = None
    if day not in days:
        day = default_day(festival, today)
    view = args.get("view") if args.get("view") in VIEWS else "time"
    filters = {name: args.get(name) for name, allowed in FILTERS.items() if args.get(name) in allowed}
    return Choice(day=day, view=view, filters=filters)


@dataclass
class Slot:
    starts: object  # local datetime of the slot
    sessions: list


def by_time(sessions, timezone):
    """Sessions grouped by their local start time, in time order."""
    ordered = sorted(sessions, key=lambda s: (s.starts_at, s.ends_at, s.id))
    return [
        Slot(starts=starts, sessions=list(group))
        for starts, group in groupby(ordered, key=lambda s: local(s.starts_at, timezone))
    ]


@dataclass
class Stage:
    venue: object  # None: sessions without a venue
    sessions: list


def by_stage(sessions, venues):
    """One column per venue (in the festival's venue order), then sessions without a venue."""
    ordered = sorted(sessions, key=lambda s: (s.starts_at, s.ends_at, s.id))
    stages = []
    for venue in venues:
        mine = [s for s in ordered if s.venue_id == venue.id]
        if mine:
            stages.append(Stage(venue=venue, sessions=mine))
    known = {venue.id for venue in venues}
    homeless = [s for s in ordered if s.venue_id not in known]
    if homeless:
        stages.append(Stage(venue=None, sessions=homeless))
    return stages


def seat_state(session, now):
    """'cancelled', 'open' (no booking), 'closed' (started: no more booking), 'full' (waitlist) or 'seats'."""
    return seat_state_of(session.status, session.starts_at, session.seats_left, now)


def seat_state_of(status, starts_at, seats_left, now):
    """seat_state from the values alone (seats_left None: no booking), for a stored page's live seats."""
    if status == "cancelled":
        return "cancelled"
    if seats_left is None:
        return "open"
    if starts_at <= now:
        return "closed"
    return "seats" if seats_left > 0 else "full"


def host_names(hosts):
    """Hosts come as plain names or as {name, organisation} objects."""
    names = []
    for host in hosts or []:
        if isinstance(host, dict):
            name = host.get("name") or ""
            org = host.get("organisation") or host.get("organization") or host.get("org") or ""
            names.append(f"{name} ({org})" if name and org else name or org)
        else:
            names.append(str(host))
    return [name for name in names if name]


def split_festivals(festivals, today):
    """Upcoming (and running) festivals soonest first, then past ones latest first."""
    upcoming = sorted((f for f in festivals if f.ends_on >= today), key=lambda f: (f.starts_on, f.id))
    past = sorted((f for f in festivals if f.ends_on < today), key=lambda f: (f.starts_on, f.id), reverse=True)
    return upcoming, past
