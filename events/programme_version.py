"""The version of a festival's public programme, read in a few small queries instead of building it.

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
"""
import sqlalchemy as sa

from app.conditional import validator
from app.database import db
from events.models import Booth, Festival, ProgrammeSession, Venue

VENUE_SHOWN = (Venue.id, Venue.name_th, Venue.name_en, Venue.kind, Venue.sort_order, Venue.capacity)
BOOTH_SHOWN = (
    Booth.id, Booth.code, Booth.name_th, Booth.name_en, Booth.exhibitor, Booth.description_th,
    Booth.description_en, Booth.themes, Booth.age_groups, Booth.venue_id,
)


def api_version(festival, filters):
    """The validator of GET /api/v1/festivals/<slug>/sessions with these (parsed) filters."""
    return api_versions(festival, filters)[0]


def api_versions(festival, filters):
    """(validator, body key) of GET /api/v1/festivals/<slug>/sessions with these (parsed) filters.

    The JSON carries both languages and no time-dependent field, so neither the caller's
    language nor the clock is part of it. The body key leaves out the seat counters (and the
    updated_at a booking moves): the stored answer holds seats apart (events/programme_store.py).
    """
    festival_state = _festival_state(festival)
    programme, seats, venues, _ = _state(festival.id)
    filters = sorted(filters.items())
    return (
        validator("api", festival_state, programme, seats, venues, filters),
        validator("api-body", festival_state, programme, venues, filters),
    )


def page_version(festival, args, locale, host, now):
    """The validator of the programme page /festivals/<slug> as of `now`; `args`: the query's (name, value) pairs."""
    return page_versions(festival, args, locale, host, now)[0]


def page_versions(festival, args, locale, host, now, scheme="http"):
    """(validator, body key) of the programme page as of `now`.

    The body key leaves out the seat counters and the clock's "has it started": the stored
    page holds each bookable card's seat line apart. It keeps the festival's today (the
    default day, "this festival has ended") and the scheme the calendar link is drawn with.
    """
    festival_state = _festival_state(festival)
    programme, seats, venues, booths = _state(festival.id, started_by=now)
    today = now.astimezone(festival.zone).date()
    # Raw and in order: the language links repeat every argument, even those the page ignores.
    args = sorted(args)
    return (
        validator("page", festival_state, programme, seats, venues, booths, today, locale, host, args),
        validator("page-body", festival_state, programme, venues, booths, today, locale, host, scheme, args),
    )


def _festival_state(festival):
    """Every column of the festival as loaded for this request, and the city names the page shows."""
    return (
        tuple(getattr(festival, column.key) for column in Festival.__table__.columns),
        festival.city.name_th,
        festival.city.name_en,
    )


def _state(festival_id, started_by=None):
    """(programme, seats, venues, booths) of the festival, read in one statement.

    programme: what the programme shows but seats, in one aggregate of its sessions that
    moves with every change a visitor can see without updated_at, which a booking moves too:
    a new session raises the count, the highest id or the latest created_at, a deleted one
    lowers the count, and every edit raises the session's sequence (events/programme.py, the
    same rule the calendar feeds rest on). seats: the seats and, with started_by, the clock.
    venues, and booths with started_by (the page shows them): their rows.
    """
    page = started_by is not None
    params = {"festival_id": festival_id, "started_by": started_by} if page else {"festival_id": festival_id}
    rows = db.session.connection().execute(_STATEMENTS[page], params).all()
    venue_at = 1 + len(_PROGRAMME) + len(_SEATS) + page
    booth_at = venue_at + len(VENUE_SHOWN)
    aggregate = tuple(rows[0][1:venue_at])
    venues = [tuple(row[venue_at:booth_at]) for row in rows if row[0] == 1]
    booths = [tuple(row[booth_at : booth_at + len(BOOTH_SHOWN)]) for row in rows if row[0] == 2]
    return aggregate[: len(_PROGRAMME)], aggregate[len(_PROGRAMME) :], venues, booths


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
_STARTED = sa.func.sum(sa.case((_s.starts_at <= sa.bindparam("started_by", type_=_s.starts_at.type), 1), else_=0))


def _statement(page):
    """The sessions' aggregate, then the venues' rows and (for the page) the booths': one UNION ALL, each
    part in its own columns, typed NULLs in the others, so that PostgreSQL and SQLite read them alike."""
    aggregate = (*_PROGRAMME, *_SEATS, *((_STARTED,) if page else ()))
    parts = [(0, aggregate, _s.__table__, _s.festival_id), (1, VENUE_SHOWN, Venue.__table__, Venue.festival_id)]
    if page:
        parts.append((2, BOOTH_SHOWN, Booth.__table__, Booth.festival_id))
    wide = [column for _, columns, _, _ in parts for column in columns]
    selects = []
    for part, columns, table, festival in parts:
        mine = {id(column) for column in columns}
        values = [
            column if id(column) in mine else sa.cast(sa.null(), column.type)
            for column in wide
        ]
        selects.append(
            sa.select(sa.literal(part, sa.Integer).label("part"), *(v.label(f"c{n}") for n, v in enumerate(values)))
            .select_from(table)
            .where(festival == sa.bindparam("festival_id"))
        )
    # Row order: the aggregate, the venues by id, the booths by id (each id is NULL in the other parts).
    order = ["part", "c" + str(len(aggregate))]
    if page:
        order.append("c" + str(len(aggregate) + len(VENUE_SHOWN)))
    return sa.union_all(*selects).order_by(*(sa.literal_column(name) for name in order))


_STATEMENTS = {False: _statement(False), True: _statement(True)}
