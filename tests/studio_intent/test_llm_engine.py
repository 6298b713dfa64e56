"""The llm engine against fake Gemini and OpenAI-compatible servers on loopback."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import Request
from fastapi.responses import JSONResponse, Response
from tests.generate.fakes import Fake, FakeGemini, Reply, respond

from pictor.config import Settings
from pictor.studio.engines import build_intent_engine
from pictor.studio.engines.llm import FELL_BACK
from pictor.studio.engines.rules import RulesEngine
from pictor.studio.intent import Intent, IntentEngine, MessageContext

WITH_IMAGE = MessageContext(last_image_id="art_last")


class FakeChat(Fake):
    """POST /v1/chat/completions (Bearer key), answering from the script."""

    def __init__(self) -> None:
        super().__init__()
        self.app.add_api_route("/v1/chat/completions", self._chat, methods=["POST"])

    async def _chat(self, request: Request) -> Response:
        await self.record(request, await request.json())
        if request.headers.get("authorization") != f"Bearer {self.key}":
            error = {"message": "Incorrect API key", "type": "invalid_request_error"}
            return JSONResponse({"error": error}, 401)
        reply = await self.scripted()
        return respond(reply) if reply is not None else JSONResponse(chat_answer("{}"))


def chat_answer(content: str) -> dict[str, Any]:
    message = {"role": "assistant", "content": content}
    return {
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
    }  # fmt: skip


def gemini_answer(content: str) -> dict[str, Any]:
    part = {"text": content}
    return {
        "candidates": [{"content": {"role": "model", "parts": [part]},
                        "finishReason": "STOP", "index": 0}],
        "modelVersion": "gemini-2.5-flash",
    }  # fmt: skip


def answer(**fields: Any) -> str:
    base: dict[str, Any] = {
        "kind": "answer", "prompt": "", "reply": "", "confidence": 0.9, "aspect_ratio": None,
        "resolution": None, "n": None, "target_languages": [], "target_markets": [],
        "business_name": None, "style": None, "colors": [], "background_color": None,
        "padding": None, "trim": None, "corner": None, "template": None,
    }  # fmt: skip
    return json.dumps({**base, **fields})


WARMER = answer(kind="edit", prompt="Make the image warmer", aspect_ratio="16:9")


@pytest.fixture(params=["gemini", "openai"])
async def served(request: pytest.FixtureRequest) -> AsyncIterator[tuple[str, Fake]]:
    fake: Fake = FakeGemini() if request.param == "gemini" else FakeChat()
    async with fake.serve():
        yield request.param, fake


def engine_for(provider: str, fake: Fake, timeout_s: float = 5.0) -> IntentEngine:
    providers: dict[str, Any] = (
        {"gemini_api_key": fake.key, "gemini_base_url": fake.url}
        if provider == "gemini"
        else {"openai_api_key": fake.key, "openai_base_url": f"{fake.url}/v1"}
    )
    settings = Settings(
        studio={"engine": "llm", "llm_provider": provider, "llm_timeout_s": timeout_s},
        providers=providers,
    )
    return build_intent_engine(settings)


def script(provider: str, fake: Fake, *contents: str) -> None:
    wrap = gemini_answer if provider == "gemini" else chat_answer
    fake.replies.extend(Reply(body=wrap(c)) for c in contents)


async def test_a_valid_answer_is_the_intent(served: tuple[str, Fake]) -> None:
    provider, fake = served
    script(provider, fake, WARMER)
    intent = await engine_for(provider, fake).understand("make it warmer, 16:9", WITH_IMAGE)
    assert intent.kind == "edit"
    assert intent.engine.startswith(f"llm:{provider}:")
    assert intent.params == {"aspect_ratio": "16:9"}
    assert intent.prompt == "Make the image warmer"
    assert intent.image_ids == ("art_last",)
    assert len(fake.seen) == 1
    body = json.dumps(fake.seen[0].body)
    assert "make it warmer, 16:9" in body
    if provider == "gemini":
        config = fake.seen[0].body["generationConfig"]
        assert config["responseMimeType"] == "application/json"
        assert config["responseJsonSchema"]["properties"]["kind"]["enum"][0] == "generate"
    else:
        assert fake.seen[0].body["response_format"]["type"] == "json_schema"


async def test_invalid_json_is_asked_once_more(served: tuple[str, Fake]) -> None:
    provider, fake = served
    script(provider, fake, "not json {", WARMER)
    intent = await engine_for(provider, fake).understand("make it warmer", WITH_IMAGE)
    assert (intent.kind, intent.engine.split(":")[0]) == ("edit", "llm")
    assert len(fake.seen) == 2


async def test_two_invalid_answers_fall_back_to_the_rules(served: tuple[str, Fake]) -> None:
    provider, fake = served
    wrong_schema = json.dumps({"kind": "paint", "prompt": "x"})
    script(provider, fake, "not json {", wrong_schema)
    intent = await engine_for(provider, fake).understand("remove the background", WITH_IMAGE)
    assert intent.engine == FELL_BACK
    assert intent.kind == "remove_background"
    assert len(fake.seen) == 2


async def test_params_no_job_accepts_count_as_invalid(served: tuple[str, Fake]) -> None:
    provider, fake = served
    no_targets = answer(kind="localize", prompt="translate")
    script(provider, fake, no_targets, no_targets)
    intent = await engine_for(provider, fake).understand("translate to german", WITH_IMAGE)
    assert intent.engine == FELL_BACK
    assert intent.params["target_languages"] == ["german"]


async def test_an_http_error_falls_back_at_once(served: tuple[str, Fake]) -> None:
    provider, fake = served
    fake.replies.append(Reply(status=500, body={"error": {"code": 500, "message": "boom"}}))
    intent = await engine_for(provider, fake).understand("hi!", MessageContext())
    assert (intent.kind, intent.engine) == ("answer", FELL_BACK)
    assert intent.reply
    assert len(fake.seen) == 1


async def test_a_timeout_falls_back(served: tuple[str, Fake]) -> None:
    provider, fake = served
    fake.replies.append(Reply(hang=True))
    engine = engine_for(provider, fake, timeout_s=0.3)
    intent = await engine.understand("a red fox in the snow", MessageContext())
    assert (intent.kind, intent.engine) == ("generate", FELL_BACK)


async def test_a_wrong_key_falls_back(served: tuple[str, Fake]) -> None:
    provider, fake = served
    engine = engine_for(provider, fake)
    fake.key = "the-server-now-wants-another-key"
    intent = await engine.understand("remove the watermark", WITH_IMAGE)
    assert (intent.kind, intent.engine) == ("remove_watermark", FELL_BACK)


async def test_the_context_rules_apply_to_the_model_reading(served: tuple[str, Fake]) -> None:
    provider, fake = served
    script(provider, fake, answer(kind="remove_background", prompt=""))
    intent = await engine_for(provider, fake).understand("remove the bg", MessageContext())
    assert intent.kind == "answer"
    assert "Attach an image" in intent.reply


def test_rules_is_the_default_and_llm_without_a_provider_falls_back() -> None:
    assert isinstance(build_intent_engine(Settings()), RulesEngine)


async def test_llm_without_any_provider_answers_with_the_rules() -> None:
    engine = build_intent_engine(Settings(studio={"engine": "llm"}))
    intent: Intent = await engine.understand("remove the background", WITH_IMAGE)
    assert (intent.kind, intent.engine) == ("remove_background", FELL_BACK)
