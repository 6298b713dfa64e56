"""Intent engines of the studio: ``rules`` (offline) and ``llm`` (a chat model)."""

from __future__ import annotations

import time
from typing import Any

from pictor.config import Settings
from pictor.engines.generate.retry import RetryPolicy
from pictor.studio.engines.llm import ChatCall, LlmEngine
from pictor.studio.engines.rules import RulesEngine
from pictor.studio.intent import IntentEngine

#: One attempt per call: a chat turn falls back to the rules rather than wait.
ONE_ATTEMPT = RetryPolicy(max_attempts=1)


def _gemini_call(key: str, base_url: str | None, model: str, timeout_s: float) -> ChatCall:
    from pictor.engines.generate import gemini

    client: list[Any] = []

    async def call(system: str, prompt: str, schema: dict[str, object]) -> str:
        if not client:
            client.append(gemini.make_client(key, base_url, timeout_s))
        return await gemini.generate_json(
            client[0],
            model=model,
            prompt=f"{system}\n\n{prompt}",
            schema=schema,
            api_key=key,
            request_timeout_s=timeout_s,
            retry=ONE_ATTEMPT,
            deadline=time.monotonic() + timeout_s,
        )

    return call


def _openai_call(key: str | None, base_url: str | None, model: str, timeout_s: float) -> ChatCall:
    from pictor.engines.generate import openai_compat

    client: list[Any] = []

    async def call(system: str, prompt: str, schema: dict[str, object]) -> str:
        if not client:
            client.append(openai_compat.make_client(key, base_url, timeout_s))
        return await openai_compat.chat_json(
            client[0],
            model=model,
            system=system,
            prompt=prompt,
            schema=schema,
            schema_name="studio_intent",
            api_key=key,
            request_timeout_s=timeout_s,
            retry=ONE_ATTEMPT,
            deadline=time.monotonic() + timeout_s,
        )

    return call


def build_intent_engine(settings: Settings) -> IntentEngine:
    """The engine named by PICTOR_STUDIO_ENGINE. ``llm`` uses PICTOR_STUDIO_LLM_PROVIDER
    (default: gemini if its key is set, else openai if its key or base URL is) with the
    providers' keys and base URLs; with neither it answers with the rules (and says so)."""
    rules = RulesEngine()
    if settings.studio.engine == "rules":
        return rules
    conf, studio = settings.providers, settings.studio
    gemini_key = conf.gemini_api_key.get_secret_value() if conf.gemini_api_key else None
    openai_key = conf.openai_api_key.get_secret_value() if conf.openai_api_key else None
    provider = studio.llm_provider
    if provider is None:
        openai_set = bool(openai_key or conf.openai_base_url)
        provider = "gemini" if gemini_key else "openai" if openai_set else None
    timeout = studio.llm_timeout_s
    if provider == "gemini" and gemini_key:
        model = studio.llm_gemini_model
        call = _gemini_call(gemini_key, conf.gemini_base_url, model, timeout)
        return LlmEngine(call, label=f"llm:gemini:{model}", fallback=rules)
    if provider == "openai" and (openai_key or conf.openai_base_url):
        model = studio.llm_openai_model
        call = _openai_call(openai_key, conf.openai_base_url, model, timeout)
        return LlmEngine(call, label=f"llm:openai:{model}", fallback=rules)
    return LlmEngine(None, label="llm", fallback=rules)


__all__ = ["LlmEngine", "RulesEngine", "build_intent_engine"]
