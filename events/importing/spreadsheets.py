"""Reading a programme spreadsheet (CSV or XLSX) the way Thai organisers write one.

Headers may be the machine names (title_th, day, ...) or Thai/English aliases;
days may be ISO dates, day/month/year in either era (22/08/2566 is BE), or Thai
month names; times may be 09:30, 9.30 or 9.30 น.; Thai digits are read too.
Row numbers are the spreadsheet's own: the header is row 1.
"""
import csv
import io
import re
import zipfile
from datetime import date, datetime, time

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from app.errors import Invalid, N_
from events.vocabulary import LABELS

MAX_ROWS = 5000
BE_OFFSET = 543
THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")

# (column, Thai note, English note); the first five are the heart of a row.
COLUMNS = (
    ("title_th", "ชื่อกิจกรรม (ภาษาไทย)", "Title in Thai"),
    ("title_en", "ชื่อกิจกรรม (ภาษาอังกฤษ) ต้องมีอย่างน้อยหนึ่งภาษา", "Title in English (at least one of the two titles)"),
    # The Thai notes offer the Thai words (the import reads them, and the template's lists accept them).
    ("kind", "ประเภท: เวิร์กช็อป, บรรยาย, เสวนา, การแสดง, นิทรรศการ, กิจกรรม", "Kind: workshop, talk, forum, performance, exhibition, activity"),
    ("day", "วันที่ เช่น 22/08/2570 (ปีพุทธศักราช)", "Day, e.g. 2027-08-22 or 22/08/2570 (Buddhist Era)"),
    ("start", "เวลาเริ่ม เช่น 09:30", "Start time, e.g. 09:30"),
    ("end", "เวลาจบ เช่น 11:00", "End time, e.g. 11:00"),
    ("venue", "เวที ห้อง หรือโซน (ชื่อไทยหรืออังกฤษ)", "Stage, room or zone (Thai or English name)"),
    ("venue_kind", "ถ้าเป็นสถานที่ใหม่: เวที, ห้อง หรือ โซน (ระบบจะสร้างให้)", "For a new venue: stage, room or zone (it is created)"),
    ("capacity", "จำนวนที่นั่ง (เว้นว่าง = เข้าร่วมได้ไม่ต้องจอง)", "Seats (empty: open to all, no booking)"),
    ("themes", "ประเด็น คั่นด้วยจุลภาค: การศึกษาที่ทั่วถึง, การเรียนรู้ในครอบครัวและชุมชน, การเรียนรู้เพื่อการทำงาน, เทคโนโลยีการเรียนรู้, การเรียนรู้ที่มีคุณภาพ, วัฒนธรรมการเรียนรู้ตลอดชีวิต", "Themes, comma-separated (UNESCO's six features): inclusive-education, family-community, workplace, learning-technologies, quality-learning, lifelong-culture"),
    ("age_groups", "กลุ่มวัย คั่นด้วยจุลภาค: เด็ก, วัยรุ่น, ผู้ใหญ่, ผู้สูงวัย", "Age groups, comma-separated: child, teen, adult, senior"),
    ("adult_takes_seat", "เวิร์กช็อปสำหรับเด็ก: ผู้ใหญ่ที่มากับเด็กนับเป็นที่นั่งด้วยหรือไม่ ใช่/ไม่ใช่ (เว้นว่าง = ไม่ใช่)", "A children's workshop: does an accompanying adult take a seat? yes or no (empty: no)"),
    ("hosts", "วิทยากร/ผู้ดำเนินกิจกรรม คั่นด้วยจุลภาค", "Hosts or speakers, comma-separated"),
    ("language", "ภาษา: ไทย, อังกฤษ หรือ ไทย-อังกฤษ", "Language: th, en or th-en"),
    ("description_th", "รายละเอียด (ภาษาไทย)", "Description in Thai"),
    ("description_en", "รายละเอียด (ภาษาอังกฤษ)", "Description in English"),
)
COLUMN_NAMES = tuple(name for name, _, _ in COLUMNS)


def column_label(name):
    """A column as a message parameter: its Thai header for a Thai reader, its name (the template's header) in English."""
    aliases = HEADER_ALIASES.get(name, ())
    thai = next((alias for alias in aliases if not alias.isascii()), None)
    return {"th": thai or name, "en": name}
REQUIRED_COLUMNS = ("kind", "day", "start", "end")

