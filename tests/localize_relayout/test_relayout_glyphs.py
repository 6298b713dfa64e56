"""Every catalog language renders with real glyphs; complex scripts are shaped."""
# ruff: noqa: RUF001 - the samples are real text in many scripts

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from tests.localize_relayout.ads import language

from pictor.engines.localize import render
from pictor.engines.localize.fonts import FACES, FontCoverageMissing, choose_font, load_font
from pictor.engines.localize.render import ShapingUnavailable, check_shaping
from pictor.engines.localize.wrap import graphemes
from pictor.localization.catalog import load_catalog

#: One ad-like sentence per language, with digits, currency and punctuation.
SAMPLES = {
    "english": "Summer sale: up to 50% off, today only! $19.99",
    "japanese": "夏のセール：最大50%オフ、本日限り！ ¥1,980",
    "korean": "여름 세일: 최대 50% 할인, 오늘만! ₩19,900",
    "german": "Sommerschlussverkauf: bis zu 50 % Rabatt – nur heute! 19,99 €",
    "french": "Soldes d'été : jusqu'à -50 %, aujourd'hui seulement ! 19,99 €",
    "spanish": "Rebajas de verano: ¡hasta un 50 % de descuento, solo hoy! 19,99 €",
    "italian": "Saldi estivi: fino al 50% di sconto, solo oggi! 19,99 €",
    "portuguese": "Promoção de verão: até 50% de desconto, só hoje! R$ 19,99",
    "chinese_simplified": "夏季特卖：低至五折，仅限今日！ ¥199",
    "chinese_traditional": "夏季特賣：低至五折，僅限今日！ NT$199",
    "arabic": "تخفيضات الصيف: خصم حتى ٥٠٪، اليوم فقط! ١٩٫٩٩ ر.س",
    "russian": "Летняя распродажа: скидки до 50%, только сегодня! 1 990 ₽",
    "thai": "ลดราคาฤดูร้อน สูงสุด 50% วันนี้เท่านั้น! ฿199",
    "vietnamese": "Giảm giá mùa hè: lên đến 50%, chỉ hôm nay! 199.000 ₫",
    "indonesian": "Diskon musim panas: hingga 50%, hanya hari ini! Rp199.000",
    "hindi": "ग्रीष्मकालीन सेल: 50% तक की छूट, केवल आज! ₹1,999",
}


def _bitmap(font: ImageFont.FreeTypeFont, text: str, direction: str | None) -> np.ndarray:
    image = Image.new("L", (font.size * (len(text) + 4), font.size * 3), 0)
    ImageDraw.Draw(image).text((font.size, font.size), text, font=font, fill=255,
                               direction=direction)  # fmt: skip
    array = np.asarray(image)
    rows, cols = np.flatnonzero(array.any(1)), np.flatnonzero(array.any(0))
    if not len(rows):
        return array[:0, :0]
    return array[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def test_every_catalog_language_has_a_sample_sentence() -> None:
    assert set(load_catalog().languages) <= set(SAMPLES)


@pytest.mark.parametrize("language_id", sorted(set(SAMPLES) | set(load_catalog().languages)))
def test_the_chosen_font_draws_every_character_with_a_real_glyph(language_id: str) -> None:
    lang = language(language_id)
    text = SAMPLES[language_id]
    face = choose_font(text, lang.id, tuple(lang.fonts))
    font = load_font(face, 40)
    notdef = _bitmap(font, "\U000f0000", "ltr")  # a private-use code point: .notdef
    assert notdef.size, "the .notdef glyph draws a box"
    for cluster in graphemes(text):
        if cluster.isspace():
            continue
        drawn = _bitmap(font, cluster, lang.direction)
        assert drawn.size, f"{cluster!r} drew nothing in {face.family}"
        same_box = drawn.shape == notdef.shape and np.array_equal(drawn, notdef)
        assert not same_box, f"{cluster!r} fell back to .notdef in {face.family}"


def test_a_font_lacking_characters_is_never_chosen() -> None:
    with pytest.raises(FontCoverageMissing) as caught:
        choose_font("Sale \U0001e900", "english")  # Adlam: no installed font has it
    assert "U+1E900" in caught.value.message


def test_japanese_prefers_the_japanese_font_and_latin_the_latin_one() -> None:
    assert choose_font("今日", "japanese").family == "Noto Sans JP"
    assert choose_font("今日", "chinese_simplified").family == "Noto Sans SC"
    assert choose_font("Heute", "german").family == "Noto Sans"
    assert choose_font("مرحبا", "arabic").family == "Noto Sans Arabic"


def test_arabic_is_joined_and_laid_out_right_to_left() -> None:
    face = next(f for f in FACES if f.family == "Noto Sans Arabic")
    shaped = load_font(face, 48)
    word = "مرحبا"
    basic = ImageFont.truetype(str(face.path), 48, layout_engine=ImageFont.Layout.BASIC)
    joined = _bitmap(shaped, word, "rtl")
    isolated = _bitmap(basic, word, None)  # basic layout: no shaping, no bidi
    # Joined forms connect: one connected run of ink, narrower than isolated letters.
    assert joined.shape[1] < isolated.shape[1]
    # Right to left: dropping the first (logical) letter changes the right end only;
    # drawn left to right (no bidi), it would change the left end.
    assert _left_half_kept(shaped, word, "rtl") > 0.9
    assert _left_half_kept(basic, word, None) < 0.8


def _left_half_kept(font: ImageFont.FreeTypeFont, word: str, direction: str | None) -> float:
    full = _bitmap(font, word, direction)
    rest = _bitmap(font, word[1:], direction)
    assert rest.shape[1] < full.shape[1]
    half = rest.shape[1] // 2
    h = min(full.shape[0], rest.shape[0])
    return float(((full[-h:, :half] > 0) == (rest[-h:, :half] > 0)).mean())


def test_complex_scripts_are_refused_without_raqm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render.features, "check", lambda name: False)
    render.raqm_available.cache_clear()
    try:
        with pytest.raises(ShapingUnavailable):
            check_shaping("تسوق الآن")
        check_shaping("Jetzt kaufen")  # Latin needs no shaping
    finally:
        render.raqm_available.cache_clear()
