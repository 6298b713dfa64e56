"""The CPU half of the relayout localizer: find text, erase it, draw translations, fit.

Both entry points take and return plain picklable values, so they run in the job's
worker pool (``CpuRunner``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from pictor.engines.inpaint.opencv import OpenCvInpainter
from pictor.engines.localize.fit import FitMode, Rect, output_size, place, resize, scale_for
from pictor.engines.localize.fonts import choose_font
from pictor.engines.localize.ocr import Align, TextBlock, TextLine, detect_lines, group_blocks
from pictor.engines.localize.render import TextStyle, check_shaping, draw_layout, layout_text
from pictor.engines.localize.style import sample_ink
from pictor.engines.localize.wrap import wrap_mode
from pictor.images.decode import decode_image
from pictor.images.encode import OutputFormat, encode_image
from pictor.images.limits import HARD_MAX_SIDE, ImageLimits
from pictor.localization.catalog import Language

#: The upload was validated at submit time; this only guards against absurd inputs.
_LIMITS = ImageLimits(max_bytes=200_000_000, min_side=1, max_side=HARD_MAX_SIDE)
#: The largest font drawn, against the detected line height (detection boxes run
#: 0.9-1.2 font sizes tall depending on ascenders and descenders).
MAX_SIZE_PER_LINE = 1.2


@dataclass(frozen=True)
class Unit:
    """One text to replace: a block, or one line of a block translated line by line."""

    lines: tuple[TextLine, ...]
    source: str
    align: Align


@dataclass(frozen=True)
class Replacement:
    unit: Unit
    target: str


@dataclass
class Composed:
    data: bytes
    content_type: str
    width: int
    height: int
    warnings: list[str] = field(default_factory=list)
    fonts: dict[str, str] = field(default_factory=dict)


def decode_rgb(data: bytes) -> tuple[NDArray[np.uint8], str]:
    decoded = decode_image(data, _LIMITS)
    image = decoded.image
    if image.mode == "RGBA":
        # Text sits on the visible picture; transparent areas are flattened on white.
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    return np.asarray(image.convert("RGB")), decoded.format


def find_blocks(data: bytes) -> list[TextBlock]:
    """The text blocks of an image (coordinates of the image as uploaded)."""
    rgb, _ = decode_rgb(data)
    lines = detect_lines(rgb)
    h, w = rgb.shape[:2]
    colours: list[tuple[int, int, int] | None] = []
    for line in lines:
        rect = _clip(line.rect, w, h)
        sample = sample_ink(rgb, _quad_mask((h, w), (line,)), rect, line.height)
        colours.append(sample.colour if sample is not None else None)
    return group_blocks(lines, w, colours)


def _scaled_line(line: TextLine, scale: float) -> TextLine:
    p = line.quad
    quad = (
        (p[0][0] * scale, p[0][1] * scale),
        (p[1][0] * scale, p[1][1] * scale),
        (p[2][0] * scale, p[2][1] * scale),
        (p[3][0] * scale, p[3][1] * scale),
    )
    return TextLine(quad, line.text, line.confidence)


def _quad_mask(shape: tuple[int, int], lines: tuple[TextLine, ...]) -> NDArray[np.uint8]:
    mask = np.zeros(shape, np.uint8)
    for line in lines:
        cv2.fillPoly(mask, [np.round(np.array(line.quad)).astype(np.int32)], 255)
    return mask


def _clip(rect: Rect, width: int, height: int) -> Rect:
    x0, y0, x1, y1 = rect
    return max(0, x0), max(0, y0), min(width, x1), min(height, y1)


def _unit_rect(lines: tuple[TextLine, ...], width: int, height: int) -> Rect:
    rects = [line.rect for line in lines]
    box = (min(r[0] for r in rects), min(r[1] for r in rects))
    return _clip((*box, max(r[2] for r in rects), max(r[3] for r in rects)), width, height)


@dataclass
class _Prepared:
    rect: Rect
    colour: tuple[int, int, int]
    bold: bool
    line_height: float


def _erase_mask(
    rgb: NDArray[np.uint8], lines: tuple[TextLine, ...], rect: Rect, erase: NDArray[np.uint8]
) -> _Prepared:
    """Mark the unit's ink in ``erase`` and return how its text looked."""
    h, w = rgb.shape[:2]
    quads = _quad_mask((h, w), lines)
    line_height = float(np.median([ln.height for ln in lines]))
    empty = rect[2] <= rect[0] or rect[3] <= rect[1]
    sample = None if empty else sample_ink(rgb, quads, rect, line_height)
    if sample is None:
        grow = max(2, round(line_height * 0.12))
        kernel = np.ones((2 * grow + 1, 2 * grow + 1), np.uint8)
        erase |= np.asarray(cv2.dilate(quads, kernel), np.uint8)
        lum = float(np.mean(rgb[rect[1] : rect[3], rect[0] : rect[2]]))
        colour = (20, 20, 20) if lum > 128 else (245, 245, 245)
        return _Prepared(rect, colour, False, line_height)
    grow = max(2, round(sample.stroke_px / 2) + 2)
    kernel = np.ones((2 * grow + 1, 2 * grow + 1), np.uint8)
    ink = np.asarray(cv2.dilate(sample.ink, kernel), np.uint8)
    x0, y0, x1, y1 = rect
    erase[y0:y1, x0:x1] |= ink
    return _Prepared(rect, sample.colour, sample.bold, line_height)