HEADER_ALIASES = {
    "title_th": ("ชื่อ", "ชื่อกิจกรรม", "ชื่อภาษาไทย", "ชื่อกิจกรรม (ภาษาไทย)", "ชื่อ (ไทย)", "หัวข้อ", "title (th)", "thai title"),
    "title_en": ("ชื่อภาษาอังกฤษ", "ชื่อกิจกรรม (ภาษาอังกฤษ)", "ชื่อ (อังกฤษ)", "title", "title (en)", "english title"),
    "kind": ("ประเภท", "ประเภทกิจกรรม", "type"),
    "day": ("วันที่", "วัน", "date"),
    "start": ("เริ่ม", "เวลาเริ่ม", "start time", "starts", "from"),
    "end": ("จบ", "เวลาจบ", "สิ้นสุด", "เวลาสิ้นสุด", "end time", "ends", "to", "until"),
    "venue": ("สถานที่", "เวที", "ห้อง", "เวที/ห้อง", "place", "room", "stage"),
    "venue_kind": ("ประเภทสถานที่", "venue type"),
    "capacity": ("ที่นั่ง", "จำนวนที่นั่ง", "จำนวนรับ", "seats"),
    "themes": ("ประเด็น", "theme"),
    "age_groups": ("กลุ่มวัย", "ช่วงวัย", "กลุ่มอายุ", "age group", "ages"),
    "adult_takes_seat": ("ผู้ใหญ่นับที่นั่ง", "ผู้ปกครองนับที่นั่ง", "adult takes a seat", "adult takes seat"),
    "hosts": ("วิทยากร", "ผู้ดำเนินกิจกรรม", "ผู้จัด", "host", "speakers"),
    "language": ("ภาษา", "lang"),
    "description_th": ("รายละเอียด", "รายละเอียด (ภาษาไทย)", "รายละเอียดภาษาไทย", "description"),
    "description_en": ("รายละเอียด (ภาษาอังกฤษ)", "รายละเอียดภาษาอังกฤษ", "english description"),
}

THAI_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("มกราคม", "ม.ค."), ("กุมภาพันธ์", "ก.พ."), ("มีนาคม", "มี.ค."), ("เมษายน", "เม.ย."),
            ("พฤษภาคม", "พ.ค."), ("มิถุนายน", "มิ.ย."), ("กรกฎาคม", "ก.ค."), ("สิงหาคม", "ส.ค."),
            ("กันยายน", "ก.ย."), ("ตุลาคม", "ต.ค."), ("พฤศจิกายน", "พ.ย."), ("ธันวาคม", "ธ.ค."),
        ),
        start=1,
    )
    for name in names
}
EXTRA_WORDS = {
    "เด็ก": "child", "วัยรุ่น": "teen", "เยาวชน": "teen", "ผู้ใหญ่": "adult", "ผู้สูงวัย": "senior", "ผู้สูงอายุ": "senior",
    "ไทย": "th", "อังกฤษ": "en", "ไทย-อังกฤษ": "th-en", "ไทยและอังกฤษ": "th-en", "thai": "th", "english": "en",
    "บรรยายพิเศษ": "talk", "เวิร์คช็อป": "workshop", "ฝึกปฏิบัติ": "workshop", "นำเสนอ": "talk",
}


def _norm(value):
    return re.sub(r"\s+", " ", str(value or "")).strip().strip("*").strip().casefold()


def _header_map():
    mapping = {}
    for name in COLUMN_NAMES:
        mapping[name] = name
        mapping[name.replace("_", " ")] = name
    for name, aliases in HEADER_ALIASES.items():
        for alias in aliases:
            mapping.setdefault(_norm(alias), name)
    return mapping


HEADERS = _header_map()


def column_for(header):
    """The column a header names, or None. 'title_th (ชื่อภาษาไทย)' and 'ชื่อกิจกรรม' both name title_th."""
    text = _norm(header)
    if not text:
        return None
    if text in HEADERS:
        return HEADERS[text]
    head = re.split(r"[(/|:]", text, maxsplit=1)[0].strip()
    return HEADERS.get(head)


YES_WORDS = frozenset({"yes", "y", "true", "1", "ใช่", "นับ", "x", "✓"})
NO_WORDS = frozenset({"", "no", "n", "false", "0", "ไม่", "ไม่ใช่", "ไม่นับ", "-"})


def yes_or_no(value):
    """True or False from a cell in Thai or English; None when it says neither."""
    text = _norm(value)
    if text in YES_WORDS:
        return True
    if text in NO_WORDS:
        return False
    return None


def word_for(value, allowed):
    """A vocabulary word from the word itself or its Thai or English label."""
    text = _norm(value)
    if text in allowed:
        return text
    for word in allowed:
        th, en = LABELS.get(word, (None, None))
        if text in {_norm(th), _norm(en)} or (th and text == _norm(th).split(" (")[0]):
            return word
        if text == _norm(en).split(" (")[0]:
            return word
    word = EXTRA_WORDS.get(text)
    return word if word in allowed else None


def split_list(value):
    if value is None:
        return []
    return [part.strip() for part in re.split(r"[,;\n،、]", str(value)) if part.strip()]


def _be_to_ce(year):
    return year - BE_OFFSET if year > 2400 else year


