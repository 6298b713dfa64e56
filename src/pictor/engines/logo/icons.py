"""Icons from Lucide (ISC licence), shipped inside the ``lucide`` PyPI package's zip."""

from __future__ import annotations

import functools
import zipfile
from importlib import resources
from xml.etree import ElementTree

from pictor.engines.logo.svg import element

ICON_SET = "Lucide"
ICON_LICENSE = "ISC (Lucide), MIT (Feather portions); package 'lucide' on PyPI, MIT"
#: Lucide icons are drawn on a 24-unit grid with a 2-unit stroke.
ICON_GRID = 24.0

_SHAPES = {"path", "circle", "rect", "line", "polyline", "polygon", "ellipse"}
_GEOMETRY = {
    "d",
    "cx",
    "cy",
    "r",
    "rx",
    "ry",
    "x",
    "y",
    "width",
    "height",
    "x1",
    "y1",
    "x2",
    "y2",
    "points",
}
_NS = "{http://www.w3.org/2000/svg}"


class UnknownIcon(KeyError):
    pass


@functools.cache
def _archive() -> zipfile.ZipFile:
    path = resources.files("lucide").joinpath("lucide.zip")
    return zipfile.ZipFile(str(path))


@functools.cache
def icon_shapes(name: str) -> str:
    """The icon's shapes as SVG markup, geometry attributes only (nothing else survives)."""
    try:
        raw = _archive().read(f"{name}.svg")
    except KeyError:
        raise UnknownIcon(name) from None
    root = ElementTree.fromstring(raw)  # noqa: S314 - a file of a pinned dependency
    shapes: list[str] = []
    for child in root.iter():
        tag = child.tag.removeprefix(_NS)
        if tag in _SHAPES:
            attrs: dict[str, str | float | int] = {
                k: v for k, v in child.attrib.items() if k in _GEOMETRY
            }
            shapes.append(element(tag, attrs))
    return "".join(shapes)


def stroked_icon(
    name: str, color: str, x: float, y: float, size: float, weight: float = 2.0
) -> str:
    """The icon drawn ``size`` units wide at (x, y) in ``color``."""
    scale = size / ICON_GRID
    return element(
        "g",
        {
            "transform": f"translate({x:.2f} {y:.2f}) scale({scale:.4f})",
            "fill": "none",
            "stroke": color,
            "stroke-width": weight,
            "stroke-linecap": "round",
            "stroke-linejoin": "round",
        },
        icon_shapes(name),
    )
