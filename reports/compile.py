"""Compile a festival's figures: every table of the report, read in one snapshot of the database."""
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.database import db, now_utc
from events.models import City, Festival
from reports import dialect
from reports.queries import attendance, booths, returning, scans, sessions, signups
from reports.queries.scope import Scope
from reports.tables import DATE, INT, PCT, TEXT, VALUE, WORD, Column, Table


@dataclass
class Figures:
    festival: dict  # slug, names, city, dates, zone: plain values read in the snapshot
    compiled_at: object  # when the snapshot was taken (UTC)
    summary: dict  # headline figures by key
    tables: list = field(default_factory=list)

    def table(self, key):
        return next(t for t in self.tables if t.key == key)

    @property
    def scans(self):
        return self.summary["scans"]


# The headline figures, in the order the summary table lists them.
SUMMARY = (
    ("passes", _l("Passes signed up (not cancelled)"), INT),
    ("people", _l("People signed up (holders and party members)"), INT),
    ("cancelled_passes", _l("Passes cancelled"), INT),
    ("visitors", _l("Unique visitors admitted at the gates (passes)"), INT),
    ("visitor_people", _l("People admitted at the gates (with their parties)"), INT),
    ("no_show_passes", _l("Passes that never came through a gate"), INT),
    ("no_show_rate", _l("No-show rate (passes)"), PCT),
    ("peak_inside", _l("Peak number inside (people)"), INT),
    ("peak_day", _l("Day of the peak"), DATE),
    ("peak_at", _l("Time of the peak"), TEXT),
    ("sessions_held", _l("Sessions held"), INT),
    ("session_seats_booked", _l("Session seats booked"), INT),
    ("session_attended_people", _l("Session attendance (people)"), INT),
    ("session_walk_in_people", _l("Session walk-ins (people)"), INT),
    ("session_fill_rate", _l("Fill rate of sessions with a capacity"), PCT),
    ("session_no_show_rate", _l("No-show rate of booked seats"), PCT),
    ("booth_visits", _l("Booth visits"), INT),
    ("booth_visitors", _l("Unique booth visitors (passes)"), INT),
    ("attendees", _l("Passes admitted anywhere (gate, session or booth)"), INT),
    ("returning_visitors", _l("Returning visitors (attended an earlier festival)"), INT),
    ("returning_share", _l("Returning share of those admitted"), PCT),
    ("returning_signups", _l("Sign-ups who attended an earlier festival"), INT),
    ("scans", _l("Scans read"), INT),
    ("admitted_scans", _l("Scans admitted"), INT),
    ("refused_scans", _l("Scans refused or repeated"), INT),
)


def _festival_values(conn, festival_id):
    row = conn.execute(
        sa.select(
            Festival.id,
            Festival.slug,
            Festival.name_th,
            Festival.name_en,
            Festival.starts_on,
            Festival.ends_on,
            Festival.timezone,
            Festival.venue_th,
            Festival.venue_en,
            City.slug.label("city"),
            City.name_th.label("city_th"),
            City.name_en.label("city_en"),
        )
        .join(City, City.id == Festival.city_id)
        .where(Festival.id == festival_id)
    ).one()
    return dict(row._mapping)


def summary_table(summary):
    return Table(
        "summary",
        _l("Summary"),
        (Column("figure", _l("Figure"), WORD, 56), Column("value", _l("Value"), VALUE, 14)),
        [(key, summary.get(key)) for key, _title, _kind in SUMMARY],
        labels={key: title for key, title, _kind in SUMMARY},
        row_kinds=[kind for _key, _title, kind in SUMMARY],
    )


def compile_figures(festival_id, progress=lambda percent: None, start=0, end=100):
    """Every figure of one festival's report, read on one connection in one snapshot.

    progress(percent) is called after each group of queries, from `start` to `end`.
    """
    steps = 7
    done = iter(range(1, steps + 1))

    def step():
        progress(start + (end - start) * next(done) // steps)

    with db.engine.connect() as conn:
        dialect.snapshot(conn)
        with conn.begin():
            dialect.prepare(conn)
            # CURRENT_TIMESTAMP is the start of this transaction, whose snapshot every figure reads.
            compiled_at = conn.execute(sa.select(sa.func.current_timestamp())).scalar()
            festival = _festival_values(conn, festival_id)
            scope = Scope(conn, festival_id, festival["timezone"], festival["starts_on"], festival["ends_on"])
            summary = {}

            totals = signups.totals(scope)
            summary.update(totals)
            tables = [signups.by_age_group(scope), signups.by_day(scope)]
            step()

            summary.update(attendance.visitors(scope, totals["passes"]))
            peaks = attendance.peak_inside(scope) if attendance.exit_gates(scope) else {}
            arrivals = attendance.first_arrivals(scope)
            tables += [attendance.by_day(arrivals, peaks, scope.days()),
                       attendance.arrivals_by_hour(arrivals, scope.days())]
            summary.update(_peak(peaks))
            step()

            stats = sessions.session_stats(scope)
            tables += [sessions.sessions(scope, stats)]
            step()
            by_kind, by_theme, held = sessions.totals(scope, stats)
            tables += [by_kind, by_theme]
            summary.update(held)
            step()

            tables += [booths.booths(scope), booths.by_age_group(scope)]
            summary.update(booths.unique_visitors(scope))
            step()

            tables += [scans.refused_by_reason(scope)]
            summary.update(scans.counts(scope))
            step()

            returning_summary, returning_table = returning.returning(scope, returning.attendees(scope))
            summary.update(returning_summary)
            tables += [returning_table]
            step()
    if compiled_at.tzinfo is None:  # SQLite answers CURRENT_TIMESTAMP in UTC, without an offset
        compiled_at = compiled_at.replace(tzinfo=now_utc().tzinfo)
    return Figures(festival, compiled_at, summary, [summary_table(summary), *tables])


def _peak(peaks):
    if not peaks:
        return {"peak_inside": None, "peak_day": None, "peak_at": None}
    day = min(peaks, key=lambda d: (-peaks[d]["peak"], d))  # the highest, the earliest day on a tie
    return {"peak_inside": peaks[day]["peak"], "peak_day": day, "peak_at": peaks[day]["at"]}
