"""SVG to PNG with resvg (a Rust renderer in a PyPI wheel: no system libraries)."""

from __future__ import annotations

import re

import resvg_py

_SIZE = re.compile(r'<svg[^>]*? width="([\d.]+)" height="([\d.]+)"')


def svg_size(svg: str) -> tuple[float, float]:
    match = _SIZE.search(svg)
    if match is None:
        raise ValueError("the SVG has no width/height")
    return float(match.group(1)), float(match.group(2))


def png_dimensions(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def render_png(svg: str, long_side: int, background: str | None = None) -> bytes:
    """The SVG as PNG bytes whose longer side is ``long_side`` (aspect kept).

    Transparent unless ``background`` (e.g. ``#ffffff``) is given.
    """
    width, height = svg_size(svg)
    # One side only: resvg derives the other, so the long side is exact.
    # Our SVGs hold no text, so system fonts need not be scanned (that costs ~50 ms).
    if width >= height:
        data = resvg_py.svg_to_bytes(
            svg_string=svg, background=background, skip_system_fonts=True, width=long_side
        )
    else:
        data = resvg_py.svg_to_bytes(
            svg_string=svg, background=background, skip_system_fonts=True, height=long_side
        )
    return bytes(data)
