"""The crop strategy: fill the mask window by window instead of over the whole frame.

An inpainter only looks at pixels near the hole, so filling a small mark on a 12 MP
frame does not need the other 99 % of the frame copied, converted and scanned.

Windows are found on a coarse grid of ``CELL`` x ``CELL`` cells, so the cost does not
grow with the number of parts of the mask (a caption is hundreds of letters):

1. a cell is occupied when it holds a masked pixel; occupied cells are grown by
   ``ceil(pad / CELL)`` cells (the padding);
2. grown cells that touch (8-connected) form groups; groups whose bounding rectangles
   overlap or touch are merged until no two rectangles do;
3. each group's window is the bounding box of its masked pixels plus ``pad`` on every
   side (clipped to the frame), which lies inside the group's rectangle.

So the windows are **disjoint**, every masked pixel lies in exactly one of them, at
least ``pad`` px from its edges (unless at the frame's edge), and masked pixels of two
windows are more than ``2 * pad`` apart. A window therefore holds no masked pixel but its
own, and an inpainter that reads less than ``pad`` px around the hole gives the same
pixels per window as over the whole frame.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from pictor.engines.inpaint.base import Mask, RGBImage

#: Grid cell side, px: coarse enough to be cheap, fine enough that windows stay tight;
#: 8 so that a cell's row is one 64-bit word.
CELL = 8
#: For ``inpaint_by_windows``: past this share of the frame, go full frame.
FULL_FRAME_SHARE = 0.6

Rects = NDArray[np.int32]
"""N x 4 rows of x, y, w, h in cells, as ``cv2.boundingRect`` gives them."""


@dataclass(frozen=True)
class Window:
    """A crop ``[y0:y1, x0:x1]`` of the frame."""

    y0: int
    y1: int
    x0: int
    x1: int

    @property
    def area(self) -> int:
        return (self.y1 - self.y0) * (self.x1 - self.x0)

    def of(self, array: NDArray[np.uint8]) -> NDArray[np.uint8]:
        """This window of ``array`` (a view)."""
        return array[self.y0 : self.y1, self.x0 : self.x1]


def windows(mask: Mask, pad: int) -> list[Window]:
    """Disjoint padded windows holding every masked (non-zero) pixel; empty if none."""
    if pad < 0:
        raise ValueError(f"pad must be >= 0, got {pad}")
    height, width = mask.shape
    occupied = _occupied_cells(mask)
    grow = -(-pad // CELL)
    if grow:
        kernel = np.ones((2 * grow + 1, 2 * grow + 1), np.uint8)
        occupied = np.asarray(cv2.dilate(occupied, kernel), dtype=np.uint8)
    found: list[Window] = []
    for gx, gy, gw, gh in _disjoint_rects(occupied).tolist():
        y0, x0 = gy * CELL, gx * CELL
        y1, x1 = min(height, (gy + gh) * CELL), min(width, (gx + gw) * CELL)
        bx, by, bw, bh = cv2.boundingRect(mask[y0:y1, x0:x1])
        if bw == 0:
            continue  # only padding cells; cannot happen for a group, kept for safety
        found.append(
            Window(
                max(0, y0 + by - pad),
                min(height, y0 + by + bh + pad),
                max(0, x0 + bx - pad),
                min(width, x0 + bx + bw + pad),
            )
        )
    return found


def _occupied_cells(mask: Mask) -> NDArray[np.uint8]:
    """1 for each ``CELL`` x ``CELL`` cell holding a non-zero pixel, else 0.

    Eight pixels of a row are one 64-bit word, so this is one pass over the mask on the
    calling thread (``cv2.dilate`` would wake OpenCV's worker threads for it).
    """
    height, width = mask.shape
    rows, cols = -(-height // CELL), -(-width // CELL)
    whole = mask
    if height % CELL or width % CELL or not mask.flags.c_contiguous:
        whole = np.zeros((rows * CELL, cols * CELL), np.uint8)
        whole[:height, :width] = mask
    words = whole.view(np.uint64).reshape(rows, CELL, cols)
    occupied: NDArray[np.uint8] = np.any(words, axis=1).astype(np.uint8)
    return occupied


def _disjoint_rects(cells: NDArray[np.uint8]) -> Rects:
    """Bounding rectangles of the groups of ``cells``, merged until none touch."""
    rects = _outer_rects(cells)
    while len(rects) > 1:
        # Fill each rectangle: overlapping or touching ones become one group.
        merged = _outer_rects(_filled(cells.shape, rects))
        if len(merged) == len(rects):
            break
        rects = merged
    return rects


def _outer_rects(cells: NDArray[np.uint8]) -> Rects:
    """Bounding rectangles of the outer contours (8-connected groups, holes ignored).

    A group inside another's hole has no outer contour but lies in that one's rectangle.
    ``findContours`` runs on the calling thread; ``connectedComponents`` would not.
    """
    contours, _ = cv2.findContours(cells, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return np.array([cv2.boundingRect(c) for c in contours], np.int32).reshape(-1, 4)


def _filled(shape: tuple[int, ...], rects: Rects) -> NDArray[np.uint8]:
    """A grid with ``rects`` set, by 2-D prefix sums (no Python loop per rectangle)."""
    height, width = shape
    x0, y0 = rects[:, 0], rects[:, 1]
    x1, y1 = x0 + rects[:, 2], y0 + rects[:, 3]
    edges = np.zeros((height + 1, width + 1), np.int32)
    np.add.at(edges, (y0, x0), 1)
    np.add.at(edges, (y0, x1), -1)
    np.add.at(edges, (y1, x0), -1)
    np.add.at(edges, (y1, x1), 1)
    covered = edges.cumsum(axis=0).cumsum(axis=1)[:height, :width] > 0
    return covered.astype(np.uint8)


def enclosing(parts: list[Window]) -> Window:
    """One window over all of ``parts``."""
    return Window(
        min(w.y0 for w in parts),
        max(w.y1 for w in parts),
        min(w.x0 for w in parts),
        max(w.x1 for w in parts),
    )


def inpaint_by_windows(
    image: RGBImage,
    mask: Mask,
    pad: int,
    fill: Callable[[RGBImage, Mask], RGBImage],
) -> RGBImage:
    """Run ``fill(crop, crop_mask)`` per window and paste back only masked pixels.

    For fills that may change any pixel of the crop (a model's answer). ``fill`` gets
    contiguous arrays and must return an array of the crop's shape. When the windows
    together cover most of the frame, one full-frame call is made.
    """
    parts = windows(mask, pad)
    out = image.copy()
    if not parts:
        return out
    if sum(w.area for w in parts) >= FULL_FRAME_SHARE * mask.size:
        parts = [Window(0, mask.shape[0], 0, mask.shape[1])]
    for part in parts:
        crop_mask = np.ascontiguousarray(part.of(mask))
        filled = fill(np.ascontiguousarray(part.of(image)), crop_mask)
        # Disjoint windows: every masked pixel of this crop is this window's own.
        np.copyto(part.of(out), filled, where=crop_mask[..., None] > 0)
    return out


@dataclass(frozen=True)
class Plan:
    """How to fill a mask: ``windows`` one call each, or one ``full_frame`` call.

    Costs are in frame pixels an inpainter call scans, with each call's fixed cost
    counted as ``call_cost_px`` pixels; both plans fill the same holes, so the cost of
    filling them is left out.
    """

    windows: tuple[Window, ...]
    full_frame: bool
    cost_px: int
    full_frame_cost_px: int

    @property
    def empty(self) -> bool:
        return not self.full_frame and not self.windows


def plan_fill(mask: Mask, pad: int, *, call_cost_px: int, max_share: float) -> Plan:
    """The cheaper of: one call per window, one call over all windows, one full frame.

    Windows are taken only when they cost at most ``max_share`` of the full frame: the
    margin pays for copying the frame for the answer and pasting the windows back.
    """
    frame = int(mask.size) + call_cost_px
    parts = windows(mask, pad)
    if not parts:
        return Plan((), False, 0, frame)
    split = sum(w.area for w in parts) + len(parts) * call_cost_px
    whole = enclosing(parts)
    joined = whole.area + call_cost_px
    if min(split, joined) > max_share * frame:
        return Plan((), True, frame, frame)
    if split <= joined:
        return Plan(tuple(parts), False, split, frame)
    return Plan((whole,), False, joined, frame)


def fill_windows(
    image: RGBImage,
    mask: Mask,
    parts: tuple[Window, ...],
    fill: Callable[[RGBImage, Mask], RGBImage],
) -> RGBImage:
    """Paste ``fill(crop, crop_mask)`` whole for each window of ``parts``.

    Only for fills that return the crop's unmasked pixels unchanged (``cv2.inpaint``
    does) and windows from ``windows`` or ``enclosing`` (no masked pixel of another
    window inside): the pasted crops then change masked pixels only.
    """
    out = image.copy()
    for part in parts:
        part.of(out)[...] = fill(part.of(image), part.of(mask))
    return out
