"""PDF (WeasyPrint): an A4 document in Thai or English, with charts, for a city's award dossier."""
import base64
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from weasyprint import HTML

from events.vocabulary import AGE_GROUPS, label
from reports.formats import charts
from reports.formats.cells import display
from reports.tables import DATE, HOUR, INT, PCT, STAMP, TIME


def _data_uri(png):
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


class Shown:
    """A table as a person reads it: translated headers, formatted cells, numbers aligned right."""

    def __init__(self, table, locale, columns=None, limit=None):
        keys = columns or [c.key for c in table.columns]
        self.title = str(table.title)
        self.key = table.key
        self.columns = [table.columns[table.index(k)] for k in keys]
        self.headers = [str(c.title) for c in self.columns]
        self.header_words = [header_words(h, locale) for h in self.headers]
        self.classes = [_css_class(table, c) for c in self.columns]
        rows = table.rows if limit is None else table.rows[:limit]
        self.rows = [
            [display(table, row[table.index(c.key)], table.kind_of(c, n), locale) for c in self.columns]
            for n, row in enumerate(rows)
        ]
        self.more = len(table.rows) - len(rows)


# Thai writes a phrase without spaces, and Pango would break a narrow header between any two dictionary words,
# inside a compound ("ผู้เข้า/ร่วม", "ความ/จุ"). A header may break only at its spaces and, in Thai, before
# these joining words, where a reader pauses: "อัตราการเข้าร่วม/เทียบความจุ", "ไม่ได้จอง/แต่เข้าร่วม".
THAI_BREAK_BEFORE = ("เทียบ", "เมื่อ", "แต่", "ที่")
# ...but not where the joining word ends a word of its own: "พื้นที่", "สถานที่", "เจ้าหน้าที่".
THAI_WORDS_ENDING_IN_THEM = ("พื้น", "สถาน", "หน้า")
LEADING_VOWELS = "เแโใไ"  # written before the consonant they follow: "เที่ยว" holds no "ที่"


def header_words(text, locale):
    """The header as [(word, gap)]: each word is drawn unbroken; a line may end only at a gap that is a space,
    or (Thai) a zero-width space before a joining word."""
    words = []
    for chunk in text.split(" "):
        parts = [chunk]
        if locale == "th":
            parts = _thai_phrases(chunk)
        words.extend((part, "\u200b") for part in parts[:-1])
        words.append((parts[-1], " "))
    words[-1] = (words[-1][0], "")
    return words


def _thai_phrases(chunk):
    parts, start = [], 0
    for i in range(2, len(chunk)):
        joining = next((w for w in THAI_BREAK_BEFORE if chunk.startswith(w, i)), None)
        if (joining and i - start >= 2 and len(chunk) - i > len(joining)  # "วันที่" ends in one, it is no phrase
                and chunk[i - 1] not in LEADING_VOWELS and not chunk[:i].endswith(THAI_WORDS_ENDING_IN_THEM)):
            parts.append(chunk[start:i])
            start = i
    parts.append(chunk[start:])
    return parts


def _css_class(table, column):
    kind = table.kind_of(column, 0) if table.rows else column.kind
    names = [f"col-{column.key.split('_')[0]}"]
    if kind in (INT, PCT):
        names.append("num")
    if kind in (DATE, STAMP, HOUR, TIME):
        names.append("when")
    return " ".join(names)


