"""The Gemini provider through the real google-genai SDK against a fake Gemini API."""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from tests.generate.fakes import PNG, FakeGemini, Reply, gemini_error

from pictor.engines.generate.base import ImageRequest, InputImage
from pictor.engines.generate.errors import (
    ContentBlocked,
    ProviderAuthFailed,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
)
from pictor.engines.generate.gemini import GeminiProvider
from pictor.engines.generate.retry import RetryPolicy


def snake(values: dict[str, Any]) -> dict[str, Any]:
    return {re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), k): v for k, v in values.items()}


FAST_RETRY = RetryPolicy(max_attempts=3, backoff_base_s=0.01, backoff_max_s=0.05)


@pytest.fixture(scope="module")
async def gemini_server() -> AsyncIterator[FakeGemini]:
    fake = FakeGemini()
    async with fake.serve():
        yield fake


@pytest.fixture
def fake(gemini_server: FakeGemini) -> FakeGemini:
    gemini_server.reset()
    gemini_server.snake_case = False
    return gemini_server


def gemini(fake: FakeGemini, *, key: str = FakeGemini.key, timeout: float = 5.0) -> GeminiProvider:
    return GeminiProvider(
        key,
        default_model="gemini-2.5-flash-image",
        base_url=fake.url,
        request_timeout_s=timeout,
        retry=FAST_RETRY,
    )


async def test_gemini_generate_sends_prompt_and_image_config_and_skips_thought_parts(
    fake: FakeGemini,
) -> None:
    request = ImageRequest(
        prompt="a red lighthouse",
        negative_prompt="people",
        aspect_ratio="16:9",
        resolution="2K",
        seed=7,
    )
    result = await gemini(fake).generate(request)

    assert [image.data for image in result.images] == [PNG], "thought parts must be skipped"
    assert result.engine_id == "gemini:gemini-2.5-flash-image"
    assert result.meta["text"] == "Here is your image."
    [seen] = fake.seen
    assert seen.path.endswith("/models/gemini-2.5-flash-image:generateContent")
    assert seen.headers["x-goog-api-key"] == FakeGemini.key
    text = seen.body["contents"][0]["parts"][0]["text"]
    assert "a red lighthouse" in text and "Avoid: people" in text
    config = seen.body["generationConfig"]
    assert config["responseModalities"] == ["TEXT", "IMAGE"]
    assert config["imageConfig"] == {"aspectRatio": "16:9", "imageSize": "2K"}
    assert config["seed"] == 7


async def test_gemini_snake_case_answers_are_read_too(fake: FakeGemini) -> None:
    fake.snake_case = True
    result = await gemini(fake).generate(ImageRequest(prompt="a cat"))
    assert [image.data for image in result.images] == [PNG]


async def test_gemini_edit_sends_images_and_mask_as_inline_parts(fake: FakeGemini) -> None:
    photo, mask = InputImage(b"photo-bytes", "image/jpeg"), InputImage(b"mask-bytes", "image/png")
    await gemini(fake).edit(ImageRequest(prompt="make it blue", images=(photo,), mask=mask))
    parts = fake.seen[0].body["contents"][0]["parts"]
    # The API takes both casings, and the SDK mixes them (inlineData.mime_type).
    inline = [
        snake(p.get("inlineData") or p["inline_data"]) for p in parts if snake(p).get("inline_data")
    ]
    assert inline == [
        {"mime_type": "image/jpeg", "data": base64.b64encode(b"photo-bytes").decode()},
        {"mime_type": "image/png", "data": base64.b64encode(b"mask-bytes").decode()},
    ]
    assert any("mask" in p.get("text", "") for p in parts[1:])


async def test_gemini_n_images_are_n_calls_with_distinct_seeds(fake: FakeGemini) -> None:
    result = await gemini(fake).generate(ImageRequest(prompt="a cat", n=3, seed=10))
    assert len(result.images) == 3
    assert sorted(s.body["generationConfig"]["seed"] for s in fake.seen) == [10, 11, 12]


