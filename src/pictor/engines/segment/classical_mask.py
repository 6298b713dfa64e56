"""Mask steps of the classical segmenter: thresholding, cleanup, components, GrabCut."""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

F32 = NDArray[np.float32]
Mask = NDArray[np.bool_]

MIN_CONTRAST = 10.0
"""Lab distance below which nothing is called foreground, whatever the border spread."""


def thresholds(dist: F32, border: Mask) -> tuple[float, float]:
    """(low, high) distance thresholds adapted to how much the background varies.

    The border's own distances to its models measure the background's spread: a
    flat studio backdrop gives a tight pair, a busy texture a wide one.
    """
    spread = float(np.percentile(dist[border], 95))
    high = max(MIN_CONTRAST, 1.6 * spread + 4.0)
    low = max(MIN_CONTRAST * 0.5, 1.1 * spread)
    return low, high


def _kernel(size: int) -> NDArray[np.uint8]:
    size = max(1, size)
    k: NDArray[np.uint8] = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    return k


def keep_product_components(mask: Mask) -> Mask:
    """Keep the largest component and those at least a tenth of its size."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        return mask
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.zeros(n, np.bool_)
    keep[1:] = areas >= max(0.1 * areas.max(), 0.0005 * mask.size)
    out: Mask = keep[labels]
    return out


def fill_holes(mask: Mask, dist: F32, low: float) -> Mask:
    """Fill enclosed holes unless they look like background (a mug handle's opening).

    A hole is filled when it is tiny, or when its median distance to the background
    models is above ``low`` (a label or highlight the threshold missed).
    """
    inv = (~mask).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(inv, connectivity=4)
    if n <= 1:
        return mask
    h, w = mask.shape
    out = mask.copy()
    tiny = max(4, int(0.0005 * h * w))
    for i in range(1, n):
        x, y, bw, bh, area = stats[i]
        if x == 0 or y == 0 or x + bw >= w or y + bh >= h:
            continue  # touches the frame: outside, not a hole
        region = labels == i
        if area <= tiny or float(np.median(dist[region])) > low:
            out |= region
    return out


def first_mask(dist: F32, border: Mask) -> tuple[Mask, tuple[float, float]]:
    """Threshold the distance map and clean it into a product mask."""
    low, high = thresholds(dist, border)
    h, w = dist.shape
    fg = dist > high
    unit = max(3, round(min(h, w) / 150))
    fg = cv2.morphologyEx(fg.astype(np.uint8), cv2.MORPH_OPEN, _kernel(unit)).astype(np.bool_)
    fg = cv2.morphologyEx(fg.astype(np.uint8), cv2.MORPH_CLOSE, _kernel(unit)).astype(np.bool_)
    fg = keep_product_components(fg)
    fg = fill_holes(fg, dist, low)
    return fg, (low, high)


def graph_cut(
    image: NDArray[np.uint8], mask: Mask, dist: F32, thr: tuple[float, float], pixels: int
) -> Mask:
    """Settle the boundary with GrabCut, initialised from ``mask`` and the distance map.

    Runs on a copy scaled to at most ``pixels``; the result is brought back to the
    size of ``image``.
    """
    low, high = thr
    h, w = mask.shape
    scale = min(1.0, (pixels / float(h * w)) ** 0.5)
    size = (max(2, round(w * scale)), max(2, round(h * scale)))
    img = cv2.resize(image, size, interpolation=cv2.INTER_AREA) if scale < 1 else image
    m = cv2.resize(mask.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST).astype(np.bool_)
    d = cv2.resize(dist, size, interpolation=cv2.INTER_AREA) if scale < 1 else dist
    unit = max(3, round(min(size) / 40))
    core = cv2.erode(m.astype(np.uint8), _kernel(unit)).astype(np.bool_)
    near = cv2.dilate(m.astype(np.uint8), _kernel(unit)).astype(np.bool_)
    gc = np.full(m.shape, cv2.GC_PR_BGD, np.uint8)
    gc[m] = cv2.GC_PR_FGD
    gc[core & (d > high)] = cv2.GC_FGD
    gc[~near & (d < low)] = cv2.GC_BGD
    if not (gc == cv2.GC_BGD).any() or not np.isin(gc, (cv2.GC_FGD, cv2.GC_PR_FGD)).any():
        return mask
    bgd = np.zeros((1, 65), np.float64)
    fgd = np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(12345)
    cv2.grabCut(img, gc, None, bgd, fgd, 2, cv2.GC_INIT_WITH_MASK)
    fg = ((gc == cv2.GC_FGD) | (gc == cv2.GC_PR_FGD)).astype(np.float32)
    if scale < 1:
        fg = cv2.resize(fg, (w, h), interpolation=cv2.INTER_LINEAR)
    out = keep_product_components(fg > 0.5)
    return fill_holes(out, dist, low)
