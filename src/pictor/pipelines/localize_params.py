"""The parameters of a ``localize`` job and the (language, market) targets they name.

Unknown or repeated languages and markets are refused with the valid ones listed;
nothing a client asked for is ever dropped.

Pairing: each listed language goes to the listed markets that speak it, or to its
default market when none does; each listed market not reached that way gets its
default language. ``["english"]`` + ``["uk", "usa"]`` is English for the UK and the
USA; ``["japanese"]`` alone is Japanese for Japan; ``["germany"]`` alone is German
for Germany.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pictor.localization.catalog import Catalog, Language, Market, load_catalog

MAX_TARGETS = 20
AspectChoice = Literal[
    "keep", "1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"
]


@dataclass(frozen=True)
class Target:
    language: Language
    market: Market

    @property
    def slug(self) -> str:
        """``japan-japanese``: file names in the archive."""
        return f"{self.market.id}-{self.language.id}"


def _known(values: list[str], valid: Collection[str], what: str) -> list[str]:
    seen: set[str] = set()
    for value in values:
        if value not in valid:
            raise ValueError(f"unknown {what} {value!r}; valid: {', '.join(sorted(valid))}")
        if value in seen:
            raise ValueError(f"{what} {value!r} is listed twice")
        seen.add(value)
    return values


class LocalizeParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target_languages: list[str] = Field(
        default_factory=list,
        max_length=MAX_TARGETS,
        description="Language ids (GET /v1/localization/languages), e.g. japanese.",
        examples=[["japanese", "german"]],
    )
    target_markets: list[str] = Field(
        default_factory=list,
        max_length=MAX_TARGETS,
        description="Market ids (GET /v1/localization/markets), e.g. japan, uk.",
    )
    source_language: str = Field("english", description="The language the ad is written in.")
    preserve_people: bool = Field(False, description="Keep people as they are (no adaptation).")
    image_size: Literal["1K", "2K", "4K"] = "1K"
    aspect_ratio: AspectChoice = Field("keep", description="A ratio, or keep the source's.")
    remove_watermark: bool = Field(
        True, description="Look for known visible marks on each output and remove them."
    )
    translations: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Your own translations: source text → {language id: target text}.",
        examples=[{"Summer Sale": {"japanese": "サマーセール"}}],
    )
    brand_terms: list[str] = Field(
        default_factory=list, max_length=50, description="Never translated, e.g. product names."
    )
    engine: str = Field(
        "gemini",
        description="gemini (PICTOR_PROVIDERS_GEMINI_API_KEY) or relayout (offline, no weights).",
    )

    @field_validator("target_languages")
    @classmethod
    def _languages(cls, values: list[str]) -> list[str]:
        return _known(values, set(load_catalog().languages), "language")

    @field_validator("target_markets")
    @classmethod
    def _markets(cls, values: list[str]) -> list[str]:
        return _known(values, set(load_catalog().markets), "market")

    @field_validator("source_language")
    @classmethod
    def _source(cls, value: str) -> str:
        return _known([value], set(load_catalog().languages), "language")[0]

    @field_validator("brand_terms")
    @classmethod
    def _terms(cls, values: list[str]) -> list[str]:
        terms = [" ".join(v.split()) for v in values]
        if any(not term or len(term) > 100 for term in terms):
            raise ValueError("each brand term is 1 to 100 characters")
        return terms

    @field_validator("translations")
    @classmethod
    def _translations(cls, values: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        languages = set(load_catalog().languages)
        if len(values) > 200:
            raise ValueError("at most 200 source texts in translations")
        for source, targets in values.items():
            if not source.strip() or len(source) > 500:
                raise ValueError("each source text is 1 to 500 characters")
            _known(list(targets), languages, "language")
            if any(len(text) > 500 for text in targets.values()):
                raise ValueError("each translation is at most 500 characters")
        return values

    @model_validator(mode="after")
    def _some_targets(self) -> LocalizeParams:
        if not self.target_languages and not self.target_markets:
            raise ValueError("give target_languages and/or target_markets (1 to 20)")
        count = len(self.targets())
        if count > MAX_TARGETS:
            raise ValueError(f"{count} language/market pairs; at most {MAX_TARGETS} per job")
        return self

    def targets(self, catalog: Catalog | None = None) -> list[Target]:
        """The (language, market) pairs to make, in the order asked (see module doc)."""
        catalog = catalog or load_catalog()
        markets = [catalog.market(m) for m in self.target_markets]
        pairs: list[Target] = []
        reached: set[str] = set()
        for language_id in self.target_languages:
            language = catalog.language(language_id)
            speaking = [m for m in markets if language_id in m.languages]
            for market in speaking or [catalog.market(language.default_market)]:
                pairs.append(Target(language, market))
                reached.add(market.id)
        for market in markets:
            if market.id not in reached:
                pairs.append(Target(catalog.language(market.languages[0]), market))
        return pairs

    def translations_for(self, language_id: str) -> dict[str, str]:
        return {
            source: targets[language_id]
            for source, targets in self.translations.items()
            if language_id in targets
        }
