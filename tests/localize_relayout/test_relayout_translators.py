"""Translation providers against fake servers on loopback speaking the real protocols."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from tests.localize_relayout.ads import language, make_ad
from tests.localize_relayout.test_relayout_localizer import inline, request
from tests.support.server import live_server

from pictor.engines.generate.errors import ProviderAuthFailed
from pictor.engines.generate.retry import RetryPolicy
from pictor.engines.localize.relayout import RelayoutLocalizer
from pictor.engines.localize.translators import GeminiTranslator, OpenAIChatTranslator

KEY = "fake-translate-key-1234"
GERMAN = {
    "SUMMER SALE": "SOMMERSALE",
    "New running shoes": "Neue ACME Laufschuhe",
    "Up to 50% off": "Bis zu 50 % Rabatt",
    "Free delivery": "Gratis Lieferung",
    "Shop now": "Jetzt kaufen",
}


class FakeChat:
    """OpenAI chat completions and Gemini generateContent, answering from ``GERMAN``."""

    def __init__(self) -> None:
        self.app = FastAPI()
        self.bodies: list[dict[str, Any]] = []
        self.failures: list[int] = []
        self.app.add_api_route("/v1/chat/completions", self._chat, methods=["POST"])
        for version in ("v1", "v1beta"):
            self.app.add_api_route(f"/{version}/models/{{call}}", self._gemini, methods=["POST"])

    def _answer(self, prompt: str) -> str:
        texts = json.loads(prompt.split("Texts: ", 1)[1])
        items = [{"source": t, "target": GERMAN[t]} for t in texts if t in GERMAN]
        return json.dumps({"translations": items}, ensure_ascii=False)

    async def _chat(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.bodies.append(body)
        if request.headers.get("authorization") != f"Bearer {KEY}":
            error = {"message": "Incorrect API key", "type": "invalid_request_error"}
            return JSONResponse({"error": error}, 401)
        if self.failures:
            status = self.failures.pop(0)
            return JSONResponse({"error": {"message": "slow down"}}, status,
                                headers={"retry-after": "0"})  # fmt: skip
        content = self._answer(body["messages"][-1]["content"])
        message = {"role": "assistant", "content": content}
        return JSONResponse({
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": body["model"],
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        })  # fmt: skip

    async def _gemini(self, call: str, request: Request) -> JSONResponse:
        body = await request.json()
        self.bodies.append(body)
        if request.headers.get("x-goog-api-key") != KEY:
            error = {"code": 400, "message": "API key not valid.", "status": "INVALID_ARGUMENT"}
            return JSONResponse({"error": error}, 400)
        if self.failures:
            status = self.failures.pop(0)
            error = {"code": status, "message": "busy", "status": "RESOURCE_EXHAUSTED"}
            return JSONResponse({"error": error}, status, headers={"retry-after": "0"})
        prompt = body["contents"][0]["parts"][0]["text"]
        part = {"text": self._answer(prompt)}
        return JSONResponse({
            "candidates": [{"content": {"role": "model", "parts": [part]},
                            "finishReason": "STOP", "index": 0}],
            "modelVersion": call.split(":")[0],
        })  # fmt: skip


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeChat, str]]:
    chat = FakeChat()
    async with live_server(chat.app) as url:
        yield chat, url


def translators(url: str, key: str = KEY) -> dict[str, Any]:
    retry = RetryPolicy(max_attempts=3, backoff_base_s=0.01, backoff_max_s=0.02)
    return {
        "openai": OpenAIChatTranslator(key, model="gpt-test", base_url=f"{url}/v1", retry=retry),
        "gemini": GeminiTranslator(key, model="gemini-test", base_url=url, retry=retry),
    }


@pytest.fixture(scope="module")
def ad() -> bytes:
    return make_ad(1000, 1000)[0]


@pytest.mark.parametrize("provider", ["openai", "gemini"])
async def test_a_provider_translates_what_the_user_did_not(
    provider: str, fake: tuple[FakeChat, str], ad: bytes
) -> None:
    chat, url = fake
    chat.failures = [429]  # retried after Retry-After
    localizer = RelayoutLocalizer(translators(url)[provider])
    req = request(ad, "german", {"Shop now": "Los geht's"}, brand_terms=("ACME",))
    out = await localizer.localize(req, inline)
    assert out.engine.startswith(f"relayout:rapidocr+{provider}:")
    by = {t["source"]: (t["target"], t["by"]) for t in out.details["translated"]}
    assert by["Shop now"] == ("Los geht's", "user")
    assert by["Free delivery"] == ("Gratis Lieferung", "provider")
    assert out.details["untranslated"] == []
    # Only the texts the user left out were sent, with the brand terms and the schema.
    sent = json.dumps(chat.bodies[-1], ensure_ascii=False)
    assert "Shop now" not in sent.split("Texts: ")[1]
    assert "ACME" in sent and "translations" in sent
    if provider == "openai":
        assert chat.bodies[-1]["response_format"]["type"] == "json_schema"
    else:
        config = chat.bodies[-1]["generationConfig"]
        assert config["responseMimeType"] == "application/json"
    assert len(chat.bodies) == 2


async def test_a_translation_dropping_a_brand_term_is_left_untranslated(
    fake: tuple[FakeChat, str], ad: bytes
) -> None:
    _, url = fake
    localizer = RelayoutLocalizer(translators(url)["openai"])
    # "New running shoes" comes back with "ACME" in it; a brand term in the source that
    # the target lacks must be refused, so ask with the source holding a brand term.
    req = request(ad, "german", {}, brand_terms=("running",))
    out = await localizer.localize(req, inline)
    refused = {u["source"]: u["reason"] for u in out.details["untranslated"]}
    assert "brand terms" in refused["New running shoes"]
    assert "New running shoes" not in [t["source"] for t in out.details["translated"]]


@pytest.mark.parametrize("provider", ["openai", "gemini"])
async def test_a_wrong_key_is_a_clear_error(provider: str, fake: tuple[FakeChat, str]) -> None:
    _, url = fake
    translator = translators(url, key="wrong-key-0000")[provider]
    with pytest.raises(ProviderAuthFailed):
        await translator.translate(["Shop now"], language("english"), language("german"), ())
