"""Boundary placement for the classical segmenter, at the working resolution.

A threshold low enough to catch faint products sits near the foot of each edge,
so the mask comes out a pixel or two too fat. ``snap_to_half_contrast`` moves the
boundary to where the background distance reaches half of the product's local
contrast, the middle of the (blurred) edge. ``restore_thin_parts`` gives back the
thin parts (straps, spoons, laces) that the morphological opening cut off.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

F32 = NDArray[np.float32]
Mask = NDArray[np.bool_]


def _disk(size: int) -> NDArray[np.uint8]:
    k = np.asarray(cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)), np.uint8)
    return k


def snap_to_half_contrast(mask: Mask, dist: F32, band: int = 2) -> Mask:
    """Re-decide the pixels within ``band`` of the boundary by the half-contrast rule."""
    m8 = mask.astype(np.uint8)
    k = _disk(2 * band + 1)
    edge = cv2.dilate(m8, k).astype(np.bool_) & ~cv2.erode(m8, k).astype(np.bool_)
    if not edge.any():
        return mask
    # Product contrast next to the edge: mean distance over the mask's interior
    # (eroded, so the edge's own ramp does not drag it down) in a small window.
    inner = cv2.erode(m8, _disk(2 * band + 3)).astype(np.float32)
    win = (6 * band + 1, 6 * band + 1)
    weight = cv2.boxFilter(inner, -1, win, normalize=False)
    total = cv2.boxFilter(dist * inner, -1, win, normalize=False)
    known = weight > 0.5
    contrast = np.where(known, total / np.maximum(weight, 1e-6), 0.0)
    decide = edge & known
    out = mask.copy()
    out[decide] = dist[decide] > 0.5 * contrast[decide]
    return out


def restore_thin_parts(mask: Mask, raw: Mask) -> Mask:
    """Add back raw foreground pieces attached to ``mask`` that are thin, not blobs.

    Pieces of the raw threshold outside the mask that touch it are kept when they
    are thin (their area is small against their length), which is what straps and
    handles look like, unlike the lumps of texture or shadow fringe that the
    cleanup removed on purpose.
    """
    extra = raw & ~mask
    if not extra.any():
        return mask
    n, labels, stats, _ = cv2.connectedComponentsWithStats(extra.astype(np.uint8), connectivity=8)
    touching = np.zeros(n, np.bool_)
    near = cv2.dilate(mask.astype(np.uint8), _disk(3)).astype(np.bool_)
    touching[np.unique(labels[near & extra])] = True
    touching[0] = False
    keep = np.zeros(n, np.bool_)
    for i in np.nonzero(touching)[0]:
        area = float(stats[i, cv2.CC_STAT_AREA])
        length = float(max(stats[i, cv2.CC_STAT_WIDTH], stats[i, cv2.CC_STAT_HEIGHT]))
        # Mean width = area / length; a thin part is a few pixels wide and long.
        keep[i] = length >= 8 and area / length <= 3.0
    out: Mask = mask | keep[labels]
    return out


def bridge_cut_bands(mask: Mask, max_frac: float = 0.35) -> Mask:
    """Fill a horizontal band that cuts the product in two (a label the colour of the backdrop).

    A band is a background region, open to the sides, with product directly above
    and below in every column, no taller than ``max_frac`` of the product, and as
    wide as the product just above and just below it. Enclosed holes (a mug's
    handle) are left to ``fill_holes``; concavities narrower than the parts they
    separate (between a table's legs) are not bands.
    """
    h, w = mask.shape
    rows = np.nonzero(mask.any(axis=1))[0]
    if rows.size < 3:
        return mask
    limit = max(2, int(max_frac * (rows[-1] - rows[0] + 1)))
    idx = np.arange(h, dtype=np.int32)[:, None]
    above = np.maximum.accumulate(np.where(mask, idx, -1), axis=0)
    below = np.minimum.accumulate(np.where(mask, idx, h)[::-1], axis=0)[::-1]
    gap = ~mask & (above >= 0) & (below < h) & (below - above - 1 <= limit)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(gap.astype(np.uint8), connectivity=4)
    out = mask.copy()
    for i in range(1, n):
        x, y, bw, bh, _ = stats[i]
        if x == 0 or x + bw >= w:
            continue
        top, bottom = mask[max(y - 1, 0)], mask[min(y + bh, h - 1)]
        span = np.zeros(w, np.bool_)
        span[x : x + bw] = True
        if _covers(span, top) and _covers(span, bottom):
            out |= labels == i
    return out


def _covers(span: NDArray[np.bool_], row: NDArray[np.bool_]) -> bool:
    """Whether ``span`` covers at least 80% of the product's extent on ``row``."""
    xs = np.nonzero(row)[0]
    if xs.size == 0:
        return False
    extent = np.zeros_like(row)
    extent[xs[0] : xs[-1] + 1] = True
    return float((span & extent).sum()) >= 0.8 * float(extent.sum())
