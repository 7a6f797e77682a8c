"""axe-core (node_modules/axe-core, from the npm registry) run in the page by the test itself.

The portal's CSP allows only its own scripts, so the library is not added as a <script>: it is
evaluated through the DevTools protocol, which a page's CSP does not govern.
"""

from urllib.parse import urlsplit

from tests.support import BASE_DIR

AXE = (BASE_DIR / "node_modules" / "axe-core" / "axe.min.js").read_text()
FAILING_IMPACTS = {"serious", "critical"}
# WCAG 2.2 AA, as the GOV.UK Service Standard asks, plus axe's best practices.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def _known_govuk_frontend_issue(rule: str, node: dict) -> bool:
    """GOV.UK Frontend sets aria-expanded on a radio or checkbox that reveals a question. ARIA does
    not list it for those roles, so axe calls it critical; the Design System keeps it on purpose,
    because screen readers announce it (alphagov/govuk-frontend#979, a documented known issue)."""
    return (
        rule == "aria-allowed-attr"
        and ("govuk-radios__input" in node["html"] or "govuk-checkboxes__input" in node["html"])
        and "aria-expanded" in node.get("failureSummary", "")
        and all(
            "aria-expanded" in check.get("message", "") for check in node.get("all", []) + node.get("any", [])
        )
    )


class AccessibilityLog:
    """Every page the journey checked, and every serious or critical violation on them."""

    def __init__(self):
        self.pages: list[str] = []
        self.violations: list[str] = []

    def check(self, page) -> None:
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.evaluate(AXE)
        result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
        path = urlsplit(page.url).path
        self.pages.append(path)
        for violation in result["violations"]:
            nodes = [n for n in violation["nodes"] if not _known_govuk_frontend_issue(violation["id"], n)]
            if violation["impact"] in FAILING_IMPACTS and nodes:
                targets = ", ".join(" ".join(node["target"]) for node in nodes[:5])
                self.violations.append(
                    f"{path}: [{violation['impact']}] {violation['id']}: {violation['help']} "
                    f"({violation['helpUrl']})\n    at {targets}"
                )

    def assert_clean(self) -> None:
        assert not self.violations, (
            f"{len(self.violations)} serious or critical accessibility violations:\n"
            + "\n".join(dict.fromkeys(self.violations))
        )
