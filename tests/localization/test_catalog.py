"""The shipped language and market catalog: required pairs, well-formed codes, sane formats."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest

from pictor.localization.catalog import Catalog, UnknownLocale, load_catalog

REQUIRED_PAIRS = [
    ("hindi", "india"),
    ("japanese", "japan"),
    ("korean", "south_korea"),
    ("german", "germany"),
    ("french", "france"),
    ("spanish", "spain"),
    ("italian", "italy"),
    ("portuguese", "brazil"),
    ("chinese_simplified", "china"),
    ("chinese_traditional", "taiwan"),
    ("arabic", "middle_east"),
    ("russian", "russia"),
    ("thai", "thailand"),
    ("vietnamese", "vietnam"),
    ("indonesian", "indonesia"),
    ("english", "usa"),
    ("english", "uk"),
]
CURRENCIES = {
    "india": "INR",
    "japan": "JPY",
    "south_korea": "KRW",
    "germany": "EUR",
    "france": "EUR",
    "spain": "EUR",
    "italy": "EUR",
    "brazil": "BRL",
    "china": "CNY",
    "taiwan": "TWD",
    "middle_east": "AED",
    "russia": "RUB",
    "thailand": "THB",
    "vietnam": "VND",
    "indonesia": "IDR",
    "usa": "USD",
    "uk": "GBP",
}
# 1234567.89 as CLDR writes it for the market's main locale.
NUMBER_FORMATS = {
    "germany": "1.234.567,89",
    "france": "1\u202f234\u202f567,89",
    "russia": "1\u00a0234\u00a0567,89",
    "india": "12,34,567.89",
    "china": "1,234,567.89",
    "usa": "1,234,567.89",
    "brazil": "1.234.567,89",
}
# language[-Script][-REGION]: ISO 639 language, ISO 15924 script, ISO 3166 or UN M49 region.
BCP47 = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$")
AVOID_CATEGORIES = {"numbers", "colours", "gestures", "foods", "symbols"}
LATIN_ONLY_NATIVE_NAMES = {"english", "german", "italian", "indonesian"}
PLACEHOLDER = re.compile(r"placeholder|\btodo\b|lorem|\btbd\b|\bfixme\b|\bxxx\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def test_catalog_has_at_least_17_markets_and_15_languages(catalog: Catalog) -> None:
    assert len(catalog.markets) >= 17
    assert len(catalog.languages) >= 15


@pytest.mark.parametrize(("language_id", "market_id"), REQUIRED_PAIRS)
def test_every_required_language_is_spoken_in_its_market(
    catalog: Catalog, language_id: str, market_id: str
) -> None:
    assert language_id in catalog.market(market_id).languages
    assert catalog.language(language_id).id == language_id


def test_each_language_defaults_to_the_market_it_was_asked_for(catalog: Catalog) -> None:
    expected = {language: market for language, market in reversed(REQUIRED_PAIRS)}
    assert expected["english"] == "usa"
    for language_id, market_id in expected.items():
        assert catalog.language(language_id).default_market == market_id


def test_every_code_is_a_bcp47_language_script_region_tag(catalog: Catalog) -> None:
    for language in catalog.languages.values():
        assert BCP47.match(language.code), (language.id, language.code)
    assert catalog.language("portuguese").code == "pt-BR"
    assert catalog.language("chinese_simplified").code == "zh-Hans-CN"
    assert catalog.language("chinese_traditional").code == "zh-Hant-TW"
    assert catalog.language("hindi").code == "hi-IN"


def test_arabic_is_the_only_right_to_left_language(catalog: Catalog) -> None:
    rtl = {language.id for language in catalog.languages.values() if language.direction == "rtl"}
    assert rtl == {"arabic"}


def test_market_languages_exist_and_default_markets_list_their_language(catalog: Catalog) -> None:
    for market in catalog.markets.values():
        assert market.languages, market.id
        for language_id in market.languages:
            assert language_id in catalog.languages, (market.id, language_id)
    for language in catalog.languages.values():
        assert language.id in catalog.market(language.default_market).languages, language.id


def test_currencies_are_the_iso_4217_codes_of_each_market(catalog: Catalog) -> None:
    for market in catalog.markets.values():
        assert re.fullmatch(r"[A-Z]{3}", market.currency), market.id
        assert market.currency_symbol.strip(), market.id
    assert {key: market.currency for key, market in catalog.markets.items()} == CURRENCIES


def test_number_formats_write_the_same_number(catalog: Catalog) -> None:
    for market in catalog.markets.values():
        text = market.number_format
        assert re.sub(r"[^0-9]", "", text) == "123456789", market.id
        # The last separator is the decimal mark and differs from the grouping one.
        decimal_mark = text[-3]
        assert text.endswith(decimal_mark + "89"), market.id
        assert decimal_mark in ",." and decimal_mark not in text[:-3], market.id
    for market_id, expected in NUMBER_FORMATS.items():
        assert catalog.market(market_id).number_format == expected


def test_native_names_are_written_in_their_own_script(catalog: Catalog) -> None:
    for language in catalog.languages.values():
        if language.id in LATIN_ONLY_NATIVE_NAMES:
            continue
        assert not language.native_name.isascii(), language.id
    assert catalog.language("japanese").native_name == "日本語"
    assert catalog.language("arabic").native_name == "العربية"
    assert catalog.language("hindi").native_name == "हिन्दी"


def test_every_language_names_at_least_one_noto_font(catalog: Catalog) -> None:
    for language in catalog.languages.values():
        assert language.fonts, language.id
        assert all(font.startswith("Noto ") for font in language.fonts), language.id
    assert any("Arabic" in font for font in catalog.language("arabic").fonts)
    assert any("Devanagari" in font for font in catalog.language("hindi").fonts)
    assert any("Thai" in font for font in catalog.language("thai").fonts)


def test_markets_are_described_in_full(catalog: Catalog) -> None:
    for market in catalog.markets.values():
        assert len(market.people) > 80, market.id
        assert 3 <= len(market.cultural_notes) <= 6, market.id
        assert set(market.avoid) == AVOID_CATEGORIES, market.id
        assert sum(len(items) for items in market.avoid.values()) >= 2, market.id
        assert len(market.colour_meanings) >= 4, market.id


def test_well_known_taboos_are_recorded(catalog: Catalog) -> None:
    for market_id in ("japan", "china", "south_korea", "taiwan"):
        assert any("4" in item for item in catalog.market(market_id).avoid["numbers"]), market_id
    assert any("17" in item for item in catalog.market("italy").avoid["numbers"])
    assert any("13" in item for item in catalog.market("usa").avoid["numbers"])
    gulf = catalog.market("middle_east").avoid
    assert any("Pork" in item for item in gulf["foods"])
    assert any("Alcohol" in item for item in gulf["foods"])
    assert any("left hand" in item for item in gulf["gestures"])
    assert any("OK" in item for item in catalog.market("brazil").avoid["gestures"])


def test_no_placeholder_text_is_left_in_the_data_file() -> None:
    text = resources.files("pictor.localization.data").joinpath("catalog.json").read_text("utf-8")
    for string in _strings(json.loads(text)):
        assert string.strip(), "empty string in the catalog"
        assert not PLACEHOLDER.search(string), string


def test_an_unknown_market_is_refused_with_the_valid_ones(catalog: Catalog) -> None:
    with pytest.raises(UnknownLocale) as refused:
        catalog.market("atlantis")
    assert "middle_east" in str(refused.value)
