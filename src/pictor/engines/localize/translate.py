"""Translations for the texts found in an ad: the user's first, then a provider's.

The user's ``translations`` match a found text exactly once whitespace is normalised,
or else ignoring case. Texts neither the user nor a provider translated stay as they
are and are listed as untranslated: nothing is ever replaced by a guess.

A provider answers ``{"translations": [{"source": ..., "target": ...}]}``; an answer is
validated (every target non-empty, for a source we asked, keeping every brand term
of its source) and an item that fails is dropped, not drawn.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from pictor.engines.availability import Availability
from pictor.localization.catalog import Language


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class UserTranslations:
    exact: dict[str, str]
    folded: dict[str, str]

    @classmethod
    def of(cls, translations: dict[str, str]) -> UserTranslations:
        exact = {normalise(k): v for k, v in translations.items() if normalise(v)}
        return cls(exact, {k.casefold(): v for k, v in exact.items()})

    def get(self, text: str) -> str | None:
        key = normalise(text)
        found = self.exact.get(key)
        return found if found is not None else self.folded.get(key.casefold())


class TranslationItem(BaseModel):
    model_config = ConfigDict(extra="ignore")
    source: str
    target: str


class TranslationReply(BaseModel):
    """The structured answer asked of a provider (its JSON schema is sent too)."""

    model_config = ConfigDict(extra="ignore")
    translations: list[TranslationItem]


REPLY_SCHEMA: dict[str, object] = {
    "type": "object",
    "properties": {
        "translations": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"source": {"type": "string"}, "target": {"type": "string"}},
                "required": ["source", "target"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["translations"],
    "additionalProperties": False,
}


@dataclass
class ProviderTranslations:
    """What a provider gave: accepted translations, and why others were refused."""

    accepted: dict[str, str] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)


class Translator(Protocol):
    @property
    def name(self) -> str:
        """Recorded in the engine id, e.g. ``"gemini:gemini-2.5-flash"``."""
        ...

    def availability(self) -> Availability:
        """Whether it is configured (and if not, which setting enables it)."""
        ...

    async def translate(
        self,
        texts: list[str],
        source: Language,
        target: Language,
        brand_terms: tuple[str, ...],
    ) -> ProviderTranslations:
        """Translate ``texts`` (ad copy) from ``source`` to ``target``, keeping brand terms.

        Raises provider errors (ProviderUnavailable after retries, ProviderAuthFailed...).
        """
        ...


def instructions(
    texts: list[str], source: Language, target: Language, brand_terms: tuple[str, ...]
) -> str:
    """The prompt sent to a chat model (the schema goes as structured-output config)."""
    keep = ", ".join(json.dumps(term, ensure_ascii=False) for term in brand_terms) or "none"
    return (
        f"Translate the texts of a product advertisement from {source.english_name}"
        f" to {target.english_name} ({target.code}, written in {target.script} script)."
        " Write natural, concise marketing copy for that market: about as long as the"
        " original so it fits the same space.\n"
        f"Brand terms, never translated or transliterated, copied exactly: {keep}.\n"
        'Answer JSON: {"translations": [{"source": <the text exactly as given>,'
        ' "target": <its translation>}]}, one item per text.\n'
        f"Texts: {json.dumps(texts, ensure_ascii=False)}"
    )


def parse_reply(raw: str, texts: list[str], brand_terms: tuple[str, ...]) -> ProviderTranslations:
    """Validate a provider's JSON answer against the texts asked and the brand terms."""
    result = ProviderTranslations()
    try:
        reply = TranslationReply.model_validate_json(raw)
    except ValidationError:
        for text in texts:
            result.refused[text] = "the provider's answer was not the JSON asked for"
        return result
    asked = {normalise(t): t for t in texts}
    for item in reply.translations:
        source = asked.get(normalise(item.source))
        if source is None or source in result.accepted:
            continue
        target = item.target.strip()
        lost = [t for t in brand_terms if t in source and t not in target]
        if not target:
            result.refused[source] = "empty translation"
        elif lost:
            result.refused[source] = f"the translation dropped brand terms: {', '.join(lost)}"
        else:
            result.accepted[source] = target
    for text in texts:
        if text not in result.accepted and text not in result.refused:
            result.refused[text] = "the provider gave no translation"
    return result
