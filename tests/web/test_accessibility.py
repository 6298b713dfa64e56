"""Every view, signed in, at phone and desktop width: axe-core finds no WCAG 2 A/AA
violation, the page does not scroll sideways, and the keyboard reaches the skip link,
the navigation and the view's controls in layout order, each with a visible focus."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, Route, expect
from tests.support.server import ROOT
from tests.web.a11y import axe_violations, describe_violations
from tests.web.conftest import width_of
from tests.web.keyboard import order_problems, tab_through
from tests.web.server import PictorServer

VIEWS_JS = ROOT / "src/pictor/web/static/js/views/index.js"
#: (id, title) of each view, in navigation order, as the page lists them.
VIEWS = re.findall(
    r"\{ id: '([a-z-]+)', title: '([^']+)'",
    VIEWS_JS.read_text().split("export const VIEWS = [")[1].split("];")[0],
)


def test_the_view_list_is_read() -> None:
    assert len(VIEWS) >= 9, VIEWS
    assert ("credits", "Credits") in VIEWS


def layout_problems(page: Page) -> list[str]:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if overflow > 0:
        return [f"the page scrolls sideways by {overflow}px at this width"]
    return []


def audit(page: Page, nav_links: list[str]) -> list[str]:
    """Every problem found on the page as it is now (axe, layout, keyboard)."""
    problems = []
    violations = axe_violations(page)
    if violations:
        problems.append(describe_violations(violations, page))
    problems += layout_problems(page)
    page.reload()  # the Tab walk starts from the top, as for a visitor arriving here
    expect(page.locator("main h1")).to_be_visible()
    page.wait_for_load_state("networkidle")
    problems += order_problems(tab_through(page), nav_links)
    return problems


@pytest.mark.parametrize("view", [v[0] for v in VIEWS])
def test_the_view_is_accessible(
    view: str, page_at: Page, pictor_server: PictorServer, signed_in: Callable[..., object]
) -> None:
    page = page_at
    signed_in(page, pictor_server)
    page.goto(f"{pictor_server.url}/#/{view}")
    expect(page.locator(f"main .view-{view} h1")).to_be_visible()
    page.wait_for_load_state("networkidle")
    # A view that could not load shows its title and the error: that is not a view.
    expect(page.locator("main").get_by_role("alert")).to_have_count(0)
    problems = audit(page, [title for _, title in VIEWS])
    if problems:
        pytest.fail(f"#/{view} at {width_of(page)}:\n" + "\n".join(problems), pytrace=False)


def test_the_sign_in_view_is_accessible(page_at: Page, pictor_server: PictorServer) -> None:
    page = page_at
    page.goto(pictor_server.url + "/")
    expect(page.get_by_role("form", name="Sign in")).to_be_visible()
    problems = audit(page, [])
    if problems:
        pytest.fail(f"sign-in at {width_of(page)}:\n" + "\n".join(problems), pytrace=False)


def test_focus_moves_to_the_view_after_navigation(
    page_at: Page, pictor_server: PictorServer, signed_in: Callable[..., object]
) -> None:
    """A link of the navigation takes focus to the new view (announced, and Tab goes on
    from there), while the first load leaves it at the top of the page."""
    page = page_at
    signed_in(page, pictor_server)
    page.get_by_role("navigation", name="Tools").get_by_role("link", name="Credits").focus()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    expect(page.get_by_role("heading", name="Credits", level=1)).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.locator("main :focus")).to_have_count(1)


def test_a_view_finishing_its_load_leaves_a_focused_link_alone(
    page_at: Page, pictor_server: PictorServer, signed_in: Callable[..., object]
) -> None:
    """A link focused while the first view is still loading keeps the focus when that view
    arrives, so Enter still follows it (CI once saw the loaded view take the focus between
    the link's focus and the key press)."""
    page = page_at
    held: list[Route] = []
    page.route("**/js/views/remove-background.js", lambda route: held.append(route))
    with page.expect_request(lambda r: r.url.endswith("/js/views/remove-background.js")):
        signed_in(page, pictor_server)
    credits_link = page.get_by_role("navigation", name="Tools").get_by_role("link", name="Credits")
    credits_link.focus()
    assert len(held) == 1  # the view's module was asked for and is not sent yet
    expect(page.get_by_role("heading", name="Remove background", level=1)).to_have_count(0)
    held[0].continue_()
    # The options are the last thing the view puts in place before its render resolves.
    expect(page.get_by_role("radio", name="Transparent cut-out")).to_be_visible()
    expect(credits_link).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Credits", level=1)).to_be_visible()
    expect(page.locator("main")).to_be_focused()