def parse_day(value):
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.replace(year=_be_to_ce(value.year)) if value.year > 2400 else value
    text = str(value or "").translate(THAI_DIGITS).strip()
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if match:
        year, month, day = (int(part) for part in match.groups())
        return date(_be_to_ce(year), month, day)
    match = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)
    if match:
        day, month, year = (int(part) for part in match.groups())
        return date(_be_to_ce(year), month, day)
    match = re.fullmatch(r"(\d{1,2})\s+(\S+)\s+(?:พ\.ศ\.\s*)?(\d{4})", text)
    if match and match.group(2) in THAI_MONTHS:
        return date(_be_to_ce(int(match.group(3))), THAI_MONTHS[match.group(2)], int(match.group(1)))
    raise ValueError(text)


def parse_clock(value):
    if isinstance(value, datetime):
        return value.time().replace(second=0, microsecond=0)
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1:
        minutes = round(value * 24 * 60)
        return time(minutes // 60, minutes % 60)
    text = str(value or "").translate(THAI_DIGITS).strip()
    text = re.sub(r"\s*(น\.?|นาฬิกา)$", "", text)
    match = re.fullmatch(r"(\d{1,2})[:.](\d{2})(?::\d{2})?", text)
    if not match:
        raise ValueError(text)
    return time(int(match.group(1)), int(match.group(2)))


def parse_count(value):
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value != int(value):
            raise ValueError(value)
        return int(value)
    text = str(value).translate(THAI_DIGITS).strip().replace(",", "")
    if re.fullmatch(r"-?\d{1,9}(\.0+)?", text):
        return int(float(text))
    raise ValueError(text)


# --- files ------------------------------------------------------------------


def read_table(filename, content):
    """[(row number, {column: raw value})] for every non-empty data row, and the ignored headers."""
    if not content:
        raise Invalid("file", N_("The file is empty."), code="empty_file")
    if content[:4] == b"\xd0\xcf\x11\xe0":
        raise Invalid("file", N_("Old .xls files are not read: save as .xlsx or CSV."), code="bad_file")
    if content[:4] == b"PK\x03\x04" or (filename or "").lower().endswith(".xlsx"):
        raw_rows = _xlsx_rows(content)
    else:
        raw_rows = _csv_rows(content)
    header_row = None
    for number, cells in raw_rows:
        if _is_blank(cells) or _is_comment(cells):
            continue
        header_row = (number, cells)
        break
    if header_row is None:
        raise Invalid("file", N_("The file has no header row."), code="missing_columns")
    header_number, header_cells = header_row
    columns, ignored, seen = {}, [], set()
    for index, header in enumerate(header_cells):
        name = column_for(header)
        if name is None:
            if _norm(header):
                ignored.append(str(header))
            continue
        if name in seen:
            raise Invalid("file", N_("Two columns mean %(name)s: keep one."),
                          params={"name": column_label(name)}, code="duplicate_column")
        seen.add(name)
        columns[index] = name
    missing = [name for name in REQUIRED_COLUMNS if name not in seen]
    if "title_th" not in seen and "title_en" not in seen:
        missing.insert(0, "title_th")
    if missing:
        raise Invalid(
            "file", N_("Missing columns: %(names)s. Download the template for the headers."),
            params={"names": [column_label(name) for name in missing]}, code="missing_columns",
            missing=missing,
        )
    rows = []
    for number, cells in raw_rows:
        if number <= header_number or _is_blank(cells) or _is_comment(cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise Invalid("file", N_("At most %(n)s rows in one import."), params={"n": MAX_ROWS}, code="too_many_rows")
        rows.append((number, {name: cells[index] if index < len(cells) else None for index, name in columns.items()}))
    return rows, ignored


def _is_blank(cells):
    return all(cell is None or str(cell).strip() == "" for cell in cells)


def _is_comment(cells):
    first = next((cell for cell in cells if cell is not None and str(cell).strip()), None)
    return isinstance(first, str) and first.strip().startswith("#")


def _csv_rows(content):
    for encoding in ("utf-8-sig", "cp874"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise Invalid("file", N_("Not a CSV in UTF-8 or Thai Windows encoding, nor an XLSX file."), code="bad_file")
    # The header line decides the delimiter: Excel writes ';' in some locales, tabs come from copy-paste.
    header = next((line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")), "")
    delimiter = max(",;\t", key=header.count) if header else ","
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        return [(number, row) for number, row in enumerate(reader, start=1)]
    except csv.Error as error:
        raise Invalid("file", N_("The CSV cannot be read: %(reason)s."), params={"reason": str(error)}, code="bad_file") from None


def _xlsx_rows(content):
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, IndexError):
        raise Invalid("file", N_("The XLSX file cannot be opened."), code="bad_file") from None
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            rows.append((number, list(cells)))
            if number > MAX_ROWS + 1000:
                break
        return rows
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, IndexError, AttributeError):
        raise Invalid("file", N_("The XLSX file cannot be read."), code="bad_file") from None
    finally:
        workbook.close()
