"""A tiny, deterministic SVG writer: fixed number formatting, escaped attributes."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

Attr = str | float | int


def num(value: float) -> str:
    """Two decimals at most, no trailing zeros, never ``-0``: the same bytes every run."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _attr(value: Attr) -> str:
    if isinstance(value, float | int) and not isinstance(value, bool):
        return f'"{num(float(value))}"'
    return quoteattr(str(value))


def element(tag: str, attrs: dict[str, Attr] | None = None, children: str = "") -> str:
    """``<tag a="1">children</tag>``, self-closed when empty; attributes keep their order."""
    parts = "".join(f" {k.replace('_', '-')}={_attr(v)}" for k, v in (attrs or {}).items())
    if not children:
        return f"<{tag}{parts}/>"
    return f"<{tag}{parts}>{children}</{tag}>"


def group(children: str, x: float = 0.0, y: float = 0.0, scale: float = 1.0) -> str:
    transform = f"translate({num(x)} {num(y)})"
    if scale != 1.0:
        transform += f" scale({num(scale)})" if scale >= 0.01 else f" scale({scale:.4f})"
    return element("g", {"transform": transform}, children)


def document(width: float, height: float, title: str, body: str) -> str:
    """A standalone SVG: no scripts, no external references, no ``<text>``."""
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{num(width)}" height="{num(height)}" '
        f'viewBox="0 0 {num(width)} {num(height)}" role="img" aria-label={quoteattr(title)}>'
    )
    return f"{head}<title>{escape(title)}</title>{body}</svg>\n"
