"""Translation providers for relayout: a chat model answering structured JSON.

Configured from the ``providers`` settings (the same keys and base URLs as image
generation) with the text models named by ``PICTOR_LOCALIZE_TRANSLATE_GEMINI_MODEL`` /
``_OPENAI_MODEL``. The SDK calls live in the provider modules that own each SDK
(``generate.openai_compat.chat_json``, ``generate.gemini.generate_json``), with the
same retries (429, 5xx, timeouts, Retry-After); they are imported on first use.
"""

from __future__ import annotations

import time
from typing import Any

from pictor.config import Settings
from pictor.engines.availability import Availability
from pictor.engines.generate.retry import RetryPolicy
from pictor.engines.localize.translate import (
    REPLY_SCHEMA,
    ProviderTranslations,
    Translator,
    instructions,
    parse_reply,
)
from pictor.localization.catalog import Language


class _ModelTranslator:
    """What both translation providers are configured with; the client is made lazily."""

    def __init__(
        self,
        api_key: str | None,
        *,
        model: str,
        base_url: str | None = None,
        request_timeout_s: float = 60.0,
        total_timeout_s: float = 120.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.model = model
        self._api_key = api_key
        self._base_url = base_url
        self._timeout = request_timeout_s
        self._total = total_timeout_s
        self._retry = retry or RetryPolicy()
        self._client: Any = None


class OpenAIChatTranslator(_ModelTranslator):
    """Any OpenAI-compatible ``/v1/chat/completions`` with ``response_format`` json_schema."""

    @property
    def name(self) -> str:
        return f"openai:{self.model}"

    def availability(self) -> Availability:
        if not (self._api_key or self._base_url):
            return Availability.missing("not configured (set PICTOR_PROVIDERS_OPENAI_API_KEY)")
        return Availability.ok(f"chat model {self.model}")

    async def translate(
        self, texts: list[str], source: Language, target: Language, brand_terms: tuple[str, ...]
    ) -> ProviderTranslations:
        """One chat completion for all the texts of the ad; the answer is validated."""
        from pictor.engines.generate import openai_compat

        if self._client is None:
            self._client = openai_compat.make_client(self._api_key, self._base_url, self._timeout)
        raw = await openai_compat.chat_json(
            self._client,
            model=self.model,
            system="You translate advertising copy.",
            prompt=instructions(texts, source, target, brand_terms),
            schema=REPLY_SCHEMA,
            schema_name="translations",
            api_key=self._api_key,
            request_timeout_s=self._timeout,
            retry=self._retry,
            deadline=time.monotonic() + self._total,
        )
        return parse_reply(raw, texts, brand_terms)


class GeminiTranslator(_ModelTranslator):
    """Gemini ``generateContent`` with ``responseMimeType: application/json`` and a schema."""

    @property
    def name(self) -> str:
        return f"gemini:{self.model}"

    def availability(self) -> Availability:
        if not self._api_key:
            return Availability.missing("not configured (set PICTOR_PROVIDERS_GEMINI_API_KEY)")
        return Availability.ok(f"text model {self.model}")

    async def translate(
        self, texts: list[str], source: Language, target: Language, brand_terms: tuple[str, ...]
    ) -> ProviderTranslations:
        """One generateContent call for all the texts of the ad; the answer is validated."""
        from pictor.engines.generate import gemini

        if self._client is None:
            self._client = gemini.make_client(self._api_key, self._base_url, self._timeout)
        raw = await gemini.generate_json(
            self._client,
            model=self.model,
            prompt=instructions(texts, source, target, brand_terms),
            schema=REPLY_SCHEMA,
            api_key=self._api_key,
            request_timeout_s=self._timeout,
            retry=self._retry,
            deadline=time.monotonic() + self._total,
        )
        return parse_reply(raw, texts, brand_terms)


def build_translator(settings: Settings) -> Translator | None:
    """The translator named by PICTOR_LOCALIZE_TRANSLATOR, else the first provider with a
    key (gemini, then openai), else None: relayout then uses the user's translations only."""
    conf = settings.providers
    retry = RetryPolicy(conf.max_attempts, conf.backoff_base_s, conf.backoff_max_s)
    gemini_key = conf.gemini_api_key.get_secret_value() if conf.gemini_api_key else None
    openai_key = conf.openai_api_key.get_secret_value() if conf.openai_api_key else None
    choice = settings.localize.translator
    if choice is None:
        openai_set = bool(openai_key or conf.openai_base_url)
        choice = "gemini" if gemini_key else "openai" if openai_set else None
    timeouts = {"request_timeout_s": min(conf.request_timeout_s, 60.0), "total_timeout_s": 120.0}
    if choice == "gemini":
        return GeminiTranslator(
            gemini_key,
            model=settings.localize.translate_gemini_model,
            base_url=conf.gemini_base_url,
            retry=retry,
            **timeouts,
        )
    if choice == "openai":
        return OpenAIChatTranslator(
            openai_key,
            model=settings.localize.translate_openai_model,
            base_url=conf.openai_base_url,
            retry=retry,
            **timeouts,
        )
    return None
