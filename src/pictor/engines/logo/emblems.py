"""Geometric emblems: abstract marks built from primitives, drawn in a 100x100 box."""

from __future__ import annotations

import math
import random

from pictor.engines.logo.colors import to_hex
from pictor.engines.logo.palettes import Palette
from pictor.engines.logo.shapes import polygon_points
from pictor.engines.logo.svg import element, num

EMBLEMS = ("petals", "steps", "quarters", "rings", "cube", "orbits")


def _petals(p: Palette, rng: random.Random) -> str:
    count = rng.choice((5, 6, 8))
    colors = (p.primary, p.secondary)
    parts = []
    for i in range(count):
        parts.append(
            element(
                "ellipse",
                {
                    "cx": 50,
                    "cy": 28,
                    "rx": 11,
                    "ry": 22,
                    "fill": to_hex(colors[i % 2]),
                    "fill-opacity": 0.88,
                    "transform": f"rotate({num(360 * i / count)} 50 50)",
                },
            )
        )
    parts.append(element("circle", {"cx": 50, "cy": 50, "r": 9, "fill": to_hex(p.accent)}))
    return "".join(parts)


def _steps(p: Palette, rng: random.Random) -> str:
    colors = (p.primary, p.secondary, p.accent)
    parts = []
    for i in range(3):
        width = 84 - 24 * i
        parts.append(
            element(
                "rect",
                {
                    "x": 50 - width / 2,
                    "y": 72 - 26 * i,
                    "width": width,
                    "height": 20,
                    "rx": rng.choice((0, 4, 10)),
                    "fill": to_hex(colors[i]),
                },
            )
        )
    return "".join(parts)


def _quarters(p: Palette, rng: random.Random) -> str:
    colors = (p.primary, p.secondary, p.accent, p.primary)
    parts = []
    for i, (x, y) in enumerate(((6, 6), (50, 6), (6, 50), (50, 50))):
        corner = rng.randrange(4)
        # A quarter disc whose centre sits in one corner of its 44-unit cell.
        cx, cy = x + (44 if corner in (1, 2) else 0), y + (44 if corner >= 2 else 0)
        sx = -1 if corner in (1, 2) else 1
        sy = -1 if corner >= 2 else 1
        d = (
            f"M{num(cx)} {num(cy)}L{num(cx + 44 * sx)} {num(cy)}"
            f"A44 44 0 0 {1 if sx * sy > 0 else 0} {num(cx)} {num(cy + 44 * sy)}Z"
        )
        parts.append(element("path", {"d": d, "fill": to_hex(colors[i])}))
    return "".join(parts)


def _rings(p: Palette, rng: random.Random) -> str:
    gap = rng.choice((30, 45, 60))
    parts = []
    for i, (radius, color) in enumerate(((42, p.primary), (29, p.secondary), (16, p.accent))):
        circumference = 2 * math.pi * radius
        dash = circumference * (1 - gap / 360)
        parts.append(
            element(
                "circle",
                {
                    "cx": 50,
                    "cy": 50,
                    "r": radius,
                    "fill": "none",
                    "stroke": to_hex(color),
                    "stroke-width": 9,
                    "stroke-linecap": "round",
                    "stroke-dasharray": f"{num(dash)} {num(circumference)}",
                    "transform": f"rotate({num(-90 + gap / 2 + 40 * i)} 50 50)",
                },
            )
        )
    return "".join(parts)


def _cube(p: Palette, rng: random.Random) -> str:
    top = "50,8 88,29 50,50 12,29"
    left = "12,29 50,50 50,92 12,71"
    right = "88,29 50,50 50,92 88,71"
    faces = [(top, p.accent), (left, p.primary), (right, p.secondary)]
    return "".join(element("polygon", {"points": pts, "fill": to_hex(c)}) for pts, c in faces)


def _orbits(p: Palette, rng: random.Random) -> str:
    sides = rng.choice((3, 4, 6))
    parts = [element("polygon", {"points": polygon_points(sides, 44), "fill": to_hex(p.primary)})]
    parts.append(element("circle", {"cx": 50, "cy": 50, "r": 20, "fill": to_hex(p.accent)}))
    parts.append(element("circle", {"cx": 50, "cy": 50, "r": 9, "fill": to_hex(p.secondary)}))
    return "".join(parts)


_DRAW = {
    "petals": _petals,
    "steps": _steps,
    "quarters": _quarters,
    "rings": _rings,
    "cube": _cube,
    "orbits": _orbits,
}


def emblem(kind: str, palette: Palette, rng: random.Random) -> str:
    return _DRAW[kind](palette, rng)
