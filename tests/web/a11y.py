"""The accessibility checker: axe-core, run in the page under test.

axe-core's script comes from the ``axe-playwright-python`` package (a dev dependency that
bundles ``axe.min.js``), so nothing is fetched at test time. It is injected through the
DevTools protocol (``page.evaluate``), which the page's CSP does not govern.
"""

from __future__ import annotations

from typing import Any

from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Page

#: WCAG 2.0, 2.1 and 2.2 level A and AA rules (labels, contrast, names, ...).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_violations(page: Page, context: Any = None) -> list[dict[str, Any]]:
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    result = page.evaluate(
        "([context, options]) => window.axe.run(context || document, options)",
        [context, options],
    )
    return list(result["violations"])


def describe_violations(violations: list[dict[str, Any]], page: Page) -> str:
    lines = [f"{len(violations)} accessibility rule(s) broken on {page.url}:"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation.get('impact')}): {violation['help']}"
            f" [{violation['helpUrl']}]"
        )
        for node in violation["nodes"][:8]:
            target = " ".join(str(t) for t in node["target"])
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    {target}: {summary}")
            lines.append(f"      {node['html'][:160]}")
        if len(violation["nodes"]) > 8:
            lines.append(f"    ... and {len(violation['nodes']) - 8} more")
    return "\n".join(lines)
