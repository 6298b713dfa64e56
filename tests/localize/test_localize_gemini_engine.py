"""The gemini localizer through the real google-genai SDK against a fake Gemini API."""

from __future__ import annotations

import asyncio
import base64
import io
import re
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import pytest
from PIL import Image
from tests.generate.fakes import Reply, gemini_error
from tests.localize.localize_fakes import LocalizeGemini, safety_block, solid_png

from pictor.engines.generate.errors import ContentBlocked, ProviderUnavailable
from pictor.engines.generate.gemini import GeminiProvider
from pictor.engines.generate.retry import RetryPolicy
from pictor.engines.localize.base import LocalizeRequest
from pictor.engines.localize.gemini import GeminiLocalizer
from pictor.localization.catalog import load_catalog

T = TypeVar("T")
FAST_RETRY = RetryPolicy(max_attempts=3, backoff_base_s=0.01, backoff_max_s=0.05)
AD = solid_png(300, 200, (200, 40, 40))


async def in_thread(fn: Callable[..., T], *args: Any) -> T:
    return await asyncio.to_thread(fn, *args)


@pytest.fixture(scope="module")
async def server() -> AsyncIterator[LocalizeGemini]:
    fake = LocalizeGemini()
    async with fake.serve():
        yield fake


@pytest.fixture
def fake(server: LocalizeGemini) -> LocalizeGemini:
    server.reset()
    server.scale = 0.25
    return server


def localizer(fake: LocalizeGemini, key: str | None = LocalizeGemini.key) -> GeminiLocalizer:
    provider = GeminiProvider(
        key,
        default_model="gemini-2.5-flash-image",
        base_url=fake.url,
        request_timeout_s=10,
        retry=FAST_RETRY,
    )
    return GeminiLocalizer(provider, concurrency=4)


def inline_part(part: dict[str, Any]) -> dict[str, Any]:
    """The SDK mixes casings on the wire (``inlineData.mime_type``); the API takes both."""
    blob = part.get("inlineData") or part["inline_data"]
    return {re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), k): v for k, v in blob.items()}


def decode(data: str) -> bytes:
    """The SDK sends URL-safe base64 without padding."""
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


def request(image: bytes = AD, **values: Any) -> LocalizeRequest:
    catalog = load_catalog()
    return LocalizeRequest(
        image=image,
        source_language=catalog.language("english"),
        target_language=catalog.language("japanese"),
        market=catalog.market("japan"),
        **values,
    )


async def test_one_request_carries_the_ad_inline_the_prompt_and_image_config(
    fake: LocalizeGemini,
) -> None:
    made = await localizer(fake).localize(
        request(image_size="2K", aspect_ratio="16:9", brand_terms=("Acme",)), in_thread
    )

    [seen] = fake.seen
    assert seen.path.endswith("/models/gemini-2.5-flash-image:generateContent")
    text, image = seen.body["contents"][0]["parts"]
    assert "Target language: Japanese" in text["text"] and '"Acme"' in text["text"]
    inline = inline_part(image)
    assert inline["mime_type"] == "image/png"
    assert decode(inline["data"]) == AD
    assert seen.body["generationConfig"]["imageConfig"] == {
        "aspectRatio": "16:9",
        "imageSize": "2K",
    }
    assert made.engine == "gemini:gemini-2.5-flash-image"
    assert (made.width, made.height) == (512, 288)
    assert made.warnings and "2K" in made.warnings[0], "a smaller image than asked is named"
    assert Image.open(io.BytesIO(made.data)).size == (512, 288)


async def test_keep_sends_the_listed_ratio_closest_to_the_source(fake: LocalizeGemini) -> None:
    fake.scale = 1.0
    made = await localizer(fake).localize(request(aspect_ratio="keep"), in_thread)

    config = fake.seen[0].body["generationConfig"]["imageConfig"]
    assert config["aspectRatio"] == "3:2"  # 300x200
    assert made.warnings == ()


async def test_a_safety_block_is_content_blocked(fake: LocalizeGemini) -> None:
    fake.fail["Japanese"] = Reply(body=safety_block())
    with pytest.raises(ContentBlocked, match="IMAGE_SAFETY"):
        await localizer(fake).localize(request(), in_thread)


async def test_429_is_retried_then_succeeds(fake: LocalizeGemini) -> None:
    busy = gemini_error(429, "Resource has been exhausted", "RESOURCE_EXHAUSTED")
    fake.script["Japanese"] = [Reply(429, busy), Reply(429, busy)]
    made = await localizer(fake).localize(request(), in_thread)

    assert len(fake.seen) == 3
    assert made.width > 0


async def test_429_every_time_gives_up_after_the_attempts(fake: LocalizeGemini) -> None:
    busy = gemini_error(429, "Resource has been exhausted", "RESOURCE_EXHAUSTED")
    fake.fail["Japanese"] = Reply(429, busy)
    with pytest.raises(ProviderUnavailable, match="gave up after 3 attempts"):
        await localizer(fake).localize(request(), in_thread)


async def test_an_answer_that_is_not_an_image_is_a_provider_error(fake: LocalizeGemini) -> None:
    bogus = base64.b64encode(b"not an image at all").decode()
    body = {
        "candidates": [
            {
                "content": {"parts": [{"inlineData": {"mimeType": "image/png", "data": bogus}}]},
                "finishReason": "STOP",
            }
        ]
    }
    fake.fail["Japanese"] = Reply(body=body)
    with pytest.raises(Exception, match="not a usable image") as caught:
        await localizer(fake).localize(request(), in_thread)
    assert getattr(caught.value, "code", "") == "provider_error"


async def test_an_ad_at_4096_px_is_sent_and_a_4k_answer_accepted(fake: LocalizeGemini) -> None:
    big = solid_png(4096, 4096, (10, 120, 200))
    fake.scale = 1.0
    made = await localizer(fake).localize(request(big, image_size="4K"), in_thread)

    sent = inline_part(fake.seen[0].body["contents"][0]["parts"][1])
    assert Image.open(io.BytesIO(decode(sent["data"]))).size == (4096, 4096)
    assert fake.seen[0].body["generationConfig"]["imageConfig"]["aspectRatio"] == "1:1"
    assert (made.width, made.height) == (4096, 4096)
    assert made.warnings == ()


def test_without_a_key_it_is_unavailable_naming_the_setting() -> None:
    provider = GeminiProvider(None, default_model="gemini-2.5-flash-image")
    availability = GeminiLocalizer(provider).availability()
    assert not availability.available
    assert "PICTOR_PROVIDERS_GEMINI_API_KEY" in availability.detail
