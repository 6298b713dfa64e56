"""The language and market catalog: a versioned data file shipped in the package."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pictor.errors import InvalidInput


class UnknownLocale(InvalidInput):
    code = "unknown_locale"


class Language(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="Stable key used in requests, e.g. japanese, chinese_simplified.")
    code: str = Field(description="BCP 47 tag, e.g. ja-JP, zh-Hans-CN, ar.")
    english_name: str
    native_name: str
    script: str = Field(description="ISO 15924 script name, e.g. Latin, Arabic, Devanagari, Han.")
    direction: Literal["ltr", "rtl"]
    default_market: str
    fonts: list[str] = Field(description="Font families (as shipped/installed) that render it.")


class Market(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="Stable key, e.g. japan, usa, uk, middle_east.")
    name: str
    region: str
    languages: list[str] = Field(description="Language ids, the first is the default.")
    people: str = Field(description="People and appearance to depict, in plain words.")
    cultural_notes: list[str]
    avoid: dict[str, list[str]] = Field(
        description="Things to avoid by category: numbers, colours, gestures, foods, symbols."
    )
    colour_meanings: dict[str, str]
    currency: str = Field(description="ISO 4217 code, e.g. JPY.")
    currency_symbol: str
    number_format: str = Field(description="How 1234567.89 is written, e.g. '1,234,567.89'.")


class Catalog(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    languages: dict[str, Language]
    markets: dict[str, Market]

    @model_validator(mode="after")
    def _consistent(self) -> Catalog:
        for key, language in self.languages.items():
            if key != language.id:
                raise ValueError(f"language key {key} != id {language.id}")
            if language.default_market not in self.markets:
                raise ValueError(f"{key}: unknown default market {language.default_market}")
        for key, market in self.markets.items():
            if key != market.id:
                raise ValueError(f"market key {key} != id {market.id}")
            for language_id in market.languages:
                if language_id not in self.languages:
                    raise ValueError(f"{key}: unknown language {language_id}")
        return self

    def language(self, language_id: str) -> Language:
        try:
            return self.languages[language_id]
        except KeyError:
            raise UnknownLocale(
                f"unknown language {language_id!r}; valid: {', '.join(sorted(self.languages))}",
                details={"valid": sorted(self.languages)},
            ) from None

    def market(self, market_id: str) -> Market:
        try:
            return self.markets[market_id]
        except KeyError:
            raise UnknownLocale(
                f"unknown market {market_id!r}; valid: {', '.join(sorted(self.markets))}",
                details={"valid": sorted(self.markets)},
            ) from None


@lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    """The catalog shipped with this version of pictor (parsed and checked once)."""
    text = resources.files("pictor.localization.data").joinpath("catalog.json").read_text("utf-8")
    return Catalog.model_validate(json.loads(text))
