"""Mask steps of the classical segmenter: thresholding, cleanup, components, GrabCut."""

from __future__ import annotations

from typing import NamedTuple

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
    k = np.asarray(cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)), np.uint8)
    return k


def keep_product_components(mask: Mask) -> Mask:
    """Keep the product: the main component and sizeable ones that belong with it.

    The main component is the largest after weighting by closeness to the centre,
    where products are framed. Others stay if they are at least a tenth of its size,
    do not touch the frame, and lie close to it or stacked above or below it (a
    product cut in two by a band); bokeh and clutter off to the side are dropped.
    """
    n, labels, stats, centroids = cv2.connectedComponentsWithStats(
        mask.astype(np.uint8), connectivity=8
    )
    if n <= 1:
        return mask
    h, w = mask.shape
    areas = stats[1:, cv2.CC_STAT_AREA].astype(np.float64)
    off = np.hypot((centroids[1:, 0] / w) - 0.5, (centroids[1:, 1] / h) - 0.5)
    main = int(np.argmax(areas * (1.0 - off)))
    x, y = stats[1:, cv2.CC_STAT_LEFT], stats[1:, cv2.CC_STAT_TOP]
    x2, y2 = x + stats[1:, cv2.CC_STAT_WIDTH], y + stats[1:, cv2.CC_STAT_HEIGHT]
    touches = (x == 0) | (y == 0) | (x2 >= w) | (y2 >= h)
    keep = np.zeros(n, np.bool_)
    dx = np.maximum(0, np.maximum(x - x2[main], x[main] - x2))
    dy = np.maximum(0, np.maximum(y - y2[main], y[main] - y2))
    close = np.hypot(dx, dy) <= 0.05 * max(h, w)
    overlap = np.minimum(x2, x2[main]) - np.maximum(x, x[main])
    stacked = overlap >= 0.5 * np.minimum(x2 - x, x2[main] - x[main])
    sizeable = areas >= max(0.1 * areas[main], 0.0005 * mask.size)
    keep[1:] = sizeable & ~touches & (close | stacked)
    keep[main + 1] = True
    out: Mask = keep[labels]
    return out


def fill_holes(mask: Mask, dist: F32, level: float) -> Mask:
    """Fill enclosed holes unless they look like background (a mug handle's opening).

    A hole is filled when it is tiny, or when its median distance to the background
    models is above ``level`` (product colours the cleanup cut out).
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
        if area <= tiny or float(np.median(dist[region])) > level:
            out |= region
    return out


SOFT_MAX_SLOPE = 3.5
"""Colour change (Lab units) per working pixel above which an edge is an object's outline."""

BACKDROP_CAP = 2.5
"""Lighting on the backdrop (a spotlight, a vignette) departs from the border models by
at most this many times the high threshold; products usually by more."""


def colour_slope(lab: F32) -> F32:
    """Lab gradient magnitude per pixel, dilated so edges stay walls at their feet too."""
    gx = cv2.Sobel(lab, cv2.CV_32F, 1, 0, ksize=3, scale=0.125)
    gy = cv2.Sobel(lab, cv2.CV_32F, 0, 1, ksize=3, scale=0.125)
    mag = np.sqrt((gx * gx + gy * gy).sum(axis=2)).astype(np.float32)
    out = np.asarray(cv2.dilate(mag, _kernel(3)), np.float32)
    return out


