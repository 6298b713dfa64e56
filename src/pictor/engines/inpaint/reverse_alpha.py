"""Find a known watermark and undo its alpha blending exactly.

``original = (pixel - a · logo) / (1 - a)``. Where a is near 1 the division amplifies
noise past use, and where the result leaves [0, 255] the blend saturated and the
original is lost; those pixels are returned as a *residue* mask for an inpainter.
Detection is normalized cross-correlation of the image against the alpha map, in a
window around the place the template's rules expect, so a clean image is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from pictor.engines.inpaint.base import Mask, RGBImage
from pictor.engines.inpaint.templates import MarkTemplate

#: a at or above this is treated as opaque: 1 / (1 - a) would amplify noise 20 times.
OPAQUE_ALPHA = 0.95
#: A restored value this far outside [0, 255] means the blend had saturated.
CLIP_TOLERANCE = 3.0
#: Patches flatter than this (grey-level std) cannot be told apart by correlation.
_MIN_STD = 0.5
DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class Detection:
    found: bool
    score: float
    x: int
    y: int
    w: int
    h: int

    def box(self) -> dict[str, int]:
        return {"x": self.x, "y": self.y, "w": self.w, "h": self.h}


@dataclass(frozen=True)
class Restored:
    image: RGBImage
    #: 255 where the original could not be recovered (opaque or saturated pixels).
    residue: Mask


def locate(
    image: RGBImage,
    template: MarkTemplate,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    search: int | None = None,
) -> Detection:
    """Where the mark is, searched ``search`` px around the expected place.

    ``found`` is True when the best normalized correlation reaches ``threshold``.
    """
    height, width = image.shape[:2]
    alpha = template.alpha_for(width, height)
    ex, ey, w, h = template.expected_box(width, height)
    slack = search if search is not None else max(8, max(w, h) // 4)
    x0, y0 = max(0, ex - slack), max(0, ey - slack)
    x1, y1 = min(width, ex + w + slack), min(height, ey + h + slack)
    if x1 - x0 < w or y1 - y0 < h or float(alpha.std()) <= 0.0:
        return Detection(False, 0.0, ex, ey, w, h)
    closeness = _closeness_to_logo(image[y0:y1, x0:x1], template.logo)
    raw = cv2.matchTemplate(closeness, alpha, cv2.TM_CCOEFF_NORMED)
    scores = _ignore_flat(closeness, np.asarray(raw, dtype=np.float32), w, h)
    _, best, _, (bx, by) = cv2.minMaxLoc(scores)
    score = float(best) if np.isfinite(best) else 0.0
    return Detection(score >= threshold, score, x0 + int(bx), y0 + int(by), w, h)


def _closeness_to_logo(patch: RGBImage, logo: tuple[int, int, int]) -> NDArray[np.float32]:
    """Minus the distance of each pixel to the logo colour.

    Blending gives ``pixel - logo = (1 - a) · (original - logo)``: over a locally even
    background the distance to the logo falls linearly as a rises, whatever the
    colours. Brightness would not do: a yellow mark darkens a light background and
    lightens a dark one, so a fixed sign misses one of them.
    """
    diff = patch.astype(np.float32) - np.asarray(logo, np.float32)
    closeness: NDArray[np.float32] = -np.sqrt(np.sum(diff * diff, axis=2, dtype=np.float32))
    return closeness


def _ignore_flat(
    grey: NDArray[np.float32], scores: NDArray[np.float32], w: int, h: int
) -> NDArray[np.float32]:
    """Zero the score of patches with no texture (correlation there is noise or NaN)."""
    mean = cv2.boxFilter(grey, -1, (w, h), normalize=True, borderType=cv2.BORDER_CONSTANT)
    sq = cv2.boxFilter(grey * grey, -1, (w, h), normalize=True, borderType=cv2.BORDER_CONSTANT)
    std = np.sqrt(np.maximum(sq - mean * mean, 0.0))
    # boxFilter centres its window; matchTemplate scores sit at the window's top-left.
    top, left = (h - 1) // 2, (w - 1) // 2
    patch_std = std[top : top + scores.shape[0], left : left + scores.shape[1]]
    cleaned: NDArray[np.float32] = np.where(
        (patch_std > _MIN_STD) & np.isfinite(scores), scores, 0.0
    ).astype(np.float32)
    return cleaned


def restore(image: RGBImage, template: MarkTemplate, where: Detection) -> Restored:
    """Undo the blend inside the detected box; the rest of the image is untouched."""
    height, width = image.shape[:2]
    alpha = template.alpha_for(width, height)
    x, y, w, h = where.x, where.y, where.w, where.h
    out = image.copy()
    residue = np.zeros((height, width), np.uint8)
    # Clip the box to the frame (a mark may be placed partly outside it).
    ax0, ay0 = max(0, -x), max(0, -y)
    ax1, ay1 = min(w, width - x), min(h, height - y)
    if ax1 <= ax0 or ay1 <= ay0:
        return Restored(out, residue)
    a = alpha[ay0:ay1, ax0:ax1, None].astype(np.float32)
    ix0, iy0 = x + ax0, y + ay0
    ix1, iy1 = x + ax1, y + ay1
    pixels = image[iy0:iy1, ix0:ix1].astype(np.float32)
    logo = np.asarray(template.logo, np.float32)
    opaque = a[..., 0] >= OPAQUE_ALPHA
    safe = np.where(opaque[..., None], 0.0, a)
    original = (pixels - safe * logo) / (1.0 - safe)
    clipped = ((original < -CLIP_TOLERANCE) | (original > 255.0 + CLIP_TOLERANCE)).any(axis=2)
    touched = a[..., 0] > 0.0
    restored = np.clip(np.rint(original), 0, 255).astype(np.uint8)
    region = out[iy0:iy1, ix0:ix1]
    region[touched] = restored[touched]
    residue[iy0:iy1, ix0:ix1] = np.where((opaque | clipped) & touched, 255, 0).astype(np.uint8)
    return Restored(out, residue)


def blend(image: RGBImage, template: MarkTemplate, x: int, y: int) -> RGBImage:
    """Stamp the mark at ``(x, y)`` the way a service would (for tests and benches)."""
    height, width = image.shape[:2]
    alpha = template.alpha_for(width, height)
    h, w = alpha.shape
    out = image.astype(np.float32)
    a = alpha[..., None]
    logo = np.asarray(template.logo, np.float32)
    out[y : y + h, x : x + w] = (1.0 - a) * out[y : y + h, x : x + w] + a * logo
    stamped: RGBImage = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    return stamped


def psnr(
    a: NDArray[np.uint8], b: NDArray[np.uint8], where: NDArray[np.bool_] | None = None
) -> float:
    """Peak signal-to-noise ratio in dB over ``where`` (all pixels by default)."""
    diff = a.astype(np.float64) - b.astype(np.float64)
    if where is not None:
        diff = diff[where]
    mse = float(np.mean(diff * diff)) if diff.size else 0.0
    return float("inf") if mse == 0.0 else 10.0 * float(np.log10(255.0**2 / mse))
