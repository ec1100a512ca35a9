"""CSV: one file per table in a zip, UTF-8 with a BOM so that Excel opens Thai text.

Every table file depends only on the data, so two builds over the same data give
the same bytes. When and from what the report was compiled is in about.csv alone.
"""
import csv
import io
import zipfile
from zoneinfo import ZoneInfo

from reports.formats.cells import as_text, csv_value

BOM = "\ufeff"
ABOUT = "about.csv"
# Fixed member times: the zip's table entries do not change with the build time.
MEMBER_TIME = (2000, 1, 1, 0, 0, 0)


def table_csv(table):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([column.key for column in table.columns])
    for number, row in enumerate(table.rows):
        writer.writerow(
            [csv_value(value, table.kind_of(column, number)) for column, value in zip(table.columns, row)]
        )
    return (BOM + out.getvalue()).encode("utf-8")


def about_csv(figures, report_id):
    festival = figures.festival
    zone = ZoneInfo(festival["timezone"])
    rows = [
        ("report_id", report_id),
        ("festival", festival["slug"]),
        ("name_th", festival["name_th"]),
        ("name_en", festival["name_en"]),
        ("city", festival["city"]),
        ("starts_on", festival["starts_on"].isoformat()),
        ("ends_on", festival["ends_on"].isoformat()),
        ("timezone", festival["timezone"]),
        ("compiled_at", figures.compiled_at.astimezone(zone).isoformat(timespec="seconds")),
        ("scans", figures.scans),
        ("tables", " ".join(f"{table.key}.csv" for table in figures.tables)),
        ("definitions", "docs/reports.md"),
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["key", "value"])
    writer.writerows((key, as_text(value)) for key, value in rows)
    return (BOM + out.getvalue()).encode("utf-8")


def _member(name):
    info = zipfile.ZipInfo(name, date_time=MEMBER_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def write_csv_zip(figures, report_id, path):
    with zipfile.ZipFile(path, "w") as archive:
        for table in figures.tables:
            archive.writestr(_member(f"{table.key}.csv"), table_csv(table))
        archive.writestr(_member(ABOUT), about_csv(figures, report_id))
    return path
