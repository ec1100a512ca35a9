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
    "checkin": {"app", "events", "registrations"},
    "feeds": {"app", "events", "registrations"},
    "reports": {"app", "events", "registrations", "checkin"},
    "mail": {"app", "events", "registrations", "feeds"},
    "workers": {"app", "events", "registrations", "checkin", "feeds", "reports", "mail"},
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
