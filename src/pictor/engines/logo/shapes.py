"""Container shapes drawn in a 100x100 box: circles, tiles, hexagons, shields."""

from __future__ import annotations

import math

from pictor.engines.logo.svg import element, num

SHAPES = ("circle", "rounded", "hexagon", "diamond", "shield", "squircle")


def polygon_points(sides: int, radius: float, rotation: float = -90.0) -> str:
    points = []
    for i in range(sides):
        angle = math.radians(rotation + 360.0 * i / sides)
        points.append(f"{num(50 + radius * math.cos(angle))},{num(50 + radius * math.sin(angle))}")
    return " ".join(points)


def shape(kind: str, paint: dict[str, str | float | int], inset: float = 0.0) -> str:
    """``kind`` filling the box minus ``inset`` units, painted with ``paint`` (fill/stroke)."""
    r = 50.0 - inset
    if kind == "circle":
        return element("circle", {"cx": 50, "cy": 50, "r": r, **paint})
    if kind in ("rounded", "squircle"):
        corner = r * (0.22 if kind == "rounded" else 0.42)
        return element(
            "rect",
            {"x": inset, "y": inset, "width": 2 * r, "height": 2 * r, "rx": corner, **paint},
        )
    if kind == "hexagon":
        return element("polygon", {"points": polygon_points(6, r, rotation=-90), **paint})
    if kind == "diamond":
        return element("polygon", {"points": polygon_points(4, r, rotation=-90), **paint})
    if kind == "shield":
        top, side, bottom = inset + 2, inset + 6, 100 - inset
        d = (
            f"M{num(side)} {num(top + 6)}Q50 {num(top - 4)} {num(100 - side)} {num(top + 6)}"
            f"L{num(100 - side)} 52Q{num(100 - side)} 80 50 {num(bottom)}"
            f"Q{num(side)} 80 {num(side)} 52Z"
        )
        return element("path", {"d": d, **paint})
    raise ValueError(f"unknown shape {kind}")
