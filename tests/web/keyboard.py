"""Keyboard checks: walk the page with Tab and look at what gets focus."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from playwright.sync_api import Page

# What the focused element is, where it is, and whether its focus can be seen.
_FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const rect = el.getBoundingClientRect();
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow && style.boxShadow !== 'none';
  const where = el.closest('nav') ? 'nav' : el.closest('main') ? 'main'
    : el.closest('header') ? 'header' : 'other';
  const name = (el.getAttribute('aria-label') || el.innerText || el.value || el.getAttribute('name')
    || el.id || '').trim().replace(/\\s+/g, ' ').slice(0, 60);
  const path = [];
  for (let node = el; node && node !== document.body; node = node.parentElement) {
    path.unshift(Array.prototype.indexOf.call(node.parentElement.children, node));
  }
  return {
    tag: el.tagName.toLowerCase(), name, where, path, tabindex: el.tabIndex,
    x: rect.left + scrollX, y: rect.top + scrollY, w: rect.width, h: rect.height,
    right: rect.right + scrollX,
    inView: rect.bottom > 0 && rect.right > 0 && rect.top < innerHeight && rect.left < innerWidth,
    visibleFocus: outline || shadow,
  };
}"""


@dataclass
class Stop:
    tag: str
    name: str
    where: str
    path: list[int]
    tabindex: int
    x: float
    y: float
    w: float
    h: float
    right: float
    inView: bool  # noqa: N815 - the browser's name
    visibleFocus: bool  # noqa: N815

    def __str__(self) -> str:
        return f"<{self.tag}> {self.name!r} in {self.where}"


def tab_through(page: Page, *, main_stops: int = 12, limit: int = 80) -> list[Stop]:
    """Press Tab from the top of the page until ``main_stops`` controls of the view got
    focus, focus leaves the page, or it comes back to the start."""
    stops: list[Stop] = []
    in_main = 0
    for _ in range(limit):
        page.keyboard.press("Tab")
        found = page.evaluate(_FOCUSED)
        if found is None:
            break
        stop = Stop(**found)
        if stops and stop.path == stops[0].path:
            break
        stops.append(stop)
        in_main += stop.where == "main"
        if in_main >= main_stops:
            break
    return stops


def order_problems(stops: list[Stop], nav_links: list[str]) -> list[str]:
    """What is wrong with a Tab order: returns readable problems (empty: fine)."""
    problems = []
    if not stops or stops[0].name != "Skip to content":
        problems.append(
            f"the first Tab stop is {stops[0] if stops else 'nothing'}, not the skip link"
        )
    for stop in stops:
        if stop.tabindex > 0:
            problems.append(f"{stop} has tabindex={stop.tabindex} (breaks the layout order)")
        if not stop.visibleFocus:
            problems.append(f"{stop} shows no focus indicator (outline or box-shadow)")
        if not stop.inView or stop.w == 0 or stop.h == 0:
            problems.append(f"{stop} gets focus but is not visible")
    reached = [s.name for s in stops if s.where == "nav"]
    if reached != nav_links:
        problems.append(f"the navigation is reached as {reached}, expected {nav_links}")
    places = [s.where for s in stops]
    if "main" not in places:
        problems.append("Tab never reaches a control of the view (main)")
    elif "nav" in places and places.index("main") < len(places) - places[::-1].index("nav") - 1:
        problems.append("the view's controls come before the navigation in the Tab order")
    main = [s for s in stops if s.where == "main"]
    for before, after in itertools.pairwise(main):
        # Going up the page is only right when moving to a column further right.
        if after.y < before.y - 8 and after.x < before.right - 1:
            problems.append(f"Tab goes from {before} back up to {after}, against the layout")
    return problems
