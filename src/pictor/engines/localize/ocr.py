"""Finding text in an ad: RapidOCR (PP-OCR det/cls/rec ONNX models inside its wheel).

The ``rapidocr`` wheel carries the PP-OCRv6 small detection and recognition models and
the PP-OCR mobile angle classifier (Apache-2.0, see its MODEL_LICENSES.md); nothing is
downloaded at run time. The recogniser reads Chinese and Latin script (Japanese kanji
and most kana too), which covers the source languages of the ads we take.

Lines are grouped into blocks (a headline set on two lines is one text to translate).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from pictor.errors import EngineUnavailable

Align = Literal["left", "center", "right"]
Quad = tuple[tuple[float, float], tuple[float, float], tuple[float, float], tuple[float, float]]
#: Detection runs on the image scaled to at most this long side: ad text is large, and
#: detection time grows with pixels (boxes are scaled back to full size).
DETECT_MAX_SIDE = 1280
MIN_CONFIDENCE = 0.5
SINGLE_CHAR_CONFIDENCE = 0.9


@dataclass(frozen=True)
class TextLine:
    quad: Quad
    text: str
    confidence: float

    @property
    def rect(self) -> tuple[int, int, int, int]:
        """x0, y0, x1, y1 (exclusive) enclosing the quad."""
        xs = [p[0] for p in self.quad]
        ys = [p[1] for p in self.quad]
        return int(min(xs)), int(min(ys)), int(np.ceil(max(xs))), int(np.ceil(max(ys)))

    @property
    def height(self) -> int:
        return self.rect[3] - self.rect[1]


@dataclass
class TextBlock:
    lines: list[TextLine] = field(default_factory=list)
    align: Align = "left"

    @property
    def rect(self) -> tuple[int, int, int, int]:
        rects = [line.rect for line in self.lines]
        return (
            min(r[0] for r in rects),
            min(r[1] for r in rects),
            max(r[2] for r in rects),
            max(r[3] for r in rects),
        )

    @property
    def text(self) -> str:
        return join_lines([line.text for line in self.lines])

    @property
    def line_height(self) -> float:
        return float(np.median([line.height for line in self.lines]))


def join_lines(parts: list[str]) -> str:
    """Lines of one block as one text: spaced scripts get a space, CJK runs on."""
    out = ""
    for part in parts:
        if out and not (_is_cjk(out[-1]) and _is_cjk(part[:1])):
            out += " "
        out += part
    return out


def _is_cjk(ch: str) -> bool:
    return bool(ch) and (0x2E80 <= ord(ch) <= 0x9FFF or 0xF900 <= ord(ch) <= 0xFFEF)


class _Engine:
    """The RapidOCR engine, loaded once per process on first use (about 0.7 s)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ocr: Any = None

    def get(self) -> Any:
        with self._lock:
            if self._ocr is None:
                try:
                    from rapidocr import RapidOCR
                except ImportError as exc:  # pragma: no cover - a dependency
                    raise EngineUnavailable(f"rapidocr is not installed ({exc})") from exc
                self._ocr = RapidOCR(params={"Global.log_level": "warning"})
            return self._ocr


_ENGINE = _Engine()


def detect_lines(rgb: NDArray[np.uint8]) -> list[TextLine]:
    """Text lines of an RGB image, with their quads in its pixel coordinates."""
    import cv2

    height, width = rgb.shape[:2]
    scale = min(1.0, DETECT_MAX_SIDE / max(height, width))
    small = rgb
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        small = np.asarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), np.uint8)
    result = _ENGINE.get()(np.ascontiguousarray(small[:, :, ::-1]))
    boxes = getattr(result, "boxes", None)
    if boxes is None:
        return []
    lines: list[TextLine] = []
    for box, text, score in zip(boxes, result.txts, result.scores, strict=True):
        if not _plausible(str(text).strip(), float(score)):
            continue
        points = [(float(x) / scale, float(y) / scale) for x, y in box]
        quad: Quad = (points[0], points[1], points[2], points[3])
        lines.append(TextLine(quad, str(text).strip(), float(score)))
    return lines


RGB = tuple[int, int, int]
#: Lines whose text colours differ more than this (Euclidean RGB) are separate blocks.
COLOUR_DISTANCE = 60.0


def _plausible(text: str, score: float) -> bool:
    """Shapes read as text (a disc as "O" or "●") come back as lone symbols or letters
    with middling confidence; real copy has letters or digits, and lone ones are sure."""
    if score < MIN_CONFIDENCE or not any(ch.isalnum() for ch in text):
        return False
    return len(text) > 1 or score >= SINGLE_CHAR_CONFIDENCE


def group_blocks(
    lines: list[TextLine], image_width: int, colours: list[RGB | None] | None = None
) -> list[TextBlock]:
    """Lines stacked closely, with similar heights and colours and overlapping spans,
    form a block (``colours[i]`` is the text colour of ``lines[i]``, if known)."""
    colour_of = {id(line): (colours[i] if colours else None) for i, line in enumerate(lines)}
    blocks: list[TextBlock] = []
    for line in sorted(lines, key=lambda ln: (ln.rect[1], ln.rect[0])):
        target = next(
            (
                b
                for b in blocks
                if _continues(b, line)
                and _same_colour(colour_of[id(b.lines[-1])], colour_of[id(line)])
            ),
            None,
        )
        if target is None:
            blocks.append(TextBlock([line]))
        else:
            target.lines.append(line)
    for block in blocks:
        block.align = _alignment(block, image_width)
    return blocks


def _same_colour(a: RGB | None, b: RGB | None) -> bool:
    if a is None or b is None:
        return True
    return bool(sum((x - y) ** 2 for x, y in zip(a, b, strict=True)) ** 0.5 <= COLOUR_DISTANCE)


def _continues(block: TextBlock, line: TextLine) -> bool:
    last = block.lines[-1]
    lx0, _, lx1, ly1 = last.rect
    x0, y0, x1, _ = line.rect
    height = max(last.height, line.height, 1)
    similar = min(last.height, line.height) / height > 0.8
    gap = y0 - ly1
    overlap = min(lx1, x1) - max(lx0, x0)
    return similar and -0.3 * height <= gap <= 0.6 * height and overlap > 0


def _alignment(block: TextBlock, image_width: int) -> Align:
    """From the lines' edges in the block, or for one line from its place in the image."""
    x0, _, x1, _ = block.rect
    if len(block.lines) > 1:
        tol = 0.04 * (x1 - x0) + 2
        lefts = [ln.rect[0] for ln in block.lines]
        rights = [ln.rect[2] for ln in block.lines]
        centres = [(ln.rect[0] + ln.rect[2]) / 2 for ln in block.lines]
        if max(lefts) - min(lefts) <= tol:
            return "left"
        if max(centres) - min(centres) <= tol:
            return "center"
        if max(rights) - min(rights) <= tol:
            return "right"
        return "left"
    centre = (x0 + x1) / 2
    if abs(centre - image_width / 2) <= 0.04 * image_width:
        return "center"
    if x0 - 0 > image_width - x1 and centre > image_width / 2:
        return "right"
    return "left"
