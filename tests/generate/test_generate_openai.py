"""The OpenAI-compatible provider through the real openai SDK against a fake images API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from tests.generate.fakes import PNG, FakeOpenAI, Reply, openai_error

from pictor.engines.generate.base import ImageRequest, InputImage
from pictor.engines.generate.errors import (
    ContentBlocked,
    ProviderAuthFailed,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
)
from pictor.engines.generate.openai_compat import OpenAIImagesProvider
from pictor.engines.generate.outputs import OutputFetcher
from pictor.engines.generate.retry import RetryPolicy
from pictor.net.fetch import FetchLimits
from pictor.net.guard import NetworkPolicy

FAST_RETRY = RetryPolicy(max_attempts=3, backoff_base_s=0.01, backoff_max_s=0.05)
LOOPBACK_OK = OutputFetcher(NetworkPolicy.from_strings(["127.0.0.1"]), FetchLimits())


@pytest.fixture(scope="module")
async def openai_server() -> AsyncIterator[FakeOpenAI]:
    fake = FakeOpenAI()
    async with fake.serve():
        yield fake


@pytest.fixture
def fake(openai_server: FakeOpenAI) -> FakeOpenAI:
    openai_server.reset()
    openai_server.respond_with_url = False
    return openai_server


def provider(
    fake: FakeOpenAI,
    *,
    key: str = FakeOpenAI.key,
    timeout: float = 5.0,
    fetcher: OutputFetcher = LOOPBACK_OK,
) -> OpenAIImagesProvider:
    return OpenAIImagesProvider(
        key,
        default_model="gpt-image-1",
        fetcher=fetcher,
        base_url=f"{fake.url}/v1",
        request_timeout_s=timeout,
        retry=FAST_RETRY,
    )


async def test_openai_generate_sends_the_request_and_reads_b64_answers(fake: FakeOpenAI) -> None:
    result = await provider(fake).generate(
        ImageRequest(prompt="a lighthouse", aspect_ratio="16:9", n=2, seed=3)
    )
    assert [image.data for image in result.images] == [PNG, PNG]
    assert result.engine_id == "openai:gpt-image-1"
    assert result.revised_prompt == "a revised prompt"
    [seen] = fake.seen
    assert seen.path == "/v1/images/generations"
    assert seen.headers["authorization"] == f"Bearer {FakeOpenAI.key}"
    assert seen.body["model"] == "gpt-image-1" and seen.body["n"] == 2
    assert seen.body["size"] == "1536x1024" and seen.body["seed"] == 3


async def test_openai_url_answers_are_fetched_at_once(fake: FakeOpenAI) -> None:
    fake.respond_with_url = True
    result = await provider(fake).generate(ImageRequest(prompt="a lighthouse"))
    assert [image.data for image in result.images] == [PNG]
    assert [s.path for s in fake.seen] == ["/v1/images/generations", "/files/out-0.png"]


async def test_openai_output_url_to_a_private_address_is_refused(fake: FakeOpenAI) -> None:
    fake.respond_with_url = True
    guarded = OutputFetcher(NetworkPolicy(), FetchLimits())
    with pytest.raises(ProviderError) as caught:
        await provider(fake, fetcher=guarded).generate(ImageRequest(prompt="a lighthouse"))
    assert caught.value.details["cause"] == "url_not_allowed"


async def test_openai_edit_sends_every_image_as_image_array_and_the_mask(fake: FakeOpenAI) -> None:
    images = (InputImage(b"first", "image/png"), InputImage(b"second", "image/jpeg"))
    mask = InputImage(b"mask", "image/png")
    result = await provider(fake).edit(ImageRequest(prompt="merge", images=images, mask=mask))
    assert len(result.images) == 1
    [seen] = fake.seen
    assert seen.path == "/v1/images/edits"
    assert seen.headers["content-type"].startswith("multipart/form-data")
    assert seen.body["image[]"] == [b"first", b"second"]
    assert seen.body["mask"] == [b"mask"]
    assert seen.body["prompt"] == "merge"


async def test_openai_429_is_retried_after_the_retry_after_delay(fake: FakeOpenAI) -> None:
    fake.replies = [Reply(429, openai_error("Rate limit reached"), {"Retry-After": "1"})]
    result = await provider(fake).generate(ImageRequest(prompt="a cat"))
    assert len(result.images) == 1
    first, second = fake.seen
    assert second.at - first.at >= 0.9


async def test_openai_500_three_times_gives_up(fake: FakeOpenAI) -> None:
    fake.replies = [Reply(500, openai_error("The server had an error"))] * 3
    with pytest.raises(ProviderUnavailable) as caught:
        await provider(fake).generate(ImageRequest(prompt="a cat"))
    assert len(fake.seen) == 3
    assert "The server had an error" in caught.value.message


async def test_openai_that_never_answers_times_out(fake: FakeOpenAI) -> None:
    fake.replies = [Reply(hang=True)] * 3
    with pytest.raises(ProviderTimeout):
        await provider(fake, timeout=0.3).generate(ImageRequest(prompt="a cat"))
    assert len(fake.seen) == 3


async def test_openai_moderation_refusal_is_content_blocked(fake: FakeOpenAI) -> None:
    body = openai_error("Your request was rejected by the safety system.", "moderation_blocked")
    fake.replies = [Reply(400, body)]
    with pytest.raises(ContentBlocked):
        await provider(fake).generate(ImageRequest(prompt="something bad"))
    assert len(fake.seen) == 1


@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, {"created": 1, "data": []}),
        Reply(200, {"created": 1, "data": [{"b64_json": "%%% not base64"}]}),
        Reply(200, {"created": 1, "data": [{}]}),
    ],
    ids=["no-images", "bad-base64", "neither-b64-nor-url"],
)
async def test_openai_malformed_answer_is_a_provider_error(fake: FakeOpenAI, reply: Reply) -> None:
    fake.replies = [reply]
    with pytest.raises(ProviderError) as caught:
        await provider(fake).generate(ImageRequest(prompt="a cat"))
    assert caught.value.code == "provider_error"


async def test_openai_refused_key_is_reported_without_the_key(fake: FakeOpenAI) -> None:
    with pytest.raises(ProviderAuthFailed) as caught:
        await provider(fake, key="sk-wrong-key-9999").generate(ImageRequest(prompt="a cat"))
    assert "PICTOR_PROVIDERS_OPENAI_API_KEY" in caught.value.message
    assert "sk-wrong-key-9999" not in caught.value.message
