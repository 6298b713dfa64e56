"""Bringing the localized ad to the requested size and aspect ratio.

The image is first scaled (``scale_for``) so that text is re-rendered at output
resolution, then ``place`` crops or pads it to the exact output size:

- ``pad`` (the default: no text is ever cut): the image is centred and the margins
  continue its edges (edge pixels replicated, then blurred so no streaks show).
- ``crop``: the window keeping the most "energy" (edge strength, with text boxes
  weighted high) is kept, sliding along the axis that has too much.
"""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np
from numpy.typing import NDArray

from pictor.engines.localize.base import IMAGE_SIZE_PX
from pictor.errors import InvalidInput

FitMode = Literal["crop", "pad"]
Rect = tuple[int, int, int, int]
#: Weight of a text-box pixel against the mean edge energy when choosing a crop.
TEXT_WEIGHT = 8.0


def output_size(width: int, height: int, image_size: str, aspect_ratio: str) -> tuple[int, int]:
    """Output width and height: the size's long side at the ratio ("keep": the source's)."""
    long_side = IMAGE_SIZE_PX[image_size]
    if aspect_ratio == "keep":
        rw, rh = float(width), float(height)
    else:
        try:
            a, b = aspect_ratio.split(":")
            rw, rh = float(a), float(b)
        except ValueError:
            raise InvalidInput(
                f"aspect_ratio must be W:H or keep, got {aspect_ratio!r}", field="aspect_ratio"
            ) from None
    if rw >= rh:
        return long_side, max(1, round(long_side * rh / rw))
    return max(1, round(long_side * rw / rh)), long_side


def scale_for(width: int, height: int, out: tuple[int, int], mode: FitMode) -> float:
    """Scale bringing the source to the output: inside it (pad) or covering it (crop)."""
    sx, sy = out[0] / width, out[1] / height
    return min(sx, sy) if mode == "pad" else max(sx, sy)


def resize(rgb: NDArray[np.uint8], scale: float) -> NDArray[np.uint8]:
    if abs(scale - 1.0) < 1e-3:
        return rgb
    h, w = rgb.shape[:2]
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    method = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return np.asarray(cv2.resize(rgb, size, interpolation=method), dtype=np.uint8)


def place(
    rgb: NDArray[np.uint8], out: tuple[int, int], mode: FitMode, text_boxes: list[Rect]
) -> NDArray[np.uint8]:
    """Crop or pad ``rgb`` (already scaled by ``scale_for``) to exactly ``out``."""
    h, w = rgb.shape[:2]
    if (w, h) == out:
        return rgb
    if mode == "crop":
        return _crop(rgb, out, text_boxes)
    return _pad(rgb, out)


def _pad(rgb: NDArray[np.uint8], out: tuple[int, int]) -> NDArray[np.uint8]:
    h, w = rgb.shape[:2]
    ow, oh = out
    # The scaled image may be a pixel larger than the box from rounding.
    rgb = rgb[: min(h, oh), : min(w, ow)]
    h, w = rgb.shape[:2]
    left, top = (ow - w) // 2, (oh - h) // 2
    right, bottom = ow - w - left, oh - h - top
    canvas = cv2.copyMakeBorder(rgb, top, bottom, left, right, cv2.BORDER_REPLICATE)
    margin = max(left, right, top, bottom)
    if margin == 0:
        return np.asarray(canvas, dtype=np.uint8)
    sigma = max(2.0, margin / 4)
    blurred = cv2.GaussianBlur(canvas, (0, 0), sigma)
    out_img = blurred.copy()
    out_img[top : top + h, left : left + w] = rgb
    return np.asarray(out_img, dtype=np.uint8)


def _energy(rgb: NDArray[np.uint8], text_boxes: list[Rect]) -> NDArray[np.float32]:
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    energy = np.abs(gx) + np.abs(gy)
    boost = float(energy.mean()) * TEXT_WEIGHT + 1.0
    for x0, y0, x1, y1 in text_boxes:
        energy[max(0, y0) : y1, max(0, x0) : x1] += boost
    return np.asarray(energy, dtype=np.float32)


def _best_offset(profile: NDArray[np.float32], window: int) -> int:
    if window >= len(profile):
        return 0
    sums = np.convolve(profile, np.ones(window, np.float32), mode="valid")
    best = float(sums.max())
    # Among (near-)equal windows take the one closest to the centre.
    candidates = np.flatnonzero(sums >= best * 0.999)
    centre = (len(profile) - window) / 2
    return int(candidates[np.argmin(np.abs(candidates - centre))])


def _crop(
    rgb: NDArray[np.uint8], out: tuple[int, int], text_boxes: list[Rect]
) -> NDArray[np.uint8]:
    h, w = rgb.shape[:2]
    ow, oh = min(out[0], w), min(out[1], h)
    energy = _energy(rgb, text_boxes)
    x = _best_offset(energy.sum(axis=0), ow) if w > ow else 0
    y = _best_offset(energy.sum(axis=1), oh) if h > oh else 0
    cropped = rgb[y : y + oh, x : x + ow]
    if (ow, oh) != out:
        # Rounding left the cover-scaled image a pixel short: pad that pixel.
        return _pad(np.ascontiguousarray(cropped), out)
    return np.ascontiguousarray(cropped)
