"""Thai first, English second: locale choice, Buddhist Era dates and festival-zone times."""
import os
import tempfile
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import g, request
from flask_babel import get_locale

LOCALES = ("th", "en")
DEFAULT_LOCALE = "th"
LANG_COOKIE = "lang"


def select_locale():
    """?lang= wins (and is remembered), then the cookie, then the browser, then Thai."""
    chosen = request.args.get("lang")
    if chosen in LOCALES:
        g.remember_lang = chosen
        return chosen
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in LOCALES:
        return cookie
    return request.accept_languages.best_match(LOCALES) or DEFAULT_LOCALE


def remember_locale(response):
    chosen = g.get("remember_lang")
    if chosen:
        response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def current_locale():
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LOCALE


DEFAULT_ZONE = "Asia/Bangkok"


def day_of(value, zone=None):
    """The day a person reads for `value`: a stored (UTC) moment is first moved into the festival's or
    city's zone (Bangkok when none is named), so that 00:30 in Bangkok is not yesterday's UTC date."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(ZoneInfo(zone or DEFAULT_ZONE))
        return value.date()
    return value


def long_date(value, locale=None, weekday=False, zone=None):
    """22 สิงหาคม 2566 in Thai (Buddhist Era: Babel prints CE even for th), 22 August 2023 in English."""
    if value is None:
        return ""
    value = day_of(value, zone)
    locale = locale or current_locale()
    if locale == "th":
        pattern = "EEEEที่ d MMMM" if weekday else "d MMMM"
        return f"{format_date(value, pattern, locale='th')} {value.year + 543}"
    pattern = "EEEE d MMMM y" if weekday else "d MMMM y"
    return format_date(value, pattern, locale="en")


def short_date(value, locale=None, zone=None):
    """22 ส.ค. 66 / 22 Aug 2023, for tight spaces on a phone."""
    if value is None:
        return ""
    value = day_of(value, zone)
    locale = locale or current_locale()
    if locale == "th":
        return f"{format_date(value, 'd MMM', locale='th')} {(value.year + 543) % 100:02d}"
    return format_date(value, "d MMM y", locale="en")


def version_date(value, locale=None):
    """A version named by its ISO day ("2026-05-01") as a date the reader reads (Buddhist Era in Thai)."""
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        return value
    return long_date(day, locale)


def be_year(value):
    return value.year + 543


def local(dt, timezone):
    """A stored UTC time shown in the festival's zone."""
    if dt is None:
        return None
    return dt.astimezone(ZoneInfo(timezone or DEFAULT_ZONE))


def clock(dt, timezone, locale=None):
    if dt is None:
        return ""
    return format_time(local(dt, timezone), "HH:mm", locale=locale or current_locale())


def date_range(start, end, locale=None):
    locale = locale or current_locale()
    if start == end:
        return long_date(start, locale)
    if start.year == end.year and start.month == end.month:
        tail = long_date(end, locale)
        return f"{start.day}–{tail}"
    return f"{long_date(start, locale)} – {long_date(end, locale)}"


def pick(obj, field, locale=None):
    """The visitor's language, falling back to the other one rather than showing nothing."""
    locale = locale or current_locale()
    other = "en" if locale == "th" else "th"
    return getattr(obj, f"{field}_{locale}", None) or getattr(obj, f"{field}_{other}", None) or ""


def both(th, en, separator=" · "):
    """A name in both languages for bilingual places (posters, lists), once when there is one."""
    th, en = (th or "").strip(), (en or "").strip()
    if not th or not en or th.casefold() == en.casefold():
        return th or en
    return f"{th}{separator}{en}"


def lang_url(code):
    """This page's address in another language (other query arguments kept)."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [code]
    return request.path + "?" + urlencode(args, doseq=True)


def install_filters(app):
    app.jinja_env.filters.update(
        long_date=long_date,
        short_date=short_date,
        clock=clock,
        date_range=date_range,
        be_year=be_year,
        version_date=version_date,
    )
    app.jinja_env.globals.update(pick=pick, both=both, current_locale=current_locale, lang_url=lang_url, LOCALES=LOCALES)


def translation_directories(app, package_dirs):
    dirs = []
    for base in package_dirs:
        path = Path(base) / "translations"
        if path.is_dir():
            dirs.append(str(path))
    return dirs


def compile_catalogues(directories):
    """Compile each .po whose .mo is missing or older, so a fresh clone shows Thai at once."""
    compiled = []
    for directory in directories:
        for po_path in Path(directory).glob("*/LC_MESSAGES/*.po"):
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file, locale=po_path.parent.parent.name)
            # Written aside and moved into place: gunicorn's workers (or two test runs) start
            # together, and one must never read a catalogue another is halfway through writing.
            with tempfile.NamedTemporaryFile("wb", dir=mo_path.parent, suffix=".mo.tmp", delete=False) as mo_file:
                write_mo(mo_file, catalog)
            os.replace(mo_file.name, mo_path)
            compiled.append(str(mo_path))
    return compiled


def today_in(timezone):
    return datetime.now(ZoneInfo(timezone or DEFAULT_ZONE)).date()

