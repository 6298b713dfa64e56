"""Fonts for re-rendered text: open-licensed Noto families installed from PyPI.

Every face is a variable font (``wght`` axis, some also ``wdth``), so one file gives
both the regular and the bold weight. A font is chosen for a string only if its cmap
covers every character of it; nothing is ever drawn with a missing-glyph box.

Packages (fonts under the SIL Open Font License 1.1, each with its OFL.txt):
``fontpkg-noto-sans`` (Latin, Cyrillic, Greek, Vietnamese), ``justmytype-intl-cjk``
(Noto Sans JP/KR/SC/TC), ``justmytype-intl-rtl`` (Noto Sans Arabic),
``justmytype-intl-south-asia`` (Noto Sans Devanagari), ``justmytype-intl-sea``
(Noto Sans Thai).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from PIL import ImageFont

from pictor.errors import PictorError


class FontCoverageMissing(PictorError):
    """No installed font has a glyph for every character of a text to render."""

    code = "font_coverage_missing"


@dataclass(frozen=True)
class FontFace:
    family: str
    package: str
    """The importable package that ships the file."""
    relative: str

    @property
    def path(self) -> Path:
        return Path(str(resources.files(self.package).joinpath(self.relative)))


_OFL = "fonts/ofl"
FACES: tuple[FontFace, ...] = (
    FontFace("Noto Sans", "fontpkg_noto_sans", "files/NotoSans[wdth,wght].ttf"),
    FontFace(
        "Noto Sans Arabic",
        "justmytype_intl_rtl",
        f"{_OFL}/notosansarabic/NotoSansArabic[wdth,wght].ttf",
    ),
    FontFace(
        "Noto Sans Devanagari",
        "justmytype_intl_south_asia",
        f"{_OFL}/notosansdevanagari/NotoSansDevanagari[wdth,wght].ttf",
    ),
    FontFace(
        "Noto Sans Thai", "justmytype_intl_sea", f"{_OFL}/notosansthai/NotoSansThai[wdth,wght].ttf"
    ),
    FontFace("Noto Sans JP", "justmytype_intl_cjk", f"{_OFL}/notosansjp/NotoSansJP[wght].ttf"),
    FontFace("Noto Sans KR", "justmytype_intl_cjk", f"{_OFL}/notosanskr/NotoSansKR[wght].ttf"),
    FontFace("Noto Sans SC", "justmytype_intl_cjk", f"{_OFL}/notosanssc/NotoSansSC[wght].ttf"),
    FontFace("Noto Sans TC", "justmytype_intl_cjk", f"{_OFL}/notosanstc/NotoSansTC[wght].ttf"),
)
_BY_FAMILY = {face.family.lower(): face for face in FACES}
#: Other names the catalog may use for the same families (Noto's CJK naming).
_ALIASES = {
    "noto sans cjk jp": "noto sans jp",
    "noto sans cjk kr": "noto sans kr",
    "noto sans cjk sc": "noto sans sc",
    "noto sans cjk tc": "noto sans tc",
    "noto naskh arabic": "noto sans arabic",
}
#: Preferred family per language id (Han forms differ by region, so CJK is by language).
_PREFERRED = {
    "japanese": "Noto Sans JP",
    "korean": "Noto Sans KR",
    "chinese_simplified": "Noto Sans SC",
    "chinese_traditional": "Noto Sans TC",
    "arabic": "Noto Sans Arabic",
    "hindi": "Noto Sans Devanagari",
    "thai": "Noto Sans Thai",
}
#: Characters that are never drawn as glyphs (spaces, joiners, marks of layout).
_INVISIBLE = {"Cc", "Cf", "Zs", "Zl", "Zp"}


@cache
def _cmap(face: FontFace) -> frozenset[int]:
    font = TTFont(str(face.path), lazy=True)
    try:
        return frozenset(font.getBestCmap())
    finally:
        font.close()


def missing_characters(face: FontFace, text: str) -> list[str]:
    """Characters of ``text`` with no glyph in ``face`` (spaces and controls excepted)."""
    cmap = _cmap(face)
    return sorted(
        {ch for ch in text if ord(ch) not in cmap and unicodedata.category(ch) not in _INVISIBLE}
    )


def covers(face: FontFace, text: str) -> bool:
    return not missing_characters(face, text)


def installed_faces() -> list[FontFace]:
    """The faces whose files are present (a package may be missing on a trimmed install)."""
    return [face for face in FACES if face.path.is_file()]


def _candidates(language_id: str, catalog_fonts: tuple[str, ...]) -> list[FontFace]:
    order: list[FontFace] = []
    names = [*catalog_fonts, _PREFERRED.get(language_id, "Noto Sans")]
    for name in names:
        key = _ALIASES.get(name.lower(), name.lower())
        face = _BY_FAMILY.get(key)
        if face is not None and face not in order:
            order.append(face)
    order += [face for face in FACES if face not in order]
    return [face for face in order if face.path.is_file()]


def choose_font(text: str, language_id: str, catalog_fonts: tuple[str, ...] = ()) -> FontFace:
    """The first installed face, in the language's order of preference, covering ``text``.

    Raises FontCoverageMissing naming the characters no installed font can draw.
    """
    candidates = _candidates(language_id, catalog_fonts)
    for face in candidates:
        if covers(face, text):
            return face
    lacking = sorted({ch for face in candidates[:1] for ch in missing_characters(face, text)})
    shown = " ".join(f"U+{ord(ch):04X}" for ch in lacking[:10])
    raise FontCoverageMissing(
        f"no installed font can draw every character of {text[:40]!r} ({language_id});"
        f" missing: {shown or 'no font installed'}",
        details={"language": language_id, "missing": [f"U+{ord(c):04X}" for c in lacking]},
    )


@lru_cache(maxsize=256)
def load_font(face: FontFace, size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """The face at ``size`` px, Regular or Bold instance; cached per process."""
    font = ImageFont.truetype(str(face.path), size, layout_engine=ImageFont.Layout.RAQM)
    font.set_variation_by_name("Bold" if bold else "Regular")
    return font
