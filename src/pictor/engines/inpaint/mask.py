"""Masks: from an uploaded image or from shapes, then cleaned the way editing tools do.

Rules (also in docs/api.md):

- An uploaded mask image marks pixels to remove as **white** (brightness >= threshold).
  If the mask image has transparency (any pixel with alpha < 255), **transparency wins**:
  pixels with alpha < threshold are removed and the colours are ignored, as an eraser
  tool in an editor leaves holes rather than white paint.
- A mask of another size than the image is refused (``mask_size_mismatch``) unless
  resizing is asked for; it is then resized with nearest-neighbour sampling, so it stays
  binary and never gains grey edges.
- ``grow`` (dilate) widens the mask by N px with a round brush; ``feather`` gives the
  fill a soft transition N px wide around the (grown) mask.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np
from numpy.typing import NDArray

from pictor.engines.inpaint.base import Mask, RGBImage
from pictor.errors import InvalidInput

Point = tuple[float, float]
Rect = tuple[float, float, float, float]
"""x, y, width, height in pixels."""


class EmptyMask(InvalidInput):
    """Nothing to remove: the mask selects no pixel of the image."""

    code = "empty_mask"


class MaskSizeMismatch(InvalidInput):
    code = "mask_size_mismatch"


def mask_from_image(pixels: NDArray[np.uint8], threshold: int = 128) -> Mask:
    """A 0/255 mask from a decoded mask image (H x W, H x W x 3 or H x W x 4)."""
    if not 1 <= threshold <= 255:
        raise ValueError(f"threshold must be 1 to 255, got {threshold}")
    if pixels.ndim == 3 and pixels.shape[2] == 4:
        alpha = pixels[..., 3]
        if int(alpha.min()) < 255:
            return np.where(alpha < threshold, 255, 0).astype(np.uint8)
        pixels = pixels[..., :3]
    grey = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY) if pixels.ndim == 3 else pixels
    return np.where(grey >= threshold, 255, 0).astype(np.uint8)


def fit_mask(mask: Mask, width: int, height: int, *, resize: bool) -> Mask:
    """The mask at the image's size: as is, resized (nearest neighbour), or refused."""
    if mask.shape == (height, width):
        return mask
    if not resize:
        raise MaskSizeMismatch(
            f"the mask is {mask.shape[1]} x {mask.shape[0]} but the image is "
            f"{width} x {height}; send a mask of the same size or set resize_mask",
            field="input",
            details={"mask": [mask.shape[1], mask.shape[0]], "image": [width, height]},
        )
    resized: Mask = np.asarray(
        cv2.resize(mask, (width, height), interpolation=cv2.INTER_NEAREST), dtype=np.uint8
    )
    return resized


def rasterize(
    width: int, height: int, rects: Sequence[Rect] = (), polygons: Sequence[Sequence[Point]] = ()
) -> Mask:
    """A 0/255 mask with the given rectangles and polygons (pixel coordinates) filled.

    Shapes may reach past the frame; they are clipped to it.
    """
    mask = np.zeros((height, width), np.uint8)
    for x, y, w, h in rects:
        x0, y0 = max(0, round(x)), max(0, round(y))
        x1, y1 = min(width, round(x + w)), min(height, round(y + h))
        if x1 > x0 and y1 > y0:
            mask[y0:y1, x0:x1] = 255
    if polygons:
        # Fixed point with 4 fractional bits keeps sub-pixel vertices where they were put.
        shift = 4
        scaled = [
            np.round(np.asarray(points, np.float64) * (1 << shift)).astype(np.int32)
            for points in polygons
        ]
        cv2.fillPoly(mask, scaled, 255, lineType=cv2.LINE_8, shift=shift)
    return mask


def polygon_area(points: Sequence[Point]) -> float:
    """Absolute area by the shoelace formula (0 for a degenerate polygon)."""
    xs = np.asarray([p[0] for p in points], np.float64)
    ys = np.asarray([p[1] for p in points], np.float64)
    return float(abs(np.dot(xs, np.roll(ys, -1)) - np.dot(ys, np.roll(xs, -1))) / 2.0)


def grow(mask: Mask, px: int) -> Mask:
    """Dilate the mask by ``px`` pixels with a round brush (0 returns it as is)."""
    if px <= 0:
        return mask
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * px + 1, 2 * px + 1))
    grown: Mask = np.asarray(cv2.dilate(mask, kernel), dtype=np.uint8)
    return grown


def require_pixels(mask: Mask) -> None:
    if not mask.any():
        raise EmptyMask("the mask selects no pixel of the image; nothing to erase")


def fill_with_feather(
    image: RGBImage, mask: Mask, feather: int, fill: Callable[[RGBImage, Mask], RGBImage]
) -> RGBImage:
    """Fill ``mask`` with ``fill(image, mask)``, blending a ``feather``-px soft edge.

    The hole is filled over the mask grown by ``feather``; the weight is 1 on the mask
    and falls off smoothly across that extra ring, so the seam between kept and filled
    pixels is not a hard line.
    """
    if feather <= 0:
        filled: RGBImage = fill(image, mask)
        return filled
    wide = grow(mask, feather)
    filled = fill(image, wide)
    core = (mask > 0).astype(np.float32)
    sigma = max(0.5, feather / 2.0)
    soft = cv2.GaussianBlur(core, (0, 0), sigmaX=sigma, sigmaY=sigma)
    weight = np.maximum(core, soft) * (wide > 0)
    blended = (
        image.astype(np.float32) * (1.0 - weight[..., None])
        + filled.astype(np.float32) * weight[..., None]
    )
    out: RGBImage = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
    return out
