"""Palettes computed from the user's colour keep their hue relations (issue-3 review)."""

from __future__ import annotations

import pytest

from pictor.engines.logo.base import LogoBrief
from pictor.engines.logo.colors import parse_color, to_oklch
from pictor.engines.logo.designer import ProceduralLogoDesigner
from pictor.engines.logo.palettes import SCHEMES, STYLE_PALETTES, scheme_palette

#: Hue turns (OKLCH degrees) of secondary and accent from the user's colour.
TURNS = {
    "complementary": (180, 180),
    "analogous": (-30, 30),
    "triadic": (120, 240),
    "monochrome": (0, 0),
}


def hue_gap(a: float, b: float) -> float:
    return abs((a - b + 180) % 360 - 180)


@pytest.mark.parametrize("base", ["#e4572e", "#1d4e89", "#2d6a4f", "#ffd700"])
@pytest.mark.parametrize("scheme", SCHEMES)
def test_schemes_turn_the_hue_of_the_users_colour(base: str, scheme: str) -> None:
    colour = parse_color(base)
    palette = scheme_palette(scheme, colour)
    assert palette.primary == colour and palette.name == scheme
    hue = to_oklch(colour).hue
    for turned, turn in zip((palette.secondary, palette.accent), TURNS[scheme], strict=True):
        assert hue_gap(to_oklch(turned).hue, hue + turn) < 3.0, (scheme, turned)


def test_one_colour_cycles_the_schemes_and_none_uses_the_styles_named_palettes() -> None:
    designer = ProceduralLogoDesigner()
    one = LogoBrief("Acme", "bakery", "", "modern", ("#e4572e",), 1)
    names = {designer.design(one, i).palette["name"] for i in range(4)}
    assert names == set(SCHEMES)
    none = LogoBrief("Acme", "bakery", "", "playful", (), 1)
    named = {designer.design(none, i).palette["name"] for i in range(4)}
    assert named == set(STYLE_PALETTES["playful"])
