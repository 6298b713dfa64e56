"""Styles, their synonyms, and the typography and shapes each one prefers."""

from __future__ import annotations

from dataclasses import dataclass

STYLES = ("modern", "classic", "minimal", "playful", "bold", "elegant", "tech", "geometric")

SYNONYMS: dict[str, str] = {
    **{s: s for s in STYLES},
    "contemporary": "modern",
    "sleek": "modern",
    "fresh": "modern",
    "trendy": "modern",
    "traditional": "classic",
    "vintage": "classic",
    "retro": "classic",
    "timeless": "classic",
    "heritage": "classic",
    "rustic": "classic",
    "minimalist": "minimal",
    "clean": "minimal",
    "simple": "minimal",
    "flat": "minimal",
    "fun": "playful",
    "friendly": "playful",
    "whimsical": "playful",
    "cute": "playful",
    "kids": "playful",
    "cheerful": "playful",
    "strong": "bold",
    "loud": "bold",
    "impactful": "bold",
    "heavy": "bold",
    "punchy": "bold",
    "luxury": "elegant",
    "luxurious": "elegant",
    "premium": "elegant",
    "sophisticated": "elegant",
    "refined": "elegant",
    "chic": "elegant",
    "classy": "elegant",
    "technology": "tech",
    "futuristic": "tech",
    "digital": "tech",
    "techy": "tech",
    "startup": "tech",
    "corporate": "tech",
    "abstract": "geometric",
    "shapes": "geometric",
    "angular": "geometric",
}


def normalize_style(value: str) -> str | None:
    """The canonical style for ``value`` (case and spaces ignored), or None."""
    return SYNONYMS.get(value.strip().lower().replace(" ", "").replace("-", ""))


@dataclass(frozen=True)
class Typography:
    #: Font keys (see fonts.FACES), cycled over the variants.
    faces: tuple[str, ...]
    upper: bool
    tracking: float  # em
    #: Container shapes for icons and monograms, cycled.
    shapes: tuple[str, ...]


TYPOGRAPHY: dict[str, Typography] = {
    "modern": Typography(
        ("grotesk-bold", "sans-semibold", "grotesk-medium"),
        False,
        0.0,
        ("rounded", "circle", "squircle"),
    ),
    "classic": Typography(
        ("serif-semibold", "serif-bold", "serif-regular"),
        False,
        0.02,
        ("circle", "shield", "rounded"),
    ),
    "minimal": Typography(
        ("grotesk-light", "sans-light", "grotesk-medium"),
        False,
        0.04,
        ("circle", "rounded", "squircle"),
    ),
    "playful": Typography(
        ("rounded", "grotesk-bold", "sans-black"), False, 0.0, ("circle", "squircle", "rounded")
    ),
    "bold": Typography(
        ("sans-black", "grotesk-bold", "rounded"), True, 0.01, ("rounded", "hexagon", "circle")
    ),
    "elegant": Typography(
        ("serif-regular", "grotesk-light", "serif-semibold"),
        True,
        0.16,
        ("circle", "diamond", "shield"),
    ),
    "tech": Typography(
        ("grotesk-medium", "sans-semibold", "grotesk-bold"),
        True,
        0.1,
        ("hexagon", "rounded", "diamond"),
    ),
    "geometric": Typography(
        ("grotesk-bold", "rounded", "grotesk-medium"), False, 0.02, ("hexagon", "diamond", "circle")
    ),
}
