"""What the original text looked like: its colour, weight and exact pixels (ink).

Inside a line's box, the background colour is the median of a ring just around the
box; ink is what differs from it clearly. The text colour is the median of the ink's
cores (anti-aliased edges blend with the background). The stroke width comes from the
distance transform of the ink: its ridge values are half a stroke.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

RGB = tuple[int, int, int]
#: Stroke width over the detected line height above which the text is drawn bold
#: (measured on Noto Sans: Regular 0.06-0.07, Bold 0.11-0.13).
BOLD_RATIO = 0.09
MIN_CONTRAST = 40.0


@dataclass(frozen=True)
class InkSample:
    colour: RGB
    background: RGB
    bold: bool
    stroke_px: float
    ink: NDArray[np.uint8]
    """H x W mask of the text's pixels over the region (255 = ink)."""
    region: tuple[int, int, int, int]
    """x0, y0, x1, y1 of ``ink`` in the image."""


def _ring_median(rgb: NDArray[np.uint8], rect: tuple[int, int, int, int], pad: int) -> RGB:
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = rect
    ox0, oy0, ox1, oy1 = max(0, x0 - pad), max(0, y0 - pad), min(w, x1 + pad), min(h, y1 + pad)
    outer = rgb[oy0:oy1, ox0:ox1].reshape(-1, 3)
    keep = np.ones((oy1 - oy0, ox1 - ox0), bool)
    keep[max(0, y0 - oy0) : y1 - oy0, max(0, x0 - ox0) : x1 - ox0] = False
    ring = outer[keep.reshape(-1)]
    if len(ring) == 0:
        ring = outer
    med = np.median(ring, axis=0)
    return int(med[0]), int(med[1]), int(med[2])


def sample_ink(
    rgb: NDArray[np.uint8],
    quad_mask: NDArray[np.uint8],
    rect: tuple[int, int, int, int],
    line_height: float,
) -> InkSample | None:
    """The text's look inside ``rect`` (limited to ``quad_mask``), or None if no ink
    stands out from the background (then the whole box is treated as text)."""
    x0, y0, x1, y1 = rect
    pad = max(3, (y1 - y0) // 6)
    background = _ring_median(rgb, rect, pad)
    region = rgb[y0:y1, x0:x1].astype(np.int32)
    inside = quad_mask[y0:y1, x0:x1] > 0
    distance = np.sqrt(((region - np.array(background, np.int32)) ** 2).sum(axis=2))
    if not inside.any():
        return None
    peak = float(np.percentile(distance[inside], 98))
    if peak < MIN_CONTRAST:
        return None
    ink = (distance > max(MIN_CONTRAST * 0.6, 0.45 * peak)) & inside
    cores = (distance >= 0.8 * peak) & inside
    if not cores.any():
        cores = ink
    colour = np.median(region[cores], axis=0)
    ink_u8 = ink.astype(np.uint8) * 255
    stroke = _stroke_width(ink_u8)
    return InkSample(
        colour=(int(colour[0]), int(colour[1]), int(colour[2])),
        background=background,
        bold=stroke / max(line_height, 1.0) > BOLD_RATIO,
        stroke_px=stroke,
        ink=ink_u8,
        region=rect,
    )


def _stroke_width(ink: NDArray[np.uint8]) -> float:
    if not ink.any():
        return 0.0
    dist = cv2.distanceTransform(ink, cv2.DIST_L2, 3)
    ridge = (dist >= cv2.dilate(dist, np.ones((3, 3), np.uint8))) & (dist > 0)
    return float(2.0 * np.median(dist[ridge])) if ridge.any() else 1.0