def remove_soft_backdrop(
    dist_plain: F32, dist_tolerant: F32, high: float, slope: F32, border: Mask
) -> Mask:
    """Threshold, then drop what reaches the frame's background through soft edges only.

    Backdrops vary softly: cast shadows fade in, spotlights and vignettes fall off
    slowly, so their pixels are reachable from the open background without crossing
    a steep colour edge, while a product is walled off by its own sharp outline.
    Two kinds of pixels may go: shadow-like ones (only the shadow-tolerant distance
    calls them background) and mild departures from the models (under
    ``BACKDROP_CAP`` times ``high``).
    """
    fg_plain, fg_tolerant = dist_plain > high, dist_tolerant > high
    flat = slope < SOFT_MAX_SLOPE
    candidates = fg_plain & ~fg_tolerant
    soft = (candidates | (fg_tolerant & (dist_tolerant < BACKDROP_CAP * high))) & flat
    if not soft.any():
        return fg_plain
    open_bg = ~fg_plain
    n, labels = cv2.connectedComponents((soft | open_bg).astype(np.uint8), connectivity=8)
    reached = np.zeros(n, np.bool_)
    reached[np.unique(labels[open_bg & border])] = True
    reached[0] = False
    shadow = soft & reached[labels]
    soft = candidates & flat
    # What is left and shades smoothly into product colour is the product's own
    # shading (a grey mug's lit side); only the rest may be a shadow seen through a hole.
    rest = soft & ~shadow
    smooth_product = fg_tolerant & flat & ~shadow
    n, labels = cv2.connectedComponents((rest | smooth_product).astype(np.uint8), connectivity=8)
    shading = np.zeros(n, np.bool_)
    shading[np.unique(labels[smooth_product])] = True
    shading[0] = False
    shadow |= _shadowed_holes(rest & ~shading[labels], fg_tolerant, open_bg)
    out: Mask = fg_plain & ~shadow
    return out


def _shadowed_holes(soft: Mask, fg_tolerant: Mask, open_bg: Mask) -> Mask:
    """Soft shadow-like regions walled in by product colour: a shadow seen through a hole.

    A grey product's own face is surrounded by the backdrop instead, so it stays.
    """
    n, labels, stats, _ = cv2.connectedComponentsWithStats(soft.astype(np.uint8), connectivity=8)
    out = np.zeros_like(soft)
    h, w = soft.shape
    for i in range(1, n):
        x, y, bw, bh, area = stats[i]
        if area < 4:
            continue
        x0, y0, x1, y1 = max(0, x - 8), max(0, y - 8), min(w, x + bw + 8), min(h, y + bh + 8)
        comp = labels[y0:y1, x0:x1] == i
        # Look past the edge band itself (a few pixels) at what lies beyond it.
        c8 = comp.astype(np.uint8)
        ring = cv2.dilate(c8, _kernel(15)).astype(np.bool_) & ~cv2.dilate(c8, _kernel(5)).astype(
            np.bool_
        )
        product = int(fg_tolerant[y0:y1, x0:x1][ring].sum())
        backdrop = int(open_bg[y0:y1, x0:x1][ring].sum())
        if product > 2 * backdrop:
            out[y0:y1, x0:x1] |= comp
    return out


class FirstMask(NamedTuple):
    mask: Mask
    """The cleaned product mask."""
    raw: Mask
    """The thresholded mask before morphology (keeps thin parts the opening removes)."""
    low: float
    high: float


def first_mask(dist_tolerant: F32, dist_plain: F32, lab: F32, border: Mask) -> FirstMask:
    """Threshold the distance maps, drop soft shadows, and clean into a product mask."""
    low, high = thresholds(dist_tolerant, border)
    h, w = dist_tolerant.shape
    raw = remove_soft_backdrop(dist_plain, dist_tolerant, high, colour_slope(lab), border)
    unit = max(3, round(min(h, w) / 150))
    fg = cv2.morphologyEx(raw.astype(np.uint8), cv2.MORPH_OPEN, _kernel(unit)).astype(np.bool_)
    fg = cv2.morphologyEx(fg.astype(np.uint8), cv2.MORPH_CLOSE, _kernel(unit)).astype(np.bool_)
    fg = keep_product_components(fg)
    fg = fill_holes(fg, dist_tolerant, 0.75 * high)
    return FirstMask(fg, raw, low, high)


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
    img = np.asarray(
        cv2.resize(image, size, interpolation=cv2.INTER_AREA) if scale < 1 else image, np.uint8
    )
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
    cv2.grabCut(img, gc, (0, 0, 0, 0), bgd, fgd, 2, cv2.GC_INIT_WITH_MASK)
    fg = ((gc == cv2.GC_FGD) | (gc == cv2.GC_PR_FGD)).astype(np.float32)
    if scale < 1:
        fg = cv2.resize(fg, (w, h), interpolation=cv2.INTER_LINEAR)
    out = keep_product_components(fg > 0.5)
    return fill_holes(out, dist, 0.75 * high)
