"""Pure alpha-channel operations on numpy arrays (uint8 images, float32 mattes)."""

from __future__ import annotations

import re

import numpy as np
from numpy.typing import NDArray

from pictor.images.errors import InvalidColor

RGBA = tuple[int, int, int, int]

#: A deliberately small set: enough for "white background" style requests.
CSS_COLORS: dict[str, RGBA] = {
    "transparent": (0, 0, 0, 0),
    "white": (255, 255, 255, 255),
    "black": (0, 0, 0, 255),
    "red": (255, 0, 0, 255),
    "green": (0, 128, 0, 255),
    "lime": (0, 255, 0, 255),
    "blue": (0, 0, 255, 255),
    "yellow": (255, 255, 0, 255),
    "gray": (128, 128, 128, 255),
    "grey": (128, 128, 128, 255),
    "silver": (192, 192, 192, 255),
    "orange": (255, 165, 0, 255),
    "purple": (128, 0, 128, 255),
    "pink": (255, 192, 203, 255),
}

_HEX = re.compile(r"#?([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})")
_LIST = r"\s*(\d{1,3}(?:\s*,\s*\d{1,3}){2,3})\s*"
_RGB_LIST = re.compile(rf"rgba?\({_LIST}\)|{_LIST}")


_BAND_ROWS = 256
"""Rows per band for per-pixel work, so float temporaries stay a few MB even at 12 MP."""


def _to_uint8(alpha: NDArray[np.floating]) -> NDArray[np.uint8]:
    out = np.empty(alpha.shape, np.uint8)
    _to_uint8_into(alpha, out)
    return out


def _to_uint8_into(alpha: NDArray[np.floating], out: NDArray[np.uint8]) -> None:
    """Write ``rint(clip(alpha, 0, 1) * 255)`` (NaN as 0) into ``out``, band by band."""
    for start in range(0, alpha.shape[0], _BAND_ROWS):
        band = alpha[start : start + _BAND_ROWS]
        scaled = np.clip(np.nan_to_num(band, nan=0.0), 0.0, 1.0) * 255.0
        out[start : start + _BAND_ROWS] = np.rint(scaled, out=scaled)


def apply_alpha(rgb: NDArray[np.uint8], alpha: NDArray[np.floating]) -> NDArray[np.uint8]:
    """Attach a [0, 1] matte to an H x W x 3 image, giving H x W x 4 (straight alpha)."""
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"rgb must be H x W x 3, got shape {rgb.shape}")
    if alpha.shape != rgb.shape[:2]:
        raise ValueError(f"alpha shape {alpha.shape} does not match image {rgb.shape[:2]}")
    out: NDArray[np.uint8] = np.empty((*alpha.shape, 4), np.uint8)
    out[..., :3] = rgb
    _to_uint8_into(alpha, out[..., 3])
    return out


def alpha_to_mask_image(alpha: NDArray[np.floating]) -> NDArray[np.uint8]:
    """A [0, 1] matte as an H x W uint8 mask (0 = background, 255 = subject)."""
    if alpha.ndim != 2:
        raise ValueError(f"alpha must be H x W, got shape {alpha.shape}")
    return _to_uint8(alpha)


def composite_on_color(rgba: NDArray[np.uint8], color: RGBA) -> NDArray[np.uint8]:
    """Porter-Duff "over": the image over a flat ``color``, whose alpha is respected.

    Straight (non-premultiplied) alpha in and out; where both are fully
    transparent the result is (0, 0, 0, 0).
    """
    if rgba.ndim != 3 or rgba.shape[2] != 4:
        raise ValueError(f"rgba must be H x W x 4, got shape {rgba.shape}")
    bg = np.asarray(color, dtype=np.float32) / 255.0
    result: NDArray[np.uint8] = np.empty(rgba.shape, np.uint8)
    for start in range(0, rgba.shape[0], _BAND_ROWS):
        stop = start + _BAND_ROWS
        result[start:stop] = _over(rgba[start:stop], bg)
    return result


def _over(rgba: NDArray[np.uint8], bg: NDArray[np.float32]) -> NDArray[np.uint8]:
    fg = rgba.astype(np.float32) / 255.0
    a_fg = fg[..., 3:4]
    a_bg = bg[3]
    a_out = a_fg + a_bg * (1.0 - a_fg)
    premult = fg[..., :3] * a_fg + bg[:3] * a_bg * (1.0 - a_fg)
    safe = np.where(a_out > 0, a_out, 1.0)
    rgb = np.where(a_out > 0, premult / safe, 0.0)
    out = np.concatenate([rgb, a_out], axis=2)
    flat: NDArray[np.uint8] = np.rint(np.clip(out, 0.0, 1.0) * 255.0).astype(np.uint8)
    return flat


def trim_to_content(rgba: NDArray[np.uint8], padding: int, threshold: int = 8) -> NDArray[np.uint8]:
    """Crop to the box of pixels with alpha > ``threshold``, then pad every side.

    The padding is transparent black, ``padding`` pixels on each side. An image
    with no pixel above the threshold has no content to crop to: it is returned
    unchanged (same size, no padding added), never as an empty array.
    """
    if rgba.ndim != 3 or rgba.shape[2] != 4:
        raise ValueError(f"rgba must be H x W x 4, got shape {rgba.shape}")
    if padding < 0:
        raise ValueError(f"padding must be >= 0, got {padding}")
    mask = rgba[..., 3] > threshold
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        unchanged: NDArray[np.uint8] = rgba.copy()
        return unchanged
    crop = rgba[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    out: NDArray[np.uint8] = np.pad(
        crop, ((padding, padding), (padding, padding), (0, 0)), constant_values=0
    )
    return out


def parse_color(text: str) -> RGBA:
    """Parse "#RGB", "#RGBA", "#RRGGBB", "#RRGGBBAA", "r,g,b[,a]" or a CSS name.

    Raises InvalidColor (code ``invalid_color``) for anything else.
    """
    value = text.strip().lower()
    if value in CSS_COLORS:
        return CSS_COLORS[value]
    hex_match = _HEX.fullmatch(value)
    if hex_match and (value.startswith("#") or len(value) in (6, 8)):
        return _parse_hex(hex_match.group(1))
    list_match = _RGB_LIST.fullmatch(value)
    if list_match:
        numbers = list_match.group(1) or list_match.group(2)
        parts = [int(p) for p in numbers.split(",")]
        if all(0 <= p <= 255 for p in parts):
            r, g, b, *rest = parts
            return r, g, b, rest[0] if rest else 255
    raise InvalidColor(
        f"{text!r} is not a colour; use #RRGGBB, #RRGGBBAA, r,g,b[,a] or a name such as"
        " white or transparent"
    )


def _parse_hex(digits: str) -> RGBA:
    if len(digits) in (3, 4):
        digits = "".join(d * 2 for d in digits)
    if len(digits) == 6:
        digits += "ff"
    r, g, b, a = (int(digits[i : i + 2], 16) for i in range(0, 8, 2))
    return r, g, b, a
