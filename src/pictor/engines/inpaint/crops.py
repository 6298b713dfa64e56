"""The crop strategy: inpaint a padded window around each part of the mask.

An inpainter only looks at pixels near the hole, so filling a 4 % mask on a 12 MP
frame does not need the other 96 % of the frame copied, converted and scanned.
Each connected part of the mask gets a box padded on every side; parts whose padded
boxes overlap share one window, so no window cuts through another part's context.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from pictor.engines.inpaint.base import Mask, RGBImage

#: Past this share of the frame, windows cost more than they save: go full frame.
FULL_FRAME_SHARE = 0.6
#: More parts than this share one window (box merging is quadratic).
MAX_PARTS = 256


@dataclass(frozen=True)
class Window:
    """A crop ``[y0:y1, x0:x1]`` and which of its masked pixels belong to it."""

    y0: int
    y1: int
    x0: int
    x1: int
    #: H x W bool, True for the masked pixels this window fills.
    own: np.ndarray


def windows(mask: Mask, pad: int) -> list[Window]:
    """Padded windows covering every masked pixel once; empty for an empty mask.

    Components are found inside the mask's bounding box only (a small mask on a large
    frame costs little), and padded boxes that overlap are merged into one window.
    """
    if pad < 0:
        raise ValueError(f"pad must be >= 0, got {pad}")
    binary = (mask > 0).astype(np.uint8)
    bx, by, bw, bh = cv2.boundingRect(binary)
    if bw == 0 or bh == 0:
        return []
    height, width = mask.shape
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        binary[by : by + bh, bx : bx + bw], connectivity=8
    )
    if count - 1 > MAX_PARTS:
        # Merging thousands of boxes costs more than it saves: one window over them all.
        x0, y0 = max(0, bx - pad), max(0, by - pad)
        x1, y1 = min(width, bx + bw + pad), min(height, by + bh + pad)
        return [Window(y0, y1, x0, x1, binary[y0:y1, x0:x1] > 0)]
    boxes = [
        (
            max(0, bx + int(stats[i, 0]) - pad),
            max(0, by + int(stats[i, 1]) - pad),
            min(width, bx + int(stats[i, 0] + stats[i, 2]) + pad),
            min(height, by + int(stats[i, 1] + stats[i, 3]) + pad),
        )
        for i in range(1, count)
    ]
    found: list[Window] = []
    for group, (x0, y0, x1, y1) in _merge(boxes):
        lut = np.zeros(count, bool)
        lut[[label + 1 for label in group]] = True
        own = np.zeros((y1 - y0, x1 - x0), bool)
        # The part of the window inside the mask's bounding box, where labels exist.
        sx0, sy0 = max(x0, bx), max(y0, by)
        sx1, sy1 = min(x1, bx + bw), min(y1, by + bh)
        own[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = lut[
            labels[sy0 - by : sy1 - by, sx0 - bx : sx1 - bx]
        ]
        found.append(Window(y0, y1, x0, x1, own))
    return found


Box = tuple[int, int, int, int]


def _merge(boxes: list[Box]) -> list[tuple[list[int], Box]]:
    """Group boxes that overlap (transitively); each group with its bounding box."""
    groups: list[tuple[list[int], Box]] = [([i], box) for i, box in enumerate(boxes)]
    merged = True
    while merged:
        merged = False
        out: list[tuple[list[int], Box]] = []
        for members, box in groups:
            for index, (other_members, other) in enumerate(out):
                if _overlap(box, other):
                    out[index] = (other_members + members, _union(box, other))
                    merged = True
                    break
            else:
                out.append((members, box))
        groups = out
    return groups


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _union(a: Box, b: Box) -> Box:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def inpaint_by_windows(
    image: RGBImage,
    mask: Mask,
    pad: int,
    fill: Callable[[RGBImage, Mask], RGBImage],
) -> RGBImage:
    """Run ``fill(crop, crop_mask)`` per window and paste back only masked pixels.

    ``fill`` gets contiguous arrays and must return an array of the crop's shape.
    When the windows together cover most of the frame, one full-frame call is made.
    """
    parts = windows(mask, pad)
    if not parts:
        return image.copy()
    area = sum((w.y1 - w.y0) * (w.x1 - w.x0) for w in parts)
    if area >= FULL_FRAME_SHARE * mask.size:
        filled = fill(image, mask)
        out = image.copy()
        sel = mask > 0
        out[sel] = filled[sel]
        return out
    out = image.copy()
    for part in parts:
        crop = np.ascontiguousarray(image[part.y0 : part.y1, part.x0 : part.x1])
        crop_mask = np.ascontiguousarray(mask[part.y0 : part.y1, part.x0 : part.x1])
        filled = fill(crop, crop_mask)
        target = out[part.y0 : part.y1, part.x0 : part.x1]
        target[part.own] = filled[part.own]
    return out
