"""Programme spreadsheets built in memory for the import tests (events) and the broken-upload tests (hostile)."""
import csv
import io

from openpyxl import Workbook


def csv_bytes(rows, header, encoding="utf-8"):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows, header):
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
