"""Drawing a translation into a box: font fitted by size, wrapped, shaped.

Shaping goes through Pillow's raqm layout (HarfBuzz + FriBiDi, shipped in Pillow's
wheels): Arabic is joined and laid out right to left, Devanagari conjuncts and Thai
marks are placed by the font's OpenType tables. Without raqm, complex scripts are
refused: Pillow's basic layout would draw them unjoined and in the wrong order.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont, features

from pictor.engines.localize.fonts import FontFace, load_font
from pictor.engines.localize.ocr import Align
from pictor.engines.localize.wrap import WrapMode, wrap
from pictor.errors import EngineUnavailable

Direction = Literal["ltr", "rtl"]
#: Scripts that need shaping: Arabic, Hebrew, Indic (Devanagari to Malayalam), Thai, Lao.
_COMPLEX_RANGES = (
    (0x0590, 0x08FF),
    (0x0900, 0x0DFF),
    (0x0E00, 0x0EFF),
    (0xFB1D, 0xFDFF),
    (0xFE70, 0xFEFF),
)
MIN_FONT_PX = 8
#: Baseline-to-baseline distance as a share of the font size.
LINE_PITCH = 1.25


class ShapingUnavailable(EngineUnavailable):
    """Complex-script text asked for but Pillow has no raqm layout here."""

    code = "complex_script_unavailable"


@lru_cache(maxsize=1)
def raqm_available() -> bool:
    return bool(features.check("raqm"))


def needs_shaping(text: str) -> bool:
    return any(lo <= ord(ch) <= hi for ch in text for lo, hi in _COMPLEX_RANGES)


def check_shaping(text: str) -> None:
    """Refuse complex-script text when it cannot be shaped correctly."""
    if needs_shaping(text) and not raqm_available():
        raise ShapingUnavailable(
            "this text needs complex-script shaping (Arabic, Devanagari, Thai...), but Pillow"
            " was built without raqm; install Pillow from its official wheels"
        )


@dataclass(frozen=True)
class TextStyle:
    colour: tuple[int, int, int]
    bold: bool
    align: Align
    direction: Direction
    language: str
    """BCP 47 tag passed to the shaper (affects e.g. Han glyph forms, Urdu digits)."""
    wrap: WrapMode


@dataclass(frozen=True)
class Layout:
    font: ImageFont.FreeTypeFont
    lines: list[str]
    pitch: float
    fits: bool


def _direction(style: TextStyle) -> str | None:
    return style.direction if raqm_available() else None


def _language(style: TextStyle) -> str | None:
    return style.language if raqm_available() else None


def _ink_box(
    font: ImageFont.FreeTypeFont, text: str, style: TextStyle
) -> tuple[float, float, float, float]:
    return font.getbbox(text, anchor="ls", direction=_direction(style), language=_language(style))


def layout_text(
    text: str, face: FontFace, box: tuple[int, int, int, int], style: TextStyle, max_px: int
) -> Layout:
    """The largest size (up to ``max_px``) at which ``text`` wraps to fit ``box``."""
    width = box[2] - box[0]
    height = box[3] - box[1]
    best: Layout | None = None
    lo, hi = MIN_FONT_PX, max(MIN_FONT_PX, max_px)
    while lo <= hi:
        size = (lo + hi) // 2
        candidate = _try_size(text, face, size, width, height, style)
        if candidate.fits:
            best, lo = candidate, size + 1
        else:
            hi = size - 1
    return best or _try_size(text, face, MIN_FONT_PX, width, height, style)


def _try_size(
    text: str, face: FontFace, size: int, width: int, height: int, style: TextStyle
) -> Layout:
    font = load_font(face, size, style.bold)
    direction, language = _direction(style), _language(style)

    def measure(part: str) -> float:
        return float(font.getlength(part, direction=direction, language=language))

    lines = wrap(text, measure, width, style.wrap)
    pitch = size * LINE_PITCH
    top = min(_ink_box(font, line, style)[1] for line in lines)
    bottom = max(_ink_box(font, line, style)[3] for line in lines)
    total = (len(lines) - 1) * pitch + (bottom - top)
    widest = max(measure(line) for line in lines)
    return Layout(font, lines, pitch, fits=widest <= width and total <= height)


def draw_layout(
    image: PILImage.Image, layout: Layout, box: tuple[int, int, int, int], style: TextStyle
) -> None:
    """Draw ``layout`` centred vertically in ``box``, aligned horizontally as styled."""
    draw = ImageDraw.Draw(image)
    boxes = [_ink_box(layout.font, line, style) for line in layout.lines]
    top = boxes[0][1]
    bottom = (len(layout.lines) - 1) * layout.pitch + boxes[-1][3]
    baseline = (box[1] + box[3]) / 2 - (top + bottom) / 2
    for line in layout.lines:
        if style.align == "center":
            x, anchor = (box[0] + box[2]) / 2, "ms"
        elif style.align == "right":
            x, anchor = float(box[2]), "rs"
        else:
            x, anchor = float(box[0]), "ls"
        draw.text(
            (x, baseline),
            line,
            font=layout.font,
            fill=style.colour,
            anchor=anchor,
            direction=_direction(style),
            language=_language(style),
        )
        baseline += layout.pitch