async def test_gemini_429_is_retried_after_the_retry_after_delay(fake: FakeGemini) -> None:
    busy = gemini_error(429, "Resource has been exhausted", "RESOURCE_EXHAUSTED")
    fake.replies = [Reply(429, busy, {"Retry-After": "1"})]
    result = await gemini(fake).generate(ImageRequest(prompt="a cat"))
    assert len(result.images) == 1
    first, second = fake.seen
    assert second.at - first.at >= 0.9, "Retry-After: 1 must be waited out"


async def test_gemini_500_three_times_gives_up_with_the_provider_text(fake: FakeGemini) -> None:
    fake.replies = [Reply(500, gemini_error(500, "Internal error encountered.", "INTERNAL"))] * 3
    with pytest.raises(ProviderUnavailable) as caught:
        await gemini(fake).generate(ImageRequest(prompt="a cat"))
    assert len(fake.seen) == 3
    assert caught.value.code == "provider_unavailable"
    assert "Internal error encountered." in caught.value.message


async def test_gemini_that_never_answers_times_out(fake: FakeGemini) -> None:
    fake.replies = [Reply(hang=True)] * 3
    with pytest.raises(ProviderTimeout) as caught:
        await gemini(fake, timeout=0.3).generate(ImageRequest(prompt="a cat"))
    assert caught.value.code == "provider_timeout"
    assert len(fake.seen) == 3


async def test_gemini_image_safety_finish_is_content_blocked(fake: FakeGemini) -> None:
    blocked = {"candidates": [{"content": {"parts": []}, "finishReason": "IMAGE_SAFETY"}]}
    fake.replies = [Reply(200, blocked)]
    with pytest.raises(ContentBlocked) as caught:
        await gemini(fake).generate(ImageRequest(prompt="something bad"))
    assert caught.value.code == "content_blocked"
    assert "IMAGE_SAFETY" in caught.value.message
    assert len(fake.seen) == 1, "a safety block is never retried"


async def test_gemini_blocked_prompt_is_content_blocked(fake: FakeGemini) -> None:
    fake.replies = [Reply(200, {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}})]
    with pytest.raises(ContentBlocked):
        await gemini(fake).generate(ImageRequest(prompt="something bad"))


@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, {"candidates": "not a list"}),
        Reply(200, "this is not json {", {"content-type": "application/json"}),
        Reply(
            200, {"candidates": [{"content": {"parts": [{"text": "no"}]}, "finishReason": "STOP"}]}
        ),
    ],
    ids=["wrong-shape", "not-json", "no-image"],
)
async def test_gemini_malformed_answer_is_a_provider_error(fake: FakeGemini, reply: Reply) -> None:
    fake.replies = [reply]
    with pytest.raises(ProviderError) as caught:
        await gemini(fake).generate(ImageRequest(prompt="a cat"))
    assert caught.value.code == "provider_error"
    assert len(fake.seen) == 1


async def test_gemini_refused_key_names_the_setting_and_never_echoes_the_key(
    fake: FakeGemini,
) -> None:
    message = f"Permission denied for key {FakeGemini.key}"
    fake.replies = [Reply(403, gemini_error(403, message, "PERMISSION_DENIED"))]
    with pytest.raises(ProviderAuthFailed) as caught:
        await gemini(fake).generate(ImageRequest(prompt="a cat"))
    assert "PICTOR_PROVIDERS_GEMINI_API_KEY" in caught.value.message
    assert FakeGemini.key not in caught.value.message


async def test_gemini_invalid_key_answer_names_the_setting(fake: FakeGemini) -> None:
    with pytest.raises(ProviderAuthFailed) as caught:
        await gemini(fake, key="wrong-key-0000").generate(ImageRequest(prompt="a cat"))
    assert "API key not valid" in caught.value.message
    assert "PICTOR_PROVIDERS_GEMINI_API_KEY" in caught.value.message
    assert len(fake.seen) == 1, "a refused key is never retried"
