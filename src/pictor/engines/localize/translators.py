"""Translation providers for relayout: a chat model answering structured JSON.

Configured from the ``providers`` settings (the same keys and base URLs as image
generation) with the text model named by ``PICTOR_LOCALIZE_TRANSLATE_MODEL``. Retries
(429, 5xx, timeouts, Retry-After) go through ``generate.retry`` like image calls.
The SDKs are imported when a translator is first used.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from pictor.config import Settings
from pictor.engines.availability import Availability
from pictor.engines.generate.base import redact
from pictor.engines.generate.errors import ProviderAuthFailed, ProviderError
from pictor.engines.generate.retry import (
    RETRY_STATUSES,
    RetryableCall,
    RetryPolicy,
    parse_retry_after,
    with_retries,
)
from pictor.engines.localize.translate import (
    REPLY_SCHEMA,
    ProviderTranslations,
    Translator,
    instructions,
    parse_reply,
)
from pictor.localization.catalog import Language


class OpenAIChatTranslator:
    """Any OpenAI-compatible ``/v1/chat/completions`` with ``response_format`` json_schema."""

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

    @property
    def name(self) -> str:
        return f"openai:{self.model}"

    def availability(self) -> Availability:
        if not (self._api_key or self._base_url):
            return Availability.missing("not configured (set PICTOR_PROVIDERS_OPENAI_API_KEY)")
        return Availability.ok(f"chat model {self.model}")

    def _sdk(self) -> Any:
        if self._client is None:
            import openai

            self._client = openai.AsyncOpenAI(
                api_key=self._api_key or "unused",
                base_url=self._base_url,
                max_retries=0,
                timeout=self._timeout,
            )
        return self._client

    async def translate(
        self, texts: list[str], source: Language, target: Language, brand_terms: tuple[str, ...]
    ) -> ProviderTranslations:
        """One chat completion for all the texts of the ad; the answer is validated."""
        import openai

        client = self._sdk()
        prompt = instructions(texts, source, target, brand_terms)
        response_format = {
            "type": "json_schema",
            "json_schema": {"name": "translations", "strict": True, "schema": REPLY_SCHEMA},
        }

        async def call() -> str:
            try:
                async with asyncio.timeout(self._timeout):
                    reply = await client.chat.completions.create(
                        model=self.model,
                        messages=[
                            {"role": "system", "content": "You translate advertising copy."},
                            {"role": "user", "content": prompt},
                        ],
                        response_format=response_format,
                        temperature=0.2,
                    )
            except (openai.APITimeoutError, TimeoutError) as exc:
                raise RetryableCall("no answer in time", timed_out=True) from exc
            except openai.APIConnectionError as exc:
                raise RetryableCall("connection failed") from exc
            except openai.APIStatusError as exc:
                raise self._status_error(exc) from exc
            if not reply.choices or reply.choices[0].message.content is None:
                raise ProviderError("openai: the answer had no content")
            return str(reply.choices[0].message.content)

        raw = await with_retries(
            call, self._retry, provider="openai", deadline=time.monotonic() + self._total
        )
        return parse_reply(raw, texts, brand_terms)

    def _status_error(self, exc: Any) -> Exception:
        status = int(exc.status_code)
        message = redact(str(exc.message), [self._api_key])
        if status in RETRY_STATUSES:
            retry_after = parse_retry_after(exc.response.headers.get("retry-after"))
            return RetryableCall(f"HTTP {status}: {message}", retry_after=retry_after)
        details = {"provider": "openai", "status": status}
        if status in (401, 403):
            return ProviderAuthFailed(
                f"openai refused the API key (HTTP {status}); check"
                " PICTOR_PROVIDERS_OPENAI_API_KEY",
                details=details,
            )
        return ProviderError(f"openai: HTTP {status}: {message}", details=details)


class GeminiTranslator:
    """Gemini ``generateContent`` with ``responseMimeType: application/json`` and a schema."""

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

    @property
    def name(self) -> str:
        return f"gemini:{self.model}"

    def availability(self) -> Availability:
        if not self._api_key:
            return Availability.missing("not configured (set PICTOR_PROVIDERS_GEMINI_API_KEY)")
        return Availability.ok(f"text model {self.model}")

    def _sdk(self) -> Any:
        if self._client is None:
            from google import genai
            from google.genai import types

            options = types.HttpOptions(base_url=self._base_url, timeout=int(self._timeout * 1000))
            self._client = genai.Client(api_key=self._api_key, vertexai=False, http_options=options)
        return self._client

    async def translate(
        self, texts: list[str], source: Language, target: Language, brand_terms: tuple[str, ...]
    ) -> ProviderTranslations:
        """One generateContent call for all the texts of the ad; the answer is validated."""
        import httpx2
        from google.genai import errors as genai_errors
        from google.genai import types

        client = self._sdk()
        config = types.GenerateContentConfig(
            response_mime_type="application/json",
            response_json_schema=REPLY_SCHEMA,
            temperature=0.2,
        )
        prompt = instructions(texts, source, target, brand_terms)

        async def call() -> str:
            try:
                async with asyncio.timeout(self._timeout):
                    reply = await client.aio.models.generate_content(
                        model=self.model, contents=prompt, config=config
                    )
            except genai_errors.APIError as exc:
                raise self._api_error(exc) from exc
            except (TimeoutError, httpx2.TimeoutException) as exc:
                raise RetryableCall("no answer in time", timed_out=True) from exc
            except httpx2.TransportError as exc:
                raise RetryableCall("connection failed") from exc
            text = reply.text
            if not text:
                raise ProviderError("gemini: the answer had no text", details={"model": self.model})
            return str(text)

        raw = await with_retries(
            call, self._retry, provider="gemini", deadline=time.monotonic() + self._total
        )
        return parse_reply(raw, texts, brand_terms)

    def _api_error(self, exc: Any) -> Exception:
        status = int(exc.code or 0)
        message = redact(str(exc.message or exc.status or exc), [self._api_key])
        if status in RETRY_STATUSES:
            headers = getattr(getattr(exc, "response", None), "headers", None) or {}
            retry_after = parse_retry_after(headers.get("retry-after"))
            return RetryableCall(f"HTTP {status}: {message}", retry_after=retry_after)
        details = {"provider": "gemini", "status": status}
        if status in (401, 403) or (status == 400 and "api key" in message.lower()):
            return ProviderAuthFailed(
                f"gemini refused the API key (HTTP {status});"
                " check PICTOR_PROVIDERS_GEMINI_API_KEY",
                details=details,
            )
        return ProviderError(f"gemini: HTTP {status}: {message}", details=details)


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
