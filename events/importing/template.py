"""The downloadable programme templates: events/importing/data/programme-template.csv and an XLSX built from the same columns."""
import io
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from events.importing.spreadsheets import COLUMNS
from events.vocabulary import LANGUAGES, SESSION_KINDS, VENUE_KINDS

CSV_TEMPLATE = Path(__file__).resolve().parent / "data" / "programme-template.csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def template_csv():
    """Header in row 1, then notes in Thai and English on rows starting with '#', which the import skips."""
    return CSV_TEMPLATE.read_bytes()


def template_xlsx():
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "programme"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="FFF2CC")
    for index, (name, th, en) in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index, value=name)
        cell.font, cell.fill = bold, fill
        cell.comment = Comment(f"{th}\n{en}", "Thetsakan", width=320, height=120)
        sheet.column_dimensions[cell.column_letter].width = 14 if name in ("day", "start", "end", "capacity") else 24
    sheet.freeze_panes = "A2"
    letters = {name: sheet.cell(row=1, column=index).column_letter for index, (name, _, _) in enumerate(COLUMNS, start=1)}
    for column, words in (("kind", SESSION_KINDS), ("language", LANGUAGES), ("venue_kind", VENUE_KINDS)):
        validation = DataValidation(type="list", formula1='"' + ",".join(words) + '"', allow_blank=True)
        validation.add(f"{letters[column]}2:{letters[column]}2000")
        sheet.add_data_validation(validation)
    for column in ("day", "start", "end"):
        # Text cells: Excel would otherwise turn 22/08/2566 into a number of days.
        for row in range(2, 502):
            sheet[f"{letters[column]}{row}"].number_format = "@"

    notes = workbook.create_sheet("อ่านก่อน · Read me")
    notes.append(["คอลัมน์ · column", "คำอธิบาย", "What to write"])
    for cell in notes[1]:
        cell.font = bold
    for name, th, en in COLUMNS:
        notes.append([name, th, en])
    notes.append([])
    notes.append(["", "แถวที่ 1 คือหัวตาราง กรอกกิจกรรมละหนึ่งแถวตั้งแต่แถวที่ 2", "Row 1 is the header; one session per row from row 2."])
    notes.append(["", "ลองตรวจสอบก่อนด้วย dry run ระบบจะแจ้งทุกแถวที่มีปัญหา", "Try a dry run first: it lists every row with a problem."])
    for column, width in (("A", 18), ("B", 70), ("C", 60)):
        notes.column_dimensions[column].width = width
    for row in notes.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
