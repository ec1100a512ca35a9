"""The rule of imports (docs/architecture.md), read from the source: a package imports only those below it.

app/ is the machinery and names no domain (its factory, which wires the house together, is the
one exception); the domains import one way; workers/ imports domains and no domain imports it.
"""
import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Each package and the packages it may import. A package not named here is not checked.
MAY_IMPORT = {
    "app": set(),
    "events": {"app"},
    "registrations": {"app", "events"},
    "teams": {"app", "events"},
    "checkin": {"app", "events", "registrations", "teams"},
    "feeds": {"app", "events", "registrations"},
    "reports": {"app", "events", "registrations", "checkin"},
    "mail": {"app", "events", "registrations", "feeds"},
    "webhooks": {"app", "events", "registrations", "checkin", "reports"},
    "workers": {"app", "events", "registrations", "teams", "checkin", "feeds", "reports", "mail", "webhooks"},
}
COMPOSITION_ROOT = ROOT / "app" / "factory.py"


def _imports(path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_imports_flow_one_way(package):
    wrong = []
    for path in sorted((ROOT / package).rglob("*.py")):
        if path == COMPOSITION_ROOT:
            continue
        for module in _imports(path):
            top = module.split(".")[0]
            if top in MAY_IMPORT and top != package and top not in MAY_IMPORT[package]:
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert wrong == []


def test_app_finds_no_domain_table_by_name():
    """Domains declare what app/ needs (audited models, city resolvers, personal data, the users' city):
    app/ never names a domain's table."""
    sources = {path: path.read_text(encoding="utf-8") for path in sorted((ROOT / "app").rglob("*.py"))}
    own_tables = {name for text in sources.values() for name in re.findall(r'__tablename__ = "(\w+)"', text)}
    found = [
        f"{path.relative_to(ROOT)}: {table}"
        for path, text in sources.items()
        for table in re.findall(r'metadata\.tables\["(\w+)"\]|ForeignKey\("(\w+)\.', text)
        if (table[0] or table[1]) not in own_tables
    ]
    assert found == []


def test_every_dispatched_job_is_a_thin_job_of_workers():
    """The dispatch enqueues workers/jobs/ functions only, programme imports included: a domain's function
    never becomes a job's dotted path (the jobs fetch by id and call the domain)."""
    from workers.dispatch import TOPICS

    paths = {spec.func for specs in TOPICS.values() for spec in specs}
    assert paths and {path for path in paths if not path.startswith("workers.jobs.")} == set()


def test_the_architecture_page_states_the_same_rule():
    """docs/architecture.md's table of imports is this test's MAY_IMPORT: the page stays true."""
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = page.split("## The rule of imports", 1)[1].split("\n\n")[2]
    stated = {}
    for row in table.splitlines()[2:]:
        package, allowed = [cell.strip() for cell in row.strip("|").split("|")]
        stated[package.strip("`")] = set(re.findall(r"`(\w+)`", allowed)) if package != "`app`" else set()
    assert stated == MAY_IMPORT
