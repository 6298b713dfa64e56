"""Synthetic ads for the relayout tests and bench: a background, a product, text blocks."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from pictor.engines.localize.fonts import FACES, load_font
from pictor.localization.catalog import Language, load_catalog

LATIN = FACES[0]


@dataclass(frozen=True)
class Placed:
    text: str
    box: tuple[int, int, int, int]
    colour: tuple[int, int, int]
    bold: bool


#: The English copy of the synthetic ad, with relative positions and sizes.
AD_COPY = (
    ("SUMMER SALE", 0.06, 0.06, 0.085, (25, 30, 90), True),
    ("New running shoes", 0.06, 0.20, 0.05, (255, 255, 255), False),
    ("Up to 50% off", 0.06, 0.30, 0.055, (200, 30, 40), True),
    ("Free delivery", 0.06, 0.78, 0.04, (30, 30, 30), False),
    ("Shop now", 0.06, 0.88, 0.045, (255, 255, 255), True),
)


def make_ad(
    width: int = 1000, height: int = 1000, copy: tuple = AD_COPY
) -> tuple[bytes, list[Placed]]:
    """A PNG ad: vertical gradient, a product shape at the right, text blocks at the left."""
    ys = np.linspace(0, 1, height)[:, None, None]
    top = np.array([250, 210, 140], float)
    bottom = np.array([120, 170, 200], float)
    grad = (top * (1 - ys) + bottom * ys).repeat(width, axis=1)
    image = Image.fromarray(grad.astype(np.uint8))
    draw = ImageDraw.Draw(image)
    s = min(width, height)
    draw.ellipse(
        (int(width * 0.58), int(height * 0.35), int(width * 0.95), int(height * 0.72)),
        fill=(60, 60, 70),
    )
    draw.rectangle(
        (int(width * 0.62), int(height * 0.45), int(width * 0.9), int(height * 0.6)),
        fill=(230, 90, 40),
    )
    placed: list[Placed] = []
    for text, fx, fy, fsize, colour, bold in copy:
        font = load_font(LATIN, max(8, round(s * fsize)), bold)
        xy = (int(width * fx), int(height * fy))
        draw.text(xy, text, font=font, fill=colour)
        box = tuple(int(v) for v in draw.textbbox(xy, text, font=font))
        placed.append(Placed(text, box, colour, bold))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue(), placed


def plain_photo(width: int = 640, height: int = 480) -> bytes:
    ys = np.linspace(0, 1, height)[:, None, None]
    grad = np.array([90, 140, 200], float) * (1 - ys) + np.array([200, 220, 240], float) * ys
    image = Image.fromarray(grad.repeat(width, axis=1).astype(np.uint8))
    ImageDraw.Draw(image).ellipse((200, 150, 440, 390), fill=(240, 180, 60))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


#: Languages by id, as in the catalog (used when the catalog lacks one yet).
_FALLBACK = {
    "english": ("en-US", "Latin", "ltr"),
    "japanese": ("ja-JP", "Japanese", "ltr"),
    "korean": ("ko-KR", "Hangul", "ltr"),
    "german": ("de-DE", "Latin", "ltr"),
    "french": ("fr-FR", "Latin", "ltr"),
    "spanish": ("es-ES", "Latin", "ltr"),
    "italian": ("it-IT", "Latin", "ltr"),
    "portuguese": ("pt-BR", "Latin", "ltr"),
    "chinese_simplified": ("zh-Hans-CN", "Han (Simplified)", "ltr"),
    "chinese_traditional": ("zh-Hant-TW", "Han (Traditional)", "ltr"),
    "arabic": ("ar", "Arabic", "rtl"),
    "russian": ("ru-RU", "Cyrillic", "ltr"),
    "thai": ("th-TH", "Thai", "ltr"),
    "vietnamese": ("vi-VN", "Latin", "ltr"),
    "indonesian": ("id-ID", "Latin", "ltr"),
    "hindi": ("hi-IN", "Devanagari", "ltr"),
}


def language(language_id: str) -> Language:
    catalog = load_catalog()
    if language_id in catalog.languages:
        return catalog.languages[language_id]
    code, script, direction = _FALLBACK[language_id]
    return Language(
        id=language_id,
        code=code,
        english_name=language_id.title(),
        native_name=language_id,
        script=script,
        direction=direction,  # type: ignore[arg-type]
        default_market="usa",
        fonts=[],
    )
