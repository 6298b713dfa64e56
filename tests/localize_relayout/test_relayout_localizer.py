"""The relayout localizer end to end on synthetic ads, with user translations."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import pytest
from PIL import Image
from tests.localize_relayout.ads import AD_COPY, language, make_ad, plain_photo

from pictor.engines.localize.base import LocalizeRequest
from pictor.engines.localize.ocr import detect_lines
from pictor.engines.localize.relayout import RelayoutLocalizer
from pictor.localization.catalog import load_catalog

T = TypeVar("T")

TRANSLATIONS = {
    "japanese": [
        "サマーセール",
        "新しいランニングシューズ",
        "最大50%オフ",
        "送料無料",
        "今すぐ購入",
    ],
    "arabic": ["تخفيضات الصيف", "أحذية جري جديدة", "خصم حتى 50%", "توصيل مجاني", "تسوق الآن"],
    "hindi": ["ग्रीष्मकालीन सेल", "नए रनिंग जूते", "50% तक की छूट", "मुफ़्त डिलीवरी", "अभी खरीदें"],
    "thai": ["ลดราคาฤดูร้อน", "รองเท้าวิ่งรุ่นใหม่", "ลดสูงสุด 50%", "จัดส่งฟรี", "ซื้อเลย"],
    "german": [
        "SOMMERSALE",
        "Neue Laufschuhe",
        "Bis zu 50 % Rabatt",
        "Gratis Lieferung",
        "Jetzt kaufen",
    ],
}


async def inline(fn: Callable[..., T], *args: Any) -> T:
    """A CpuRunner that runs the work on the calling thread."""
    return fn(*args)


def request(image: bytes, target: str, translations: dict[str, str], **kw: Any) -> LocalizeRequest:
    catalog = load_catalog()
    market = next(iter(catalog.markets.values()))
    return LocalizeRequest(
        image=image,
        source_language=language("english"),
        target_language=language(target),
        market=market,
        translations=translations,
        **kw,
    )


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


@pytest.fixture(scope="module")
def ad() -> tuple[bytes, list]:
    return make_ad(1000, 1000)


@pytest.mark.parametrize("target", sorted(TRANSLATIONS))
async def test_user_translations_replace_the_text_in_place(target: str, ad: tuple) -> None:
    data, placed = ad
    # Keys in lower case: matching ignores case when no exact match exists.
    pairs = zip(AD_COPY, TRANSLATIONS[target], strict=True)
    table = {copy[0].lower(): text for copy, text in pairs}
    out = await RelayoutLocalizer().localize(request(data, target, table), inline)
    assert out.engine == "relayout:rapidocr+user"
    assert out.details["untranslated"] == []
    assert {t["target"] for t in out.details["translated"]} == set(TRANSLATIONS[target])
    assert (out.width, out.height) == (1024, 1024)
    rgb = pixels(out.data)
    found = " ".join(line.text for line in detect_lines(rgb)).lower()
    for item in placed:
        # The English copy is gone ...
        assert item.text.lower() not in found
        # ... and new text in the original colour stands where it was.
        x0, y0, x1, y1 = (round(v * 1.024) for v in item.box)
        region = rgb[y0:y1, x0 : x1 + 40].astype(int)
        close = np.abs(region - np.array(item.colour)).sum(axis=2) < 60
        assert close.sum() > 0.03 * close.size, item.text
    if target == "german":
        for text in ("neue laufschuhe", "jetzt kaufen", "gratis lieferung"):
            assert text in found


async def test_missing_translations_leave_the_text_and_list_it(ad: tuple) -> None:
    data, _ = ad
    out = await RelayoutLocalizer().localize(
        request(data, "german", {"Shop now": "Jetzt kaufen"}), inline
    )
    untranslated = {u["source"] for u in out.details["untranslated"]}
    assert untranslated == {"SUMMER SALE", "New running shoes", "Up to 50% off", "Free delivery"}
    found = " ".join(line.text for line in detect_lines(pixels(out.data))).lower()
    assert "summer sale" in found and "free delivery" in found
    assert "jetzt kaufen" in found and "shop now" not in found
    assert any("untranslated" in w for w in out.warnings)


async def test_an_image_without_text_is_only_fitted() -> None:
    data = plain_photo(640, 480)
    out = await RelayoutLocalizer().localize(
        request(data, "japanese", {}, image_size="1K", aspect_ratio="1:1"), inline
    )
    assert out.details["no_text_found"] is True
    assert out.details["texts_found"] == []
    assert (out.width, out.height) == (1024, 1024)
    rgb = pixels(out.data)
    # Padded, not cropped: the photo's 4:3 content sits whole in the middle band.
    middle = rgb[128 + 20 : 896 - 20, 20:-20].astype(int)
    source = np.asarray(Image.open(io.BytesIO(data)).resize((1024, 768)))[20:-20, 20:-20]
    assert np.abs(middle - source.astype(int)).mean() < 3


async def test_a_4096_px_ad_is_localized() -> None:
    data, _ = make_ad(4096, 2304)
    table = dict(zip([c[0] for c in AD_COPY], TRANSLATIONS["german"], strict=True))
    out = await RelayoutLocalizer().localize(
        request(data, "german", table, image_size="4K", aspect_ratio="keep"), inline
    )
    assert (out.width, out.height) == (4096, 2304)
    assert len(out.details["translated"]) == 5
    found = " ".join(line.text for line in detect_lines(pixels(out.data))).lower()
    assert "neue laufschuhe" in found


async def test_the_text_is_found_once_for_all_languages(ad: tuple) -> None:
    data, _ = ad
    calls: list[str] = []

    async def counting(fn: Callable[..., T], *args: Any) -> T:
        calls.append(fn.__name__)
        return fn(*args)

    localizer = RelayoutLocalizer()
    for target in ("german", "thai"):
        await localizer.localize(request(data, target, {}), counting)
    assert calls.count("find_blocks") == 1
    assert calls.count("compose") == 2
