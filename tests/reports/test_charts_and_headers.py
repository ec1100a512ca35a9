"""Report charts count whole visits on whole-number axes, in the PDF's pictures and the XLSX's native charts;
narrow table headers in the PDF break between words, never inside one."""
import re
import zipfile

import pytest
from flask_babel import force_locale
from weasyprint import HTML
from weasyprint.formatting_structure import boxes

from reports.compile import compile_figures
from reports.formats import charts
from reports.formats.pdf import render_html
from tests.reports.test_figures import built  # noqa: F401  (a fixture: the seeded report, built in Thai)

WHOLE = re.compile(r"^\d[\d,]*$")


@pytest.mark.parametrize("draw, axis", [
    (lambda: charts.horizontal_bars_figure(["เด็ก", "ผู้ใหญ่"], [("ผู้ถือบัตร", [1, 2], charts.ACCENT),
                                                             ("สมาชิกในกลุ่ม", [0, 1], charts.TEAL)]), "x"),
    (lambda: charts.horizontal_bars_figure(["A1 บูธทอผ้า"], [("การเข้าชม", [1], charts.GOLD)]), "x"),
    (lambda: charts.fill_bars_figure(["ทอผ้า", "ปั้นดิน"], [1, 3], [None, 2], ("เข้าร่วม", "ความจุ")), "x"),
    (lambda: charts.hourly_columns_figure([9, 10, 11], [("22 ส.ค.", [1, 2, 0]), ("23 ส.ค.", [0, 1, 1])]), "y"),
], ids=["stacked bars", "one booth, one visit", "fill bars", "hourly columns"])
def test_chart_value_axes_show_whole_numbers_when_counts_are_tiny(draw, axis):
    labels = charts.value_tick_labels(draw(), axis)
    assert len(labels) >= 2, labels
    assert all(WHOLE.match(text) for text in labels), labels  # no 0.5 of a visit
    assert len(set(labels)) == len(labels), labels  # and no whole number twice (0, 0, 1, 1, ...)


def test_xlsx_charts_count_in_whole_numbers(built):  # noqa: F811
    with zipfile.ZipFile(built["files"]["xlsx"]) as book:
        drawn = {name: book.read(name).decode() for name in book.namelist() if re.match(r"xl/charts/chart\d+\.xml$", name)}
    assert len(drawn) >= 4
    for name, xml in drawn.items():
        axes = re.findall(r"<c:valAx>.*?</c:valAx>", xml, re.S)
        assert len(axes) == 1, name
        assert '<c:numFmt formatCode="#,##0" sourceLinked="0"/>' in axes[0], name
        unit = re.search(r'<c:majorUnit val="([^"]+)"/>', axes[0])
        if unit:
            assert float(unit.group(1)).is_integer(), (name, unit.group(1))
    # The seeded festival's counts are small: its age-group chart steps one person at a time.
    small = [name for name, xml in drawn.items() if '<c:majorUnit val="1"/>' in xml]
    assert len(small) >= 3, small


# Words a Thai or English reader takes as one, which the report's headers hold.
ONE_WORD = ("ผู้เข้าร่วม", "ความจุ", "ที่นั่ง", "รายชื่อสำรอง", "อัตราการเข้าร่วม", "ไม่ได้จอง", "กิจกรรม", "ผู้เยี่ยมชม",
            "สมาชิกครอบครัว", "เจ้าของบัตร", "ผู้เข้างาน", "No-show", "Walk-ins", "Waitlisted")


def _header_lines(app, seed, locale):
    """Each table header of the PDF as WeasyPrint lays it out on the page: the text of each of its lines."""
    with app.app_context(), app.test_request_context(), force_locale(locale):
        figures = compile_figures(seed.festival_id, lambda percent: None, start=0, end=100)
        document = HTML(string=render_html(figures, locale, 1)).render()
    headers = []
    for page in document.pages:
        for box in page._page_box.descendants():
            if isinstance(box, boxes.TableCellBox) and box.element_tag == "th":
                lines = ["".join(t.text for t in line.descendants() if isinstance(t, boxes.TextBox))
                         for line in box.descendants() if isinstance(line, boxes.LineBox)]
                headers.append([line.replace("\u200b", "").strip() for line in lines if line.strip("\u200b ")])
    return headers


@pytest.mark.parametrize("locale", ["th", "en"])
def test_narrow_pdf_table_headers_break_between_words_never_inside_one(app, seed, locale):
    headers = _header_lines(app, seed, locale)
    assert len(headers) >= 40
    assert sum(len(lines) > 1 for lines in headers) >= 5  # narrow columns: headers do wrap
    for lines in headers:
        whole = " ".join(lines)
        for word in ONE_WORD:
            if word in whole.replace(" ", ""):
                assert any(word in line for line in lines), f"{word!r} broken across lines: {lines}"
        if locale == "en":
            words = set(whole.split(" "))
            assert all(set(line.split(" ")) <= words for line in lines), lines
        else:
            assert len(lines) == 1 or all(len(line) >= 3 for line in lines), lines  # no syllable left alone
