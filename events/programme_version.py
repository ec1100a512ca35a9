"""The version of a festival's public programme, read in one statement instead of building it.

The programme API and the programme page answer 304 to a phone that holds the current
version, so the version must change with everything either of them shows, and be cheap:
the point is not to load and render a thousand sessions to find out nothing changed.

It is made of
- the festival's row (names, dates, zone, status: publishing changes it) and its city's names;
- its sessions in one aggregate: how many, the highest id, the latest updated_at (every edit,
  and every booking or cancellation, since they move the seat counters through the ORM),
  and the sums of sequence, capacity and the seat and waitlist counters as a second net
  for two writes within one clock tick (the stored answers are keyed by the same state
  without the seats: see api_versions and page_versions);
- its venues' rows (venues have no updated_at; a festival has a few dozen at most);
- for the page: its booths' rows (no updated_at either), how many sessions have started by
  now (a card says "booking closed" from its session's start), and the festival's today
  (the default day, "this festival has ended");
- what the caller asked: filters, and for the page the language and the host it links to.

The statement finds the festival by its slug and carries the festival's row with it, so a
request answered from a kept answer (events/programme_store.py) makes this one round trip
and no ORM load.

Each process also keeps what the statement read, under a generation (app/generations.py,
read in the request's one Redis round trip with the others): a commit that writes a
festival, a city, a session, a venue or a booth replaces it, so every process reads again
at its next request, and a booking is in the next answer on every node. The page's "started
by now" count is kept only until the next session's start. With Redis not answering,
nothing is kept; if it did not answer when a change was committed, a kept reading is read
again within KEEP_SECONDS all the same, as after a write that passes by the ORM's session (an
operator's hand-made SQL): the app's own writes all go through it.
"""
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app import generations
from app.conditional import validator
from app.database import db
from events import validation as check
from events.models import Booth, City, Festival, ProgrammeSession, Venue

VENUE_SHOWN = (Venue.id, Venue.name_th, Venue.name_en, Venue.kind, Venue.sort_order, Venue.capacity)
BOOTH_SHOWN = (
    Booth.id, Booth.code, Booth.name_th, Booth.name_en, Booth.exhibitor, Booth.description_th,
    Booth.description_en, Booth.themes, Booth.age_groups, Booth.venue_id,
)


@dataclass(frozen=True)
class FestivalRow:
    """A festival as the version's statement read it, without the ORM: enough to judge who may see
    it (events.festivals.reachable) and to name its answers. An answer kept by this process is sent
    from this alone; the ORM festival is loaded only to render one (loaded())."""

    id: int
    city_id: int
    status: str
    timezone: str
    state: tuple  # every column of the festival, and its city's names

    @property
    def is_published(self):
        return self.status == "published"

    @property
    def zone(self):
        return ZoneInfo(self.timezone)

    def loaded(self):
        """The ORM festival (with its city), for rendering."""
        return db.session.get(Festival, self.id)


def api_version(festival, filters):
    """The validator of GET /api/v1/festivals/<slug>/sessions with these (parsed) filters."""
    return api_versions(festival.slug, filters)[1][0]


def api_versions(slug, filters):
    """(festival, (validator, body key)) of GET /api/v1/festivals/<slug>/sessions with these (parsed)
    filters; festival is a FestivalRow, or None (and no versions) when no festival has this slug.

    The JSON carries both languages and no time-dependent field, so neither the caller's
    language nor the clock is part of it. The body key leaves out the seat counters (and the
    updated_at a booking moves): the stored answer holds seats apart (events/programme_store.py).
    """
    found = _state(slug)
    if found is None:
        return None, None
    festival, programme, seats, venues, _ = found
    filters = sorted(filters.items())
    return festival, (
        validator("api", festival.state, programme, seats, venues, filters),
        validator("api-body", festival.state, programme, venues, filters),
    )


def page_version(festival, args, locale, host, now):
    """The validator of the programme page /festivals/<slug> as of `now`; `args`: the query's (name, value) pairs."""
    return page_versions(festival.slug, args, locale, host, now)[1][0]


def page_versions(slug, args, locale, host, now, scheme="http"):
    """(festival, (validator, body key)) of the programme page as of `now`, as api_versions.

    The body key leaves out the seat counters and the clock's "has it started": the stored
    page holds each bookable card's seat line apart. It keeps the festival's today (the
    default day, "this festival has ended") and the scheme the calendar link is drawn with.
    """
    found = _state(slug, started_by=now)
    if found is None:
        return None, None
    festival, programme, seats, venues, booths = found
    today = now.astimezone(festival.zone).date()
    # Raw and in order: the language links repeat every argument, even those the page ignores.
    args = sorted(args)
    return festival, (
        validator("page", festival.state, programme, seats, venues, booths, today, locale, host, args),
        validator("page-body", festival.state, programme, venues, booths, today, locale, host, scheme, args),
    )


PROGRAMME_GENERATION = "events:programme:generation"
KEEP_SECONDS = 10
KEEP_AT_MOST = 2_000  # (kind, slug) readings per process: a few festivals' venues and booths each
_KEPT = "events.programme_states"  # app.extensions: (page?, slug) -> (generation, kept at, _Reading)


@dataclass(frozen=True)
class _Reading:
    found: tuple  # None: no festival has this slug
    started_by: object  # the page's clock when read (None: the API's reading)
    next_start: object  # the first session start after it (None: none left)


def _state(slug, started_by=None):
    """_read_state, as this process keeps it (above): None when no festival has this slug."""
    if not check.is_slug(slug):
        return None
    page = started_by is not None

    def read():
        found, next_start = _read_state(slug, started_by)
        return _Reading(found, started_by, next_start)

    reading, _kept = generations.kept(
        PROGRAMME_GENERATION, _KEPT, (page, slug), read, seconds=KEEP_SECONDS, at_most=KEEP_AT_MOST,
        worth=lambda reading: reading.found is not None,
        usable=lambda reading: not page or _same_started(reading, started_by),
    )
    return reading.found


