"""axe-core (from npm) inside a Playwright page: WCAG 2.2 AA, zero violations.

One helper for every browser test that walks a page as a person would. The context
must be made with ``bypass_csp=True`` (our CSP refuses an injected script), which is
why ``new_context`` below is the one to use for walks that check accessibility.
"""
from pathlib import Path

import pytest

from tests.conftest import IN_CI

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def new_context(browser, viewport=PHONE, locale="th-TH", timezone_id="Asia/Bangkok", **options):
    """A browser context shaped like a person's: Thai phone by default; axe may run in it."""
    return browser.new_context(
        viewport=viewport,
        locale=locale,
        timezone_id=timezone_id,
        bypass_csp=True,
        is_mobile=viewport["width"] < 600,
        **options,
    )


def _axe_source():
    if not AXE.exists():
        if IN_CI:
            pytest.fail("axe-core is missing under CI: `npm ci` must install it (package.json)")
        pytest.skip("axe-core is not installed (npm ci)")
    return AXE.read_text(encoding="utf-8")


def axe_violations(page, exclude=()):
    """The WCAG 2.2 AA violations axe-core finds on the page as it stands now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=_axe_source())
    return page.evaluate(
        """([tags, exclude]) => axe.run(
               exclude.length ? {exclude: exclude.map(s => [s])} : document,
               {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']}
           ).then(r => r.violations.map(v => ({
               id: v.id, impact: v.impact, help: v.help,
               nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || ''))
           })))""",
        [WCAG_TAGS, list(exclude)],
    )


def assert_accessible(page, state="", exclude=()):
    """Fail with a readable list when axe-core finds any WCAG 2.2 AA violation."""
    violations = axe_violations(page, exclude=exclude)
    assert not violations, f"axe-core on {page.url} {state}:\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in violations
    )
