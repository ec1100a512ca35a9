"""docs/deploy.md's systemd units are real units: `systemd-analyze verify` accepts them."""
import re
import shutil
import subprocess

import pytest

from tests.conftest import IN_CI
from tests.operations.conftest import ROOT

UNIT = re.compile(r"<!-- unit: (?P<name>[\w@.-]+) -->\s*```ini\n(?P<body>.*?)```", re.S)


def units():
    return {m["name"]: m["body"] for m in UNIT.finditer((ROOT / "docs" / "deploy.md").read_text(encoding="utf-8"))}


def test_the_guide_has_a_web_node_and_a_worker_unit():
    found = units()
    assert set(found) == {"thetsakan-web.service", "thetsakan-worker@.service"}
    assert "-c python:app.gunicorn_conf" in found["thetsakan-web.service"]
    assert "KillMode=mixed" in found["thetsakan-worker@.service"]


def test_systemd_accepts_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        if IN_CI:
            pytest.fail("systemd-analyze is missing: .ci/run installs the systemd package")
        pytest.skip("systemd-analyze is not installed")
    paths = []
    for name, body in units().items():
        # The units name the checkout as /srv/thetsakan; here it is this repository.
        path = tmp_path / name.replace("@.", "@1.")
        path.write_text(body.replace("/srv/thetsakan", str(ROOT)))
        paths.append(str(path))
    result = subprocess.run([analyze, "verify", *paths], capture_output=True, text=True, timeout=60)
    problems = [line for line in (result.stdout + result.stderr).splitlines()
                if "thetsakan" in line and "Failed to open" not in line]
    assert result.returncode == 0 and not problems, result.stdout + result.stderr
