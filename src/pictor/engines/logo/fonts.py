"""Open-licensed typefaces installed from PyPI, and text turned into outlines."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

from fontTools.pens.recordingPen import (  # type: ignore[import-untyped]
    DecomposingRecordingPen,
    RecordingPen,
)
from fontTools.pens.svgPathPen import SVGPathPen  # type: ignore[import-untyped]
from fontTools.pens.transformPen import TransformPen  # type: ignore[import-untyped]
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

from pictor.engines.logo.kerning import Kerning
from pictor.engines.logo.svg import num

OFL = "SIL Open Font License 1.1"


@dataclass(frozen=True)
class FontFace:
    key: str
    family: str
    weight: str
    category: str  # sans, serif, display
    package: str
    filename: str
    license: str = OFL

    def describe(self) -> dict[str, str]:
        return {
            "family": self.family,
            "weight": self.weight,
            "category": self.category,
            "license": self.license,
            "source": f"PyPI package {self.package.replace('_', '-')}",
        }


def _face(key: str, family: str, weight: str, category: str, package: str, file: str) -> FontFace:
    return FontFace(key, family, weight, category, package, file)


FACES: dict[str, FontFace] = {
    f.key: f
    for f in (
        _face(
            "sans-light",
            "Source Sans Pro",
            "Light",
            "sans",
            "font_source_sans_pro",
            "SourceSansPro-Light.ttf",
        ),
        _face(
            "sans-regular",
            "Source Sans Pro",
            "Regular",
            "sans",
            "font_source_sans_pro",
            "SourceSansPro-Regular.ttf",
        ),
        _face(
            "sans-semibold",
            "Source Sans Pro",
            "Semibold",
            "sans",
            "font_source_sans_pro",
            "SourceSansPro-Semibold.ttf",
        ),
        _face(
            "sans-black",
            "Source Sans Pro",
            "Black",
            "sans",
            "font_source_sans_pro",
            "SourceSansPro-Black.ttf",
        ),
        _face(
            "serif-regular",
            "Source Serif Pro",
            "Regular",
            "serif",
            "font_source_serif_pro",
            "SourceSerifPro-Regular.ttf",
        ),
        _face(
            "serif-semibold",
            "Source Serif Pro",
            "Semibold",
            "serif",
            "font_source_serif_pro",
            "SourceSerifPro-Semibold.ttf",
        ),
        _face(
            "serif-bold",
            "Source Serif Pro",
            "Bold",
            "serif",
            "font_source_serif_pro",
            "SourceSerifPro-Bold.ttf",
        ),
        _face(
            "grotesk-light",
            "Hanken Grotesk",
            "Light",
            "sans",
            "font_hanken_grotesk",
            "HankenGrotesk-Light.otf",
        ),
        _face(
            "grotesk-medium",
            "Hanken Grotesk",
            "Medium",
            "sans",
            "font_hanken_grotesk",
            "HankenGrotesk-Medium.otf",
        ),
        _face(
            "grotesk-bold",
            "Hanken Grotesk",
            "Bold",
            "sans",
            "font_hanken_grotesk",
            "HankenGrotesk-Bold.otf",
        ),
        _face(
            "rounded",
            "Fredoka One",
            "Regular",
            "display",
            "font_fredoka_one",
            "FredokaOne-Regular.ttf",
        ),
    )
}

#: Used for characters the chosen face lacks.
FALLBACK = "sans-regular"


@dataclass
class LoadedFont:
    face: FontFace
    font: TTFont
    cmap: dict[int, str]
    advances: dict[str, tuple[int, int]]
    units: float
    ascender: float
    descender: float
    cap_height: float
    kerning: Kerning
    outlines: dict[str, RecordingPen]


@functools.cache
def load(key: str) -> LoadedFont:
    """A face, parsed on first use and kept for the life of the process."""
    face = FACES[key]
    path = resources.files(face.package).joinpath("files", face.filename)
    font = TTFont(str(path), lazy=True)
    os2 = font["OS/2"]
    units = float(font["head"].unitsPerEm)
    cap = float(getattr(os2, "sCapHeight", 0) or 0.7 * units)
    return LoadedFont(
        face=face,
        font=font,
        cmap=font.getBestCmap(),
        advances=font["hmtx"].metrics,
        units=units,
        ascender=float(font["hhea"].ascent),
        descender=float(font["hhea"].descent),
        cap_height=cap,
        kerning=Kerning(font),
        outlines={},
    )


def _outline(loaded: LoadedFont, glyph: str) -> RecordingPen:
    pen = loaded.outlines.get(glyph)
    if pen is None:
        glyphs = loaded.font.getGlyphSet()
        # Accented letters are composites: decompose now so replaying needs no glyph set.
        pen = DecomposingRecordingPen(glyphs)
        glyphs[glyph].draw(pen)
        loaded.outlines[glyph] = pen
    return pen


@dataclass(frozen=True)
class TextRun:
    """Text as one SVG path: baseline at y=0, starting at x=0, in output units."""

    d: str
    width: float
    cap_height: float
    descent: float
    missing: tuple[str, ...]


def outline_text(text: str, key: str, size: float, tracking: float = 0.0) -> TextRun:
    """``text`` set in face ``key`` at ``size`` (em), kerned, letter-spaced by ``tracking`` em."""
    main = load(key)
    fallback = load(FALLBACK)
    pen = SVGPathPen(None, ntos=num)
    x = 0.0
    previous: str | None = None
    missing: list[str] = []
    for char in text:
        loaded = main
        glyph = main.cmap.get(ord(char))
        if glyph is None:
            loaded, glyph = fallback, fallback.cmap.get(ord(char))
        if glyph is None:
            missing.append(char)
            continue
        scale = size / loaded.units
        if previous is not None and loaded is main:
            x += main.kerning.pair(previous, glyph) * scale
        _outline(loaded, glyph).replay(TransformPen(pen, (scale, 0, 0, -scale, x, 0)))
        x += loaded.advances[glyph][0] * scale + tracking * size
        previous = glyph if loaded is main else None
    width = max(0.0, x - (tracking * size if text else 0.0))
    return TextRun(
        d=pen.getCommands(),
        width=width,
        cap_height=main.cap_height * size / main.units,
        descent=-main.descender * size / main.units,
        missing=tuple(missing),
    )