def _same_started(known, started_by):
    """Whether as many sessions have started by `started_by` as by the kept reading's clock."""
    return known.started_by <= started_by and (known.next_start is None or started_by < known.next_start)


def _read_state(slug, started_by=None):
    """((festival, programme, seats, venues, booths), the first session start after started_by) of
    the festival with this slug, read in one statement; (None, None) when there is none.

    festival: a FestivalRow. programme: what the programme shows but seats, in one aggregate of
    its sessions that moves with every change a visitor can see without updated_at, which a
    booking moves too: a new session raises the count, the highest id or the latest created_at,
    a deleted one lowers the count, and every edit raises the session's sequence
    (events/programme.py, the same rule the calendar feeds rest on). seats: the seats and, with
    started_by, the clock. venues, and booths with started_by (the page shows them): their rows.
    """
    page = started_by is not None
    params = {"slug": slug, "started_by": started_by} if page else {"slug": slug}
    rows = db.session.connection().execute(_STATEMENTS[page], params).all()
    if not rows or rows[0][0] != 0:
        return None, None
    first = rows[0]
    aggregate_at = 1 + len(_FESTIVAL)
    venue_at = aggregate_at + len(_PROGRAMME) + len(_SEATS) + 2 * page
    booth_at = venue_at + len(VENUE_SHOWN)
    state = tuple(first[1:aggregate_at])
    festival = FestivalRow(id=first[_AT["id"]], city_id=first[_AT["city_id"]], status=first[_AT["status"]],
                           timezone=first[_AT["timezone"]], state=state)
    aggregate = tuple(first[aggregate_at : venue_at - page])
    next_start = first[venue_at - 1] if page else None
    venues = tuple(tuple(row[venue_at:booth_at]) for row in rows if row[0] == 1)
    booths = tuple(tuple(row[booth_at : booth_at + len(BOOTH_SHOWN)]) for row in rows if row[0] == 2)
    return (festival, aggregate[: len(_PROGRAMME)], aggregate[len(_PROGRAMME) :], venues, booths), next_start


# The festival's columns, then its city's names: the festival's part of every validator.
_FESTIVAL = (*Festival.__table__.columns, City.__table__.c.name_th, City.__table__.c.name_en)
_AT = {column.key: 1 + n for n, column in enumerate(Festival.__table__.columns)}
_s = ProgrammeSession
_PROGRAMME = (
    sa.func.count(),
    sa.func.max(_s.id),
    sa.func.max(_s.created_at),
    sa.func.sum(_s.sequence),
    sa.func.sum(sa.func.coalesce(_s.capacity, -1)),
)
_SEATS = (
    sa.func.max(_s.updated_at),
    sa.func.sum(_s.seats_confirmed),
    sa.func.sum(_s.walk_in_seats),  # walk-ins take seats too: seats_left changes with them
    sa.func.sum(_s.waitlist_length),
)
_STARTED_BY = sa.bindparam("started_by", type_=_s.starts_at.type)
_STARTED = sa.func.sum(sa.case((_s.starts_at <= _STARTED_BY, 1), else_=0))
# Not part of any validator: until this start, the count above stays as it is (a kept reading holds).
_NEXT_START = sa.func.min(sa.case((_s.starts_at > _STARTED_BY, _s.starts_at)), type_=_s.starts_at.type)


def _statement(page):
    """The festival with its city and its sessions' aggregate, then the venues' rows and (for the page)
    the booths': one UNION ALL by slug, each part in its own columns, typed NULLs in the others, so
    that PostgreSQL and SQLite read them alike."""
    festivals, cities = Festival.__table__, City.__table__
    festival_id = sa.select(festivals.c.id).where(festivals.c.slug == sa.bindparam("slug")).scalar_subquery()
    aggregate = sa.select(*(column.label(f"a{n}") for n, column in enumerate(
        (*_PROGRAMME, *_SEATS, *((_STARTED, _NEXT_START) if page else ()))))).where(_s.festival_id == festival_id).subquery()
    first = (*_FESTIVAL, *aggregate.c)
    parts = [
        (0, first, festivals.join(cities, cities.c.id == festivals.c.city_id).join(aggregate, sa.true()),
         festivals.c.slug == sa.bindparam("slug")),
        (1, VENUE_SHOWN, Venue.__table__, Venue.festival_id == festival_id),
    ]
    if page:
        parts.append((2, BOOTH_SHOWN, Booth.__table__, Booth.festival_id == festival_id))
    wide = [column for _, columns, _, _ in parts for column in columns]
    selects = []
    for part, columns, source, where in parts:
        mine = {id(column) for column in columns}
        values = [
            column if id(column) in mine else sa.cast(sa.null(), column.type)
            for column in wide
        ]
        selects.append(
            sa.select(sa.literal(part, sa.Integer).label("part"), *(v.label(f"c{n}") for n, v in enumerate(values)))
            .select_from(source)
            .where(where)
        )
    # Row order: the festival, the venues by id, the booths by id (each id is NULL in the other parts).
    order = ["part", "c" + str(len(first))]
    if page:
        order.append("c" + str(len(first) + len(VENUE_SHOWN)))
    return sa.union_all(*selects).order_by(*(sa.literal_column(name) for name in order))


_STATEMENTS = {False: _statement(False), True: _statement(True)}
_WATCHED = frozenset(table.name for table in (Festival.__table__, City.__table__, ProgrammeSession.__table__,
                                              Venue.__table__, Booth.__table__))
generations.watch(PROGRAMME_GENERATION, lambda: _WATCHED)
