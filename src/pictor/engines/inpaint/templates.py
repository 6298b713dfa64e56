"""Watermark templates as data: an alpha map, the logo colour, and where the mark sits.

A visible watermark is alpha-blended onto the image:
``pixel = (1 - a) · original + a · logo``. Captured on black (original = 0) it reads
``capture = a · logo``, so a = capture / logo per pixel (the largest over the channels,
which is the best-conditioned one). Placement rules say how big the mark is and how far
from its corner, by image size, as services that stamp marks do (a larger mark on
larger images).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import cv2
import numpy as np
from numpy.typing import NDArray

from pictor.errors import InvalidInput

Corner = Literal["bottom-right", "bottom-left", "top-right", "top-left"]
RGB = tuple[int, int, int]
AlphaMap = NDArray[np.float32]
#: Capture pixels at or under this level (of 255) are taken as "no mark" when cropping.
CAPTURE_FLOOR = 2


class InvalidCapture(InvalidInput):
    code = "invalid_capture"


@dataclass(frozen=True)
class Placement:
    """Applies to images at least ``min_width`` x ``min_height``; the largest rule wins."""

    min_width: int = 0
    min_height: int = 0
    #: Width of the mark on the image in px (height keeps the aspect); None: native size.
    width: int | None = None
    margin_x: int = 0
    margin_y: int = 0


@dataclass(frozen=True)
class MarkTemplate:
    name: str
    alpha: AlphaMap
    logo: RGB = (255, 255, 255)
    corner: Corner = "bottom-right"
    placements: tuple[Placement, ...] = field(default=(Placement(),))

    def placement_for(self, width: int, height: int) -> Placement:
        fitting = [p for p in self.placements if width >= p.min_width and height >= p.min_height]
        if not fitting:
            return Placement()
        return max(fitting, key=lambda p: (p.min_width * p.min_height, p.min_width))

    def alpha_for(self, width: int, height: int) -> AlphaMap:
        """The alpha map at the size the mark has on a ``width`` x ``height`` image."""
        rule = self.placement_for(width, height)
        native_h, native_w = self.alpha.shape
        if rule.width is None or rule.width == native_w:
            return self.alpha
        new_w = max(1, rule.width)
        new_h = max(1, round(native_h * new_w / native_w))
        shrink = new_w < native_w
        resized = np.asarray(
            cv2.resize(
                self.alpha,
                (new_w, new_h),
                interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR,
            ),
            dtype=np.float32,
        )
        return np.clip(resized, 0.0, 1.0).astype(np.float32)

    def expected_box(self, width: int, height: int) -> tuple[int, int, int, int]:
        """``(x, y, w, h)`` of the mark on a ``width`` x ``height`` image, per the rules."""
        rule = self.placement_for(width, height)
        h, w = self.alpha_for(width, height).shape
        x = width - rule.margin_x - w if self.corner.endswith("right") else rule.margin_x
        y = height - rule.margin_y - h if self.corner.startswith("bottom") else rule.margin_y
        return x, y, w, h


def alpha_from_capture(capture: NDArray[np.uint8], logo: RGB) -> tuple[AlphaMap, tuple[int, ...]]:
    """a from a capture of the mark on black, cropped to the mark; and its box in the capture.

    Returns ``(alpha, (x, y, w, h))``. Channels where the logo is (nearly) black carry no
    information and are skipped; a logo that is black everywhere cannot be captured on
    black and is refused.
    """
    rgb = capture[..., :3].astype(np.float32)
    usable = [c for c in range(3) if logo[c] >= 16]
    if not usable:
        raise InvalidCapture(
            "a black logo cannot be captured on black; give the logo colour of the mark",
            field="logo_color",
        )
    ratios = [rgb[..., c] / float(logo[c]) for c in usable]
    alpha = np.clip(np.max(np.stack(ratios), axis=0), 0.0, 1.0).astype(np.float32)
    present = np.max(capture[..., :3], axis=2) > CAPTURE_FLOOR
    if not present.any():
        raise InvalidCapture("the capture is black everywhere: no mark found in it", field="file")
    ys, xs = np.nonzero(present)
    x0, x1, y0, y1 = int(xs.min()), int(xs.max()) + 1, int(ys.min()), int(ys.max()) + 1
    return np.ascontiguousarray(alpha[y0:y1, x0:x1]), (x0, y0, x1 - x0, y1 - y0)


def encode_alpha(alpha: AlphaMap) -> bytes:
    """A 16-bit greyscale PNG: 1/65535 steps keep reverse blending exact to < 0.01 level."""
    levels = np.rint(np.clip(alpha, 0.0, 1.0) * 65535.0).astype(np.uint16)
    ok, buf = cv2.imencode(".png", levels)
    if not ok:
        raise ValueError("could not encode the alpha map")
    return bytes(buf.tobytes())


def decode_alpha(data: bytes) -> AlphaMap:
    raw = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if raw is None or raw.ndim != 2:
        raise ValueError("the stored alpha map is not a greyscale PNG")
    scale = 65535.0 if raw.dtype == np.uint16 else 255.0
    alpha: AlphaMap = (raw.astype(np.float32) / scale).astype(np.float32)
    return alpha


def sample_star_alpha(size: int = 96, opacity: float = 0.5) -> AlphaMap:
    """The built-in sample mark: a ring around a five-pointed star, drawn procedurally.

    Drawn at 4x and averaged down, so its edges are anti-aliased like a real mark.
    """
    big = size * 4
    canvas = np.zeros((big, big), np.uint8)
    centre = (big // 2, big // 2)
    cv2.circle(canvas, centre, int(big * 0.46), 255, thickness=int(big * 0.06))
    angles = np.deg2rad(np.arange(10) * 36.0 - 90.0)
    radii = np.where(np.arange(10) % 2 == 0, big * 0.36, big * 0.15)
    points = np.stack(
        [centre[0] + radii * np.cos(angles), centre[1] + radii * np.sin(angles)], axis=1
    )
    cv2.fillPoly(canvas, [np.round(points).astype(np.int32)], 255)
    small = cv2.resize(canvas, (size, size), interpolation=cv2.INTER_AREA)
    alpha: AlphaMap = (small.astype(np.float32) / 255.0 * opacity).astype(np.float32)
    return alpha


def builtin_templates() -> list[MarkTemplate]:
    """Templates seeded into every database (migration 0002) and known to the CLI."""
    return [
        MarkTemplate(
            name="sample-star",
            alpha=sample_star_alpha(96),
            logo=(255, 255, 255),
            corner="bottom-right",
            placements=(
                Placement(0, 0, width=48, margin_x=32, margin_y=32),
                Placement(1025, 1025, width=96, margin_x=64, margin_y=64),
            ),
        )
    ]
