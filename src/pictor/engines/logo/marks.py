"""Marks drawn in a 100x100 box: an industry icon, a monogram, a geometric emblem."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from pictor.engines.logo.colors import RGB, contrast, to_hex
from pictor.engines.logo.emblems import emblem
from pictor.engines.logo.fonts import outline_text
from pictor.engines.logo.icons import stroked_icon
from pictor.engines.logo.palettes import WHITE, Palette
from pictor.engines.logo.shapes import shape
from pictor.engines.logo.svg import element, num

MARKS = ("icon", "monogram", "emblem", "badge", "wordmark")

_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Mark:
    svg: str
    #: The letters' or icon's contrast on what it is drawn on; None for decorative emblems.
    contrast: float | None
    font: str | None = None


def initials(name: str) -> str:
    """One or two capital letters: the first letters of the first two words."""
    found = _WORD.findall(name)
    if not found:
        return name.strip()[:1].upper() or "?"
    letters = "".join(w[0] for w in found[:2]).upper()
    return letters if len(found) > 1 else found[0][:1].upper()


def _ink_and_ground(palette: Palette, filled: bool) -> tuple[RGB, RGB]:
    return (palette.on_primary, palette.primary) if filled else (palette.ink, WHITE)


def icon_mark(icon: str, palette: Palette, container: str | None) -> Mark:
    """The icon alone in the name's ink, or knocked out of a filled container."""
    filled = container is not None
    ink, ground = _ink_and_ground(palette, filled)
    body = ""
    size = 84.0
    if container is not None:
        body = shape(container, {"fill": to_hex(palette.primary)})
        size = 50.0 if container in ("diamond", "hexagon", "shield") else 54.0
    offset = (100 - size) / 2 + (3 if container == "shield" else 0)
    body += stroked_icon(icon, to_hex(ink), offset, offset, size)
    return Mark(body, contrast(ink, ground))


def monogram_letters(letters: str, face: str, ink: RGB, room: float = 60.0) -> str:
    """``letters`` in ``face``, centred in the 100-unit box within ``room`` units."""
    probe = outline_text(letters, face, 100.0)
    size = min(room * 0.78 / (probe.cap_height / 100.0), room / max(probe.width / 100.0, 0.01))
    run = outline_text(letters, face, size)
    x = 50 - run.width / 2
    y = 50 + run.cap_height / 2
    return element(
        "path", {"d": run.d, "fill": to_hex(ink), "transform": f"translate({num(x)} {num(y)})"}
    )


def monogram_mark(name: str, face: str, palette: Palette, container: str | None) -> Mark:
    """The initials set in ``face``, centred on a filled container or a thin ring."""
    letters = initials(name)
    filled = container is not None
    ink, ground = _ink_and_ground(palette, filled)
    room = 52.0 if container in ("diamond", "hexagon", "shield") else 60.0
    if container is not None:
        body = shape(container, {"fill": to_hex(palette.primary)})
    else:
        body = shape(
            "circle",
            {"fill": "none", "stroke": to_hex(palette.primary), "stroke-width": 4},
            inset=2,
        )
    body += monogram_letters(letters, face, ink, room)
    return Mark(body, contrast(ink, ground), font=face)


def emblem_mark(kind: str, palette: Palette, rng: random.Random) -> Mark:
    return Mark(emblem(kind, palette, rng), None)
