"""SQL that differs between PostgreSQL and SQLite: local days and hours in a festival's zone, JSON arrays.

PostgreSQL converts with `AT TIME ZONE`. SQLite has no time zones, so two small
deterministic functions are registered on its connection (prepare()); SQLite still
does the grouping and counting, only the conversion of each value runs in Python.
"""
from datetime import datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class local_day(FunctionElement):
    """local_day(utc_timestamp, zone) -> the date in that zone (a DATE: cheap to sort and group)."""

    type = sa.Date()
    inherit_cache = True


class local_hour(FunctionElement):
    """local_hour(utc_timestamp, zone) -> 0..23 in that zone."""

    type = sa.Integer()
    inherit_cache = True


@compiles(local_day, "postgresql")
def _pg_local_day(element, compiler, **kw):
    stamp, zone = list(element.clauses)
    return f"CAST(({compiler.process(stamp, **kw)} AT TIME ZONE {compiler.process(zone, **kw)}) AS DATE)"


@compiles(local_hour, "postgresql")
def _pg_local_hour(element, compiler, **kw):
    stamp, zone = list(element.clauses)
    return f"CAST(EXTRACT(HOUR FROM ({compiler.process(stamp, **kw)} AT TIME ZONE {compiler.process(zone, **kw)})) AS INTEGER)"


@compiles(local_day, "sqlite")
def _sqlite_local_day(element, compiler, **kw):
    return f"tsk_local_day({compiler.process(element.clauses, **kw)})"


@compiles(local_hour, "sqlite")
def _sqlite_local_hour(element, compiler, **kw):
    return f"tsk_local_hour({compiler.process(element.clauses, **kw)})"


@lru_cache(maxsize=32)
def _zone(name):
    return ZoneInfo(name)


def _local(value, zone):
    if value is None:
        return None
    # SQLAlchemy keeps UTC times on SQLite as naive ISO text ("2027-08-22 03:00:00.000000").
    stamp = datetime.fromisoformat(value).replace(tzinfo=timezone.utc)
    return stamp.astimezone(_zone(zone))


def _day(value, zone):
    moment = _local(value, zone)
    return moment.date().isoformat() if moment else None


def _hour(value, zone):
    moment = _local(value, zone)
    return moment.hour if moment else None


# For the report's transaction only (SET LOCAL), on PostgreSQL: the report runs a
# dozen grouped queries once, where JIT compilation cost more than it saved (about
# 1.5 s of a 2 s query at a million scans), and its sorts fit in memory this way.
POSTGRES_SETTINGS = {"jit": "off", "work_mem": "64MB"}


def prepare(conn):
    """Ready a connection inside its transaction: settings on PostgreSQL, the functions above on SQLite."""
    if conn.dialect.name == "postgresql":
        for name, value in POSTGRES_SETTINGS.items():
            conn.exec_driver_sql(f"SET LOCAL {name} = '{value}'")
        return
    if conn.dialect.name != "sqlite":
        return
    raw = conn.connection.driver_connection
    raw.create_function("tsk_local_day", 2, _day, deterministic=True)
    raw.create_function("tsk_local_hour", 2, _hour, deterministic=True)


def json_elements(conn, column, name="value"):
    """The elements of a JSON array column as a table with one text column, to join against."""
    if conn.dialect.name == "postgresql":
        return sa.func.json_array_elements_text(column).table_valued(name).render_derived(with_types=False)
    return sa.func.json_each(column).table_valued(name)


def snapshot(conn):
    """Read everything that follows in one consistent snapshot: REPEATABLE READ, read only, on PostgreSQL.

    Call on a fresh connection before its first statement. SQLite (the development
    default) reads without a snapshot: its driver opens no transaction for reads.
    """
    if conn.dialect.name == "postgresql":
        conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    return conn
