"""Palettes: named ones, and schemes computed in OKLCH from the user's colour."""

from __future__ import annotations

from dataclasses import dataclass

from pictor.engines.logo.colors import (
    RGB,
    Oklch,
    contrast,
    ensure_contrast,
    from_oklch,
    parse_color,
    to_hex,
    to_oklch,
)

WHITE: RGB = (255, 255, 255)

#: primary, secondary, accent — the name's ink is derived from primary.
NAMED_PALETTES: dict[str, tuple[str, str, str]] = {
    "warm": ("#c8553d", "#f28f3b", "#ffd5c2"),
    "cool": ("#1d4e89", "#00b2ca", "#7dcfb6"),
    "mono": ("#222222", "#6b6b6b", "#bdbdbd"),
    "earth": ("#6b4226", "#a3b18a", "#d4a373"),
    "pastel": ("#7a6fbf", "#f4a6c1", "#b5ead7"),
    "vibrant": ("#d7263d", "#1b998b", "#f46036"),
    "forest": ("#2d6a4f", "#95d5b2", "#d8a48f"),
    "ocean": ("#03045e", "#0096c7", "#90e0ef"),
    "sunset": ("#9e2a2b", "#e09f3e", "#f4d35e"),
    "royal": ("#3c096c", "#9d4edd", "#e0aaff"),
}

#: Which named palettes suit a style best (the designer cycles through them).
STYLE_PALETTES: dict[str, tuple[str, ...]] = {
    "modern": ("cool", "vibrant", "mono", "ocean"),
    "classic": ("earth", "royal", "forest", "mono"),
    "minimal": ("mono", "cool", "earth", "pastel"),
    "playful": ("vibrant", "pastel", "warm", "sunset"),
    "bold": ("vibrant", "warm", "royal", "sunset"),
    "elegant": ("royal", "mono", "earth", "forest"),
    "tech": ("cool", "ocean", "vibrant", "mono"),
    "geometric": ("vibrant", "cool", "sunset", "pastel"),
}

SCHEMES = ("complementary", "analogous", "monochrome", "triadic")


@dataclass(frozen=True)
class Palette:
    name: str
    primary: RGB
    secondary: RGB
    accent: RGB
    #: The name's colour on white: primary darkened until it reaches 4.5:1.
    ink: RGB
    #: Drawn on a primary-filled shape (badges, tiles): 4.5:1 against primary.
    on_primary: RGB

    def as_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "primary": to_hex(self.primary),
            "secondary": to_hex(self.secondary),
            "accent": to_hex(self.accent),
            "ink": to_hex(self.ink),
            "on_primary": to_hex(self.on_primary),
            "background": "#ffffff",
        }


def make_palette(name: str, primary: RGB, secondary: RGB, accent: RGB) -> Palette:
    ink = ensure_contrast(primary, WHITE)
    light = from_oklch(to_oklch(primary).with_(lightness=0.97, chroma=0.02))
    dark = from_oklch(to_oklch(primary).with_(lightness=0.22))
    # Prefer a near-white tint of the primary on fills, then a deep shade of its hue.
    if contrast(light, primary) >= 4.5:
        on_primary = light
    elif contrast(dark, primary) >= 4.5:
        on_primary = dark
    else:
        on_primary = ensure_contrast(WHITE, primary)
    return Palette(name, primary, secondary, accent, ink, on_primary)


def named_palette(name: str) -> Palette:
    primary, secondary, accent = (parse_color(c) for c in NAMED_PALETTES[name])
    return make_palette(name, primary, secondary, accent)


def _turn(c: Oklch, degrees: float, lightness: float | None = None) -> RGB:
    return from_oklch(c.with_(hue=c.hue + degrees, lightness=lightness))


def scheme_palette(scheme: str, base: RGB) -> Palette:
    """A palette computed from one colour by hue relations in OKLCH."""
    c = to_oklch(base)
    if scheme == "complementary":
        return make_palette(
            scheme, base, _turn(c, 180), _turn(c, 180, lightness=min(0.95, c.lightness + 0.25))
        )
    if scheme == "analogous":
        return make_palette(scheme, base, _turn(c, -30), _turn(c, 30))
    if scheme == "triadic":
        return make_palette(scheme, base, _turn(c, 120), _turn(c, 240))
    if scheme == "monochrome":
        darker = from_oklch(c.with_(lightness=max(0.2, c.lightness - 0.22)))
        lighter = from_oklch(c.with_(lightness=min(0.93, c.lightness + 0.25)))
        return make_palette(scheme, base, darker, lighter)
    raise ValueError(f"unknown scheme {scheme}")


def user_palette(colors: list[RGB], scheme_index: int) -> Palette:
    """The user's colours as given (2+), or a scheme computed from the first one."""
    if len(colors) >= 3:
        return make_palette("custom", colors[0], colors[1], colors[2])
    if len(colors) == 2:
        accent = from_oklch(to_oklch(colors[0]).with_(lightness=0.9))
        return make_palette("custom", colors[0], colors[1], accent)
    return scheme_palette(SCHEMES[scheme_index % len(SCHEMES)], colors[0])
