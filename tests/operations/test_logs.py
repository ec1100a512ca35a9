"""One JSON line per request and per job; the request's id follows it into the jobs it causes; no personal data."""
import subprocess
import sys

import httpx

from app.logs import scrub
from tests.operations.conftest import ROOT, json_lines, node_env


def test_a_sign_up_and_its_jobs_log_one_line_each_with_one_request_id_and_no_personal_data(
    web_node, festival, smtp, tmp_path, database_url, redis_url
):
    email, name, phone = "somsri.jaidee@example.org", "สมศรี ใจดีมาก", "0812345678"
    answer = httpx.post(
        f"{web_node.url}/api/v1/festivals/{festival.slug}/passes",
        json={"name": name, "email": email, "phone": phone, "age_group": "adult", "consent": True, "locale": "th"},
        headers={"X-Request-Id": "req-4f1c2b9a7d"},
    )
    assert answer.status_code == 201, answer.text
    assert answer.headers["X-Request-Id"] == "req-4f1c2b9a7d"
    secrets = [email, name, phone, *(str(v) for k, v in answer.json().items() if "token" in k or "code" in k or "url" in k)]
    # The pass page behind its secret token: its request line must not carry the token.
    token = answer.json().get("manage_token") or answer.json()["manage_url"].rsplit("/", 1)[-1]
    assert httpx.get(f"{web_node.url}/passes/{token}").status_code == 200

    worker_log = tmp_path / "worker.log"
    env = node_env(database_url, redis_url, tmp_path / "instance", SMTP_HOST=smtp.host, SMTP_PORT=smtp.port)
    with open(worker_log, "wb") as out:
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"], cwd=ROOT, env=env,
                       stdout=out, stderr=out, timeout=120, check=True)
    assert len(smtp.messages) == 1

    web = json_lines(web_node.log_path)
    requests = [line for line in web if line.get("event") == "request" and line["request_id"] == "req-4f1c2b9a7d"]
    assert len(requests) == 1
    assert requests[0]["route"] == "/api/v1/festivals/<slug>/passes" and requests[0]["status"] == 201
    page = [line for line in web if line.get("event") == "request" and line["endpoint"] == "registrations.pass_page"]
    assert page and page[-1]["route"] == "/passes/<token>"
    assert all(len(line["request_id"]) >= 8 for line in web if line.get("event") == "request")

    jobs = [line for line in json_lines(worker_log) if line.get("event") == "job"]
    caused = {line["job"] for line in jobs if line["request_id"] == "req-4f1c2b9a7d"}
    # (No partner's endpoint listens here, so pass.created records no webhook delivery job.)
    assert caused == {"workers.dispatch.handle_message", "workers.jobs.mail.send_pass_confirmation"}
    assert all(line["outcome"] == "finished" for line in jobs)

    everything = web_node.log_path.read_text(encoding="utf-8") + worker_log.read_text(encoding="utf-8")
    for secret in secrets + [token]:
        assert secret not in everything, secret


def test_the_net_under_every_line_masks_addresses_and_secrets():
    line = scrub("550 <somsri@example.org> refused; token vQ3kz9Xc_Jd8sLp2Rk7TnW4yBf6Hm1Ae, job m12-send_pass_confirmation")
    assert "somsri@example.org" not in line and "vQ3kz9Xc_Jd8sLp2Rk7TnW4yBf6Hm1Ae" not in line
    assert "m12-send_pass_confirmation" in line