def _charts(figures, locale):
    found = {}
    ages = figures.table("signups_by_age_group")
    found["ages"] = charts.horizontal_bars(
        [ages.label(g, locale) for g in ages.values("age_group")],
        [(_("Pass holders"), ages.values("holders"), charts.ACCENT),
         (_("Party members"), ages.values("party_members"), charts.TEAL)],
    )
    arrivals = figures.table("arrivals_by_hour")
    if arrivals.rows:
        hours = sorted(set(arrivals.values("hour")))
        days = []
        for day in sorted(set(arrivals.values("day"))):
            per_hour = {r[1]: r[3] for r in arrivals.rows if r[0] == day}
            days.append((display(arrivals, day, DATE, locale), [per_hour.get(h, 0) for h in hours]))
        found["arrivals"] = charts.hourly_columns(hours, days, ylabel=_("People"))
    sessions = [r for r in figures.table("sessions").dicts() if r["status"] != "cancelled"]
    top = sorted(sessions, key=lambda r: (-r["attended"], r["starts_at"], r["session_id"]))[:10]
    if top:
        found["sessions"] = charts.fill_bars(
            [charts.short(r["title_th"] if locale == "th" else r["title_en"]) for r in top],
            [r["attended"] for r in top],
            [r["capacity"] for r in top],
            (_("Attended (people)"), _("Capacity")),
        )
    booths = [r for r in figures.table("booths").dicts() if r["visits"]][:10]
    if booths:
        found["booths"] = charts.horizontal_bars(
            [charts.short(f"{r['code']} {r['name_th'] if locale == 'th' else r['name_en']}".strip(), 38) for r in booths],
            [(_("Visits"), [r["visits"] for r in booths], charts.GOLD)],
        )
    return {key: _data_uri(png) for key, png in found.items()}


def _age_mix(figures, locale):
    ages = figures.table("signups_by_age_group")
    total = sum(ages.values("people")) or 1
    colours = dict(zip(AGE_GROUPS, (charts.GOLD, charts.TEAL, charts.ACCENT, charts.PLUM)))
    return [
        {"label": label(group, locale), "people": people, "share": people / total, "colour": colours.get(group, charts.INK)}
        for group, people in zip(ages.values("age_group"), ages.values("people"))
    ]


def render_html(figures, locale, report_id):
    festival = figures.festival
    zone = ZoneInfo(festival["timezone"])
    summary = figures.summary
    # The app's Jinja environment (filters, gettext) without the request's context processors: workers have no request.
    return current_app.jinja_env.get_template("reports/pdf/report.html").render(
        locale=locale,
        report_id=report_id,
        festival=festival,
        name=festival["name_th"] if locale == "th" else festival["name_en"],
        other_name=festival["name_en"] if locale == "th" else festival["name_th"],
        city=festival["city_th"] if locale == "th" else festival["city_en"],
        venue=festival["venue_th"] if locale == "th" else festival["venue_en"],
        compiled=figures.compiled_at.astimezone(zone),
        s=summary,
        pct=lambda v: display(figures.table("summary"), v, PCT, locale),
        num=lambda v: display(figures.table("summary"), v, INT, locale),
        day=lambda iso: display(figures.table("summary"), iso, DATE, locale),
        charts=_charts(figures, locale),
        age_mix=_age_mix(figures, locale),
        t={
            "ages": Shown(figures.table("signups_by_age_group"), locale),
            "signup_days": Shown(figures.table("signups_by_day"), locale),
            "visit_days": Shown(figures.table("attendance_by_day"), locale),
            "sessions": Shown(
                figures.table("sessions"),
                locale,
                ["starts_at", "title_th" if locale == "th" else "title_en", "kind", "capacity", "booked", "waitlisted",
                 "attended", "walk_ins", "fill_rate", "no_show_rate"],
            ),
            "kinds": Shown(figures.table("sessions_by_kind"), locale),
            "themes": Shown(figures.table("sessions_by_theme"), locale),
            "booths": Shown(figures.table("booths"), locale,
                            ["rank", "code", "name_th" if locale == "th" else "name_en", "visits", "visitors", "people"],
                            limit=15),
            "booth_ages": Shown(figures.table("booth_visits_by_age_group"), locale,
                                [c.key for c in figures.table("booth_visits_by_age_group").columns
                                 if c.key not in ("code", "name_en" if locale == "th" else "name_th")]),
            "refused": Shown(figures.table("refused_scans"), locale),
            "returning": Shown(figures.table("returning_visitors"), locale,
                               ["name_th" if locale == "th" else "name_en", "city_th" if locale == "th" else "city_en",
                                "starts_on", "visitors"]),
        },
    )


def write_pdf(figures, path, locale, report_id):
    html = render_html(figures, locale, report_id)
    HTML(string=html, base_url=str(path.parent)).write_pdf(str(path))
    return path