def compose(
    data: bytes,
    replacements: list[Replacement],
    target: Language | None,
    image_size: str,
    aspect_ratio: str,
    fit: FitMode,
    inpaint_radius: int = 4,
) -> Composed:
    """Erase the replaced texts, draw their translations and fit to the output size.

    Work happens at output scale so the new text is drawn sharp at 4K.
    """
    for item in replacements:
        check_shaping(item.target)
    rgb, fmt = decode_rgb(data)
    h, w = rgb.shape[:2]
    out = output_size(w, h, image_size, aspect_ratio)
    scale = scale_for(w, h, out, fit)
    rgb = resize(rgb, scale)
    h, w = rgb.shape[:2]
    erase = np.zeros((h, w), np.uint8)
    prepared: list[tuple[Replacement, _Prepared]] = []
    for item in replacements:
        lines = tuple(_scaled_line(line, scale) for line in item.unit.lines)
        rect = _unit_rect(lines, w, h)
        prepared.append((item, _erase_mask(rgb, lines, rect, erase)))
    if prepared:
        rgb = OpenCvInpainter("telea", radius=inpaint_radius).inpaint(rgb, erase)
    warnings: list[str] = []
    fonts: dict[str, str] = {}
    if target is not None and prepared:
        rgb = _draw(rgb, prepared, target, warnings, fonts)
    boxes = [p.rect for _, p in prepared]
    final = place(rgb, out, fit, boxes)
    out_fmt: OutputFormat = "jpeg" if fmt == "jpeg" else "png"
    encoded = encode_image(final, out_fmt, quality=92)
    return Composed(
        encoded,
        "image/jpeg" if out_fmt == "jpeg" else "image/png",
        final.shape[1],
        final.shape[0],
        warnings=warnings,
        fonts=fonts,
    )


def _draw(
    rgb: NDArray[np.uint8],
    prepared: list[tuple[Replacement, _Prepared]],
    target: Language,
    warnings: list[str],
    fonts: dict[str, str],
) -> NDArray[np.uint8]:
    image = Image.fromarray(np.ascontiguousarray(rgb))
    mode = wrap_mode(target.id, target.script)
    for item, prep in prepared:
        face = choose_font(item.target, target.id, tuple(target.fonts))
        fonts[item.target] = face.family
        style = TextStyle(
            prep.colour, prep.bold, item.unit.align, target.direction, target.code, mode
        )
        max_px = max(8, round(prep.line_height * MAX_SIZE_PER_LINE))
        layout = layout_text(item.target, face, prep.rect, style, max_px)
        if not layout.fits:
            warnings.append(f"{item.target[:30]!r} does not fit its box even at the smallest size")
        draw_layout(image, layout, prep.rect, style)
    return np.asarray(image)
