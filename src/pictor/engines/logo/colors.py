"""Colours: parsing (hex or CSS names), OKLab/OKLCH, WCAG contrast and fixing it."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from PIL import ImageColor

RGB = tuple[int, int, int]

_HEX = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")

#: The WCAG AA threshold for normal text; every name we draw meets it on its background.
MIN_CONTRAST = 4.5


class NotAColor(ValueError):
    """A string that is neither a hex colour nor a CSS colour name."""


def parse_color(value: str) -> RGB:
    """``#e4572e``, ``e4572e``, ``#f00`` or a CSS name such as ``teal``."""
    text = value.strip()
    match = _HEX.fullmatch(text)
    if match:
        digits = match.group(1)
        if len(digits) == 3:
            digits = "".join(c * 2 for c in digits)
        return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))
    name = text.lower().replace(" ", "")
    if name in ImageColor.colormap:
        r, g, b = ImageColor.getrgb(name)[:3]
        return (r, g, b)
    raise NotAColor(f"{value!r} is not a colour (use #rrggbb or a CSS name like 'teal')")


def to_hex(rgb: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _linear(channel: float) -> float:
    c = channel / 255.0
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _gamma(linear: float) -> int:
    c = max(0.0, min(1.0, linear))
    s = 12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055
    return round(s * 255)


def luminance(rgb: RGB) -> float:
    """WCAG relative luminance."""
    r, g, b = (_linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    """WCAG contrast ratio, 1..21."""
    la, lb = luminance(a), luminance(b)
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


@dataclass(frozen=True)
class Oklch:
    lightness: float
    chroma: float
    hue: float  # degrees

    def with_(
        self, lightness: float | None = None, chroma: float | None = None, hue: float | None = None
    ) -> Oklch:
        return Oklch(
            self.lightness if lightness is None else max(0.0, min(1.0, lightness)),
            self.chroma if chroma is None else max(0.0, chroma),
            (self.hue if hue is None else hue) % 360.0,
        )


def to_oklch(rgb: RGB) -> Oklch:
    r, g, b = (_linear(c) for c in rgb)
    l_ = math.cbrt(0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b)
    m_ = math.cbrt(0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b)
    s_ = math.cbrt(0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b)
    lab_l = 0.2104542553 * l_ + 0.7936177850 * m_ - 0.0040720468 * s_
    lab_a = 1.9779984951 * l_ - 2.4285922050 * m_ + 0.4505937099 * s_
    lab_b = 0.0259040371 * l_ + 0.7827717662 * m_ - 0.8086757660 * s_
    hue = math.degrees(math.atan2(lab_b, lab_a)) % 360.0
    return Oklch(lab_l, math.hypot(lab_a, lab_b), hue)


def _oklch_to_linear(c: Oklch) -> tuple[float, float, float]:
    lab_a = c.chroma * math.cos(math.radians(c.hue))
    lab_b = c.chroma * math.sin(math.radians(c.hue))
    l_ = (c.lightness + 0.3963377774 * lab_a + 0.2158037573 * lab_b) ** 3
    m_ = (c.lightness - 0.1055613458 * lab_a - 0.0638541728 * lab_b) ** 3
    s_ = (c.lightness - 0.0894841775 * lab_a - 1.2914855480 * lab_b) ** 3
    return (
        4.0767416621 * l_ - 3.3077115913 * m_ + 0.2309699292 * s_,
        -1.2684380046 * l_ + 2.6097574011 * m_ - 0.3413193965 * s_,
        -0.0041960863 * l_ - 0.7034186147 * m_ + 1.7076147010 * s_,
    )


def from_oklch(c: Oklch) -> RGB:
    """Back to sRGB; out-of-gamut colours lose chroma (not hue) until they fit."""
    chroma = c.chroma
    for _ in range(24):
        lin = _oklch_to_linear(c.with_(chroma=chroma))
        if all(-1e-4 <= v <= 1.0001 for v in lin):
            break
        chroma *= 0.85
    r, g, b = (_gamma(v) for v in lin)
    return (r, g, b)


def ensure_contrast(fg: RGB, bg: RGB, minimum: float = MIN_CONTRAST) -> RGB:
    """``fg`` with its OKLCH lightness moved (hue kept) until it reaches ``minimum`` on ``bg``."""
    if contrast(fg, bg) >= minimum:
        return fg
    base = to_oklch(fg)
    # Darker text on light backgrounds, lighter on dark; try the other way if that fails.
    directions = (0.0, 1.0) if luminance(bg) > 0.18 else (1.0, 0.0)
    for target in directions:
        lo, hi = base.lightness, target
        found: RGB | None = None
        for _ in range(22):
            mid = (lo + hi) / 2
            candidate = from_oklch(base.with_(lightness=mid))
            if contrast(candidate, bg) >= minimum:
                found, hi = candidate, mid
            else:
                lo = mid
        if found is not None:
            return found
    # Black or white always reaches 4.5:1 against any single colour.
    black, white = (0, 0, 0), (255, 255, 255)
    return black if contrast(black, bg) >= contrast(white, bg) else white
