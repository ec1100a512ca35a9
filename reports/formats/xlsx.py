"""XLSX (XlsxWriter): one sheet per table, headers in the report's language, number formats,
frozen header rows, column widths and native charts."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import xlsxwriter
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.i18n import date_range, long_date
from reports.tables import DATE, HOUR, INT, PCT, STAMP, TIME, WORD, WORDS

SHEETS = {
    "summary": _l("Summary"),
    "signups_by_age_group": _l("Sign-ups by age"),
    "signups_by_day": _l("Sign-ups by day"),
    "attendance_by_day": _l("Visitors by day"),
    "arrivals_by_hour": _l("Arrivals by hour"),
    "sessions": _l("Sessions"),
    "sessions_by_kind": _l("Sessions by kind"),
    "sessions_by_theme": _l("Sessions by theme"),
    "booths": _l("Booths"),
    "booth_visits_by_age_group": _l("Booths by age"),
    "refused_scans": _l("Refused scans"),
    "returning_visitors": _l("Returning visitors"),
}
WIDTHS = {INT: 12, PCT: 11, DATE: 12, HOUR: 8, TIME: 9, STAMP: 17, WORD: 22}
INK, ACCENT, TEAL, GOLD, PLUM = "#1D2330", "#B5531F", "#2F6F73", "#D9A441", "#7A4E9A"
SERIES_COLOURS = (ACCENT, TEAL, GOLD, PLUM, INK)
FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


class Styles:
    def __init__(self, book):
        font = {"font_name": "Tahoma", "font_size": 11}
        self.header = book.add_format({**font, "bold": True, "font_color": "#FFFFFF", "bg_color": INK,
                                       "text_wrap": True, "valign": "top", "border": 1, "border_color": "#3A4150"})
        # quote_prefix: Excel keeps these cells as text even when someone edits one (no formula ever runs).
        self.text = book.add_format({**font, "valign": "top", "quote_prefix": True})
        self.wrap = book.add_format({**font, "valign": "top", "text_wrap": True, "quote_prefix": True})
        self.int = book.add_format({**font, "num_format": "#,##0", "valign": "top"})
        self.pct = book.add_format({**font, "num_format": "0.0%", "valign": "top"})
        self.date = book.add_format({**font, "num_format": "yyyy-mm-dd", "align": "left", "valign": "top"})
        self.stamp = book.add_format({**font, "num_format": "yyyy-mm-dd hh:mm", "align": "left", "valign": "top"})
        self.hour = book.add_format({**font, "num_format": '00":00"', "align": "left", "valign": "top"})
        self.title = book.add_format({"font_name": "Tahoma", "font_size": 16, "bold": True, "font_color": INK})
        self.muted = book.add_format({**font, "font_color": "#5B6475"})

    def for_kind(self, kind):
        return {INT: self.int, PCT: self.pct, DATE: self.date, HOUR: self.hour, STAMP: self.stamp}.get(kind, self.text)


def _sheet_name(table, used):
    name = str(SHEETS.get(table.key, table.title)).translate(FORBIDDEN)[:31].strip()
    base, n = name, 2
    while name.lower() in used:
        name = f"{base[:28]} {n}"
        n += 1
    used.add(name.lower())
    return name


def _write_cell(sheet, row, col, value, kind, table, locale, styles):
    if value is None or value == "":
        sheet.write_blank(row, col, None, styles.for_kind(kind))
    elif kind == WORD:
        sheet.write_string(row, col, table.label(value, locale), styles.text)
    elif kind == WORDS:
        sheet.write_string(row, col, table.labels_of(value, locale), styles.wrap)
    elif kind in (INT, PCT, HOUR):
        sheet.write_number(row, col, value, styles.for_kind(kind))
    elif kind == DATE:
        sheet.write_datetime(row, col, date.fromisoformat(value), styles.date)
    elif kind == STAMP:
        sheet.write_datetime(row, col, datetime.strptime(value, "%Y-%m-%d %H:%M"), styles.stamp)
    else:
        sheet.write_string(row, col, str(value), styles.wrap if len(str(value)) > 40 else styles.text)


def _write_table(sheet, table, first_row, locale, styles):
    """The table with its header at first_row; returns the row after the last."""
    for col, column in enumerate(table.columns):
        sheet.write_string(first_row, col, str(column.title), styles.header)
        sheet.set_column(col, col, column.width or WIDTHS.get(column.kind, 14))
    for number, row in enumerate(table.rows):
        for col, (column, value) in enumerate(zip(table.columns, row)):
            _write_cell(sheet, first_row + 1 + number, col, value, table.kind_of(column, number), table, locale, styles)
    sheet.set_row(first_row, 36)
    sheet.freeze_panes(first_row + 1, 0)
    if table.rows:
        sheet.autofilter(first_row, 0, first_row + len(table.rows), len(table.columns) - 1)
    return first_row + 1 + len(table.rows)


def _summary_head(sheet, figures, locale, styles):
    festival = figures.festival
    zone = ZoneInfo(festival["timezone"])
    compiled = figures.compiled_at.astimezone(zone)
    city = festival["city_th"] if locale == "th" else festival["city_en"]
    sheet.write_string(0, 0, festival["name_th"] if locale == "th" else festival["name_en"], styles.title)
    sheet.write_string(1, 0, f"{city} · {date_range(festival['starts_on'], festival['ends_on'], locale)}", styles.muted)
    sheet.write_string(
        2,
        0,
        _("Compiled on %(date)s at %(time)s from %(scans)s scans.", date=long_date(compiled, locale),
          time=compiled.strftime("%H:%M"), scans=f"{figures.scans:,}"),
        styles.muted,
    )
    return 4


def _chart(book, kind, title, subtype=None):
    chart = book.add_chart({"type": kind, **({"subtype": subtype} if subtype else {})})
    chart.set_title({"name": str(title), "name_font": {"size": 12, "bold": True}})
    chart.set_legend({"position": "bottom"})
    chart.set_chartarea({"border": {"none": True}})
    return chart


def _series(name, sheet, col, first, last, categories, colour):
    return {
        "name": str(name),
        "categories": [sheet, first, categories, last, categories],
        "values": [sheet, first, col, last, col],
        "fill": {"color": colour},
        "border": {"none": True},
        "gap": 60,
    }


def _value_axis(largest):
    """A value axis of people or visits: whole numbers, one by one while the counts are small (Excel would
    otherwise step by 0.5 up to 2 or 3 and print 0.5 visits)."""
    axis = {"num_format": "#,##0", "min": 0}
    if largest <= 10:
        axis["major_unit"] = 1
    return axis


def _largest(table, columns, first=0, last=None):
    rows = table.rows[first:last]
    return max([0] + [sum(row[c] or 0 for c in columns) for row in rows])


def _charts(book, sheet, name, table, first_row, locale):
    """Native charts beside the tables where a picture says it faster."""
    n = len(table.rows)
    if n == 0:
        return
    first, last = first_row + 1, first_row + n
    anchor = (first_row + 1, len(table.columns) + 1)
    if table.key == "signups_by_age_group":
        chart = _chart(book, "bar", _("People signed up by age group"), "stacked")
        chart.add_series(_series(table.columns[1].title, name, 1, first, last, 0, ACCENT))
        chart.add_series(_series(table.columns[2].title, name, 2, first, last, 0, TEAL))
        chart.set_x_axis(_value_axis(_largest(table, (1, 2))))
    elif table.key == "arrivals_by_hour":
        chart = _chart(book, "column", _("People arriving at the gates, by hour"))
        days = []
        for number, row in enumerate(table.rows):
            if not days or days[-1][0] != row[0]:
                days.append([row[0], first + number, first + number])
            days[-1][2] = first + number
        for i, (day, start, end) in enumerate(days):
            series = _series(day, name, 3, start, end, 1, SERIES_COLOURS[i % len(SERIES_COLOURS)])
            series["categories"] = [name, days[0][1], 1, days[0][2], 1]
            chart.add_series(series)
        chart.set_x_axis({"name": str(table.columns[1].title)})
        chart.set_y_axis(_value_axis(_largest(table, (3,))))
    elif table.key == "sessions":
        last = min(last, first + 24)
        chart = _chart(book, "bar", _("Attendance and capacity by session"))
        title_col = table.index("title_th" if locale == "th" else "title_en")
        chart.add_series(_series(table.columns[table.index("attended")].title, name, table.index("attended"),
                                 first, last, title_col, ACCENT))
        chart.add_series(_series(table.columns[table.index("capacity")].title, name, table.index("capacity"),
                                 first, last, title_col, "#C9CED8"))
        chart.set_y_axis({"reverse": True})
        chart.set_x_axis(_value_axis(max(_largest(table, (table.index("attended"),), 0, 25),
                                         _largest(table, (table.index("capacity"),), 0, 25))))
        chart.set_size({"width": 720, "height": 60 + 28 * (last - first + 1)})
    elif table.key == "sessions_by_theme":
        chart = _chart(book, "bar", _("Attendance by theme"))
        chart.add_series(_series(table.columns[5].title, name, 5, first, last, 0, TEAL))
        chart.set_y_axis({"reverse": True})
        chart.set_x_axis(_value_axis(_largest(table, (5,))))
    elif table.key == "booths":
        last = min(last, first + 9)
        chart = _chart(book, "bar", _("The busiest booths"))
        chart.add_series(_series(table.columns[5].title, name, 5, first, last, 1, GOLD))
        chart.add_series(_series(table.columns[6].title, name, 6, first, last, 1, PLUM))
        chart.set_y_axis({"reverse": True})
        chart.set_x_axis(_value_axis(max(_largest(table, (5,), 0, 10), _largest(table, (6,), 0, 10))))
    else:
        return
    sheet.insert_chart(*anchor, chart, {"x_offset": 10, "y_offset": 4})


def write_xlsx(figures, path, locale):
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                            "strings_to_urls": False})
    festival = figures.festival
    book.set_properties({
        "title": festival["name_th"] if locale == "th" else festival["name_en"],
        "subject": _("Attendance report"),
        "author": "Thetsakan",
        "created": figures.compiled_at.replace(tzinfo=None),
    })
    styles = Styles(book)
    used = set()
    for table in figures.tables:
        name = _sheet_name(table, used)
        sheet = book.add_worksheet(name)
        sheet.hide_gridlines(2)
        first_row = _summary_head(sheet, figures, locale, styles) if table.key == "summary" else 0
        _write_table(sheet, table, first_row, locale, styles)
        _charts(book, sheet, name, table, first_row, locale)
    book.close()
    return path
