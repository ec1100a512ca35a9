"""The reports API: who may ask and download, what a request may say, and what a report answers."""
import pytest

from app.outbox import messages
from reports.build import build_report
from tests.conftest import bearer


def _post(client, slug, token, body=None):
    return client.post(f"/api/v1/festivals/{slug}/reports", json={} if body is None else body,
                       headers=bearer(token) if token else {})


@pytest.mark.parametrize("who", ["organiser", "city_team", "admin"])
def test_organisers_city_team_and_admins_ask_for_a_report(app, client, seed, people, who):
    _user, token = getattr(people, who)
    answer = _post(client, seed.slug, token)
    assert answer.status_code == 202
    body = answer.get_json()
    assert body["status"] == "queued" and body["progress"] == 0 and body["files"] == {}
    assert body["formats"] == ["csv", "xlsx", "pdf"] and body["locale"] == "th" and body["festival"] == seed.slug
    assert body["created_at"].endswith("+07:00")
    with app.app_context():
        assert [m.payload for m in messages("report.requested")] == [{"report_id": body["id"]}]


def test_formats_and_locale_are_chosen_and_checked(client, seed, people):
    token = people.organiser[1]
    chosen = _post(client, seed.slug, token, {"formats": ["pdf", "csv"], "locale": "en"})
    assert chosen.status_code == 202
    assert chosen.get_json()["formats"] == ["csv", "pdf"] and chosen.get_json()["locale"] == "en"
    for body, field in (
        ({"formats": ["docx"]}, "formats"),
        ({"formats": []}, "formats"),
        ({"formats": "pdf"}, "formats"),
        ({"locale": "fr"}, "locale"),
        ({"colour": "red"}, "colour"),
    ):
        refused = _post(client, seed.slug, token, body)
        assert refused.status_code == 422, body
        assert refused.get_json()["code"] == "validation_error" and field in refused.get_json()["errors"]
    no_body = client.post(f"/api/v1/festivals/{seed.slug}/reports", headers=bearer(token))
    assert no_body.status_code == 202 and no_body.get_json()["formats"] == ["csv", "xlsx", "pdf"]
    not_json = client.post(f"/api/v1/festivals/{seed.slug}/reports", data="{", headers={**bearer(token), "Content-Type": "application/json"})
    assert not_json.status_code == 400
    unknown = _post(client, "no-such-festival", token)
    assert unknown.status_code == 404 and unknown.get_json()["code"] == "not_found"


def test_every_other_city_is_refused_and_anonymous_callers_are_asked_to_sign_in(app, client, seed, people):
    allowed = _post(client, seed.slug, people.organiser[1]).get_json()["id"]
    with app.app_context():
        build_report(allowed)
    urls = [f"/api/v1/reports/{allowed}", f"/api/v1/reports/{allowed}/files/pdf",
            f"/api/v1/festivals/{seed.slug}/reports"]
    for who in ("other_organiser", "other_city_team", "other_staff"):
        token = getattr(people, who)[1]
        refused = _post(client, seed.slug, token)
        assert refused.status_code == 403, who
        assert refused.get_json()["code"] in ("forbidden", "forbidden_role")
        for url in urls:
            answer = client.get(url, headers=bearer(token))
            assert answer.status_code == 403, (who, url)
    # Staff of the festival's own city scan; they do not read reports.
    assert _post(client, seed.slug, people.staff[1]).status_code == 403
    for url in urls:
        anonymous = client.get(url)
        assert anonymous.status_code == 401 and anonymous.get_json()["code"] == "unauthorized"
    assert _post(client, seed.slug, None).status_code == 401
    assert client.get(urls[0], headers=bearer("tsk_forged")).status_code == 401
    with app.app_context():
        assert len(messages("report.requested")) == 1  # nothing refused left a request behind


def test_a_finished_report_links_its_files_and_serves_them(app, client, seed, people):
    token = people.city_team[1]
    report_id = _post(client, seed.slug, token, {"formats": ["csv", "pdf"]}).get_json()["id"]
    pending = client.get(f"/api/v1/reports/{report_id}", headers=bearer(token)).get_json()
    assert pending["status"] == "queued" and pending["files"] == {}
    assert client.get(f"/api/v1/reports/{report_id}/files/pdf", headers=bearer(token)).status_code == 404
    with app.app_context():
        build_report(report_id)
    done = client.get(f"/api/v1/reports/{report_id}", headers=bearer(token)).get_json()
    assert done["status"] == "finished" and done["progress"] == 100 and done["scans"] == len(seed.scans)
    assert set(done["files"]) == {"csv", "pdf"}
    assert done["files"]["pdf"].endswith(f"/api/v1/reports/{report_id}/files/pdf")
    assert done["summary"]["passes"] == 11 and done["compiled_at"].endswith("+07:00")
    pdf = client.get(f"/api/v1/reports/{report_id}/files/pdf", headers=bearer(token))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert "attachment" in pdf.headers["Content-Disposition"]
    archive = client.get(f"/api/v1/reports/{report_id}/files/csv", headers=bearer(token))
    assert archive.mimetype == "application/zip" and archive.data.startswith(b"PK")
    assert client.get(f"/api/v1/reports/{report_id}/files/xlsx", headers=bearer(token)).status_code == 404
    listed = client.get(f"/api/v1/festivals/{seed.slug}/reports", headers=bearer(token)).get_json()
    assert [r["id"] for r in listed] == [report_id]


def test_unknown_and_absurd_report_ids_are_404(client, seed, people):
    token = people.admin[1]
    for report_id in (999, 2**40, 10**30):
        answer = client.get(f"/api/v1/reports/{report_id}", headers=bearer(token))
        assert answer.status_code == 404 and answer.get_json()["code"] == "not_found"


def test_the_network_summary_is_for_admins(client, seed, people):
    summary = client.get("/api/v1/network/summary", headers=bearer(people.admin[1]))
    assert summary.status_code == 200
    body = summary.get_json()
    festival = next(f for f in body["festivals"] if f["slug"] == seed.slug)
    assert festival["passes"] == 11 and festival["people"] == 20
    assert festival["visitors"] == 8 and festival["visitor_people"] == 16 and festival["sessions_held"] == 4
    assert festival["age_groups"] == {"child": 6, "teen": 3, "adult": 8, "senior": 3}
    cities = {c["slug"]: c for c in body["cities"]}
    assert set(cities) == {"bangkok", "chiang-mai", "phuket"}
    assert cities["chiang-mai"]["festivals"] == 2 and cities["phuket"]["festivals"] == 0
    assert body["network"]["festivals"] == 4
    assert body["network"]["passes"] == sum(c["passes"] for c in body["cities"])
    for who in ("organiser", "city_team", "staff"):
        assert client.get("/api/v1/network/summary", headers=bearer(getattr(people, who)[1])).status_code == 403
    assert client.get("/api/v1/network/summary").status_code == 401


def test_the_openapi_document_describes_the_report_calls(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "202" in spec["paths"]["/api/v1/festivals/{slug}/reports"]["post"]["responses"]
    assert "/api/v1/reports/{report_id}" in spec["paths"]
    assert "/api/v1/network/summary" in spec["paths"]
