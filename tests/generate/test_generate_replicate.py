"""The Replicate provider through the real replicate SDK against a fake predictions API."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from tests.generate.fakes import PNG, FakeReplicate, Reply

from pictor.engines.generate.base import ImageRequest, InputImage
from pictor.engines.generate.errors import (
    ContentBlocked,
    ProviderAuthFailed,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
)
from pictor.engines.generate.outputs import OutputFetcher
from pictor.engines.generate.replicate import ReplicateProvider
from pictor.engines.generate.retry import RetryPolicy
from pictor.errors import JobCanceled
from pictor.net.fetch import FetchLimits
from pictor.net.guard import NetworkPolicy

FAST_RETRY = RetryPolicy(max_attempts=3, backoff_base_s=0.01, backoff_max_s=0.05)
LOOPBACK_OK = OutputFetcher(NetworkPolicy.from_strings(["127.0.0.1"]), FetchLimits())


@pytest.fixture(scope="module")
async def replicate_server() -> AsyncIterator[FakeReplicate]:
    fake = FakeReplicate()
    async with fake.serve():
        yield fake


@pytest.fixture
def fake(replicate_server: FakeReplicate) -> FakeReplicate:
    replicate_server.reset()
    return replicate_server


def provider(
    fake: FakeReplicate, *, token: str = FakeReplicate.key, base: str = "", timeout: float = 5.0
) -> ReplicateProvider:
    return ReplicateProvider(
        token,
        default_model="black-forest-labs/flux-schnell",
        edit_model="black-forest-labs/flux-kontext-pro",
        fetcher=LOOPBACK_OK,
        base_url=base or fake.url,
        wait_s=5,
        poll_interval_s=0.02,
        request_timeout_s=timeout,
        retry=FAST_RETRY,
    )


@pytest.mark.parametrize("suffix", ["", "/", "/v1", "/v1/"], ids=["root", "root/", "v1", "v1/"])
async def test_replicate_model_prediction_is_created_polled_and_copied(
    fake: FakeReplicate, suffix: str
) -> None:
    request = ImageRequest(prompt="a fox", aspect_ratio="3:2", n=2, seed=5)
    result = await provider(fake, base=fake.url + suffix).generate(request)

    assert [image.data for image in result.images] == [PNG, PNG]
    assert result.engine_id == "replicate:black-forest-labs/flux-schnell"
    create = fake.seen[0]
    assert create.path == "/v1/models/black-forest-labs/flux-schnell/predictions"
    assert create.headers["authorization"] == f"Bearer {FakeReplicate.key}"
    assert create.headers["prefer"] == "wait=5"
    assert create.body["input"] == {
        "prompt": "a fox",
        "aspect_ratio": "3:2",
        "num_outputs": 2,
        "seed": 5,
    }
    paths = [s.path for s in fake.seen[1:]]
    assert paths[0].startswith("/v1/predictions/"), "polled by GET"
    assert sum(p.startswith("/files/") for p in paths) == 2, "outputs are copied at once"


async def test_replicate_pinned_version_uses_the_predictions_endpoint(fake: FakeReplicate) -> None:
    version = "a" * 64
    request = ImageRequest(prompt="a fox", model=f"owner/model:{version}")
    await provider(fake).generate(request)
    create = fake.seen[0]
    assert create.path == "/v1/predictions"
    assert create.body["version"] == version


async def test_replicate_edit_sends_the_image_as_a_data_uri(fake: FakeReplicate) -> None:
    image = InputImage(b"photo", "image/png")
    await provider(fake).edit(ImageRequest(prompt="make it night", images=(image,)))
    create = fake.seen[0]
    assert create.path == "/v1/models/black-forest-labs/flux-kontext-pro/predictions"
    assert create.body["input"]["input_image"] == "data:image/png;base64,cGhvdG8="


async def test_replicate_cancel_while_polling_cancels_the_prediction(fake: FakeReplicate) -> None:
    fake.statuses = ["processing"]
    polls = 0

    async def waiting(stage: str) -> None:
        nonlocal polls
        polls += 1
        if polls == 3:
            raise JobCanceled("canceled by request")

    with pytest.raises(JobCanceled):
        await provider(fake).generate(ImageRequest(prompt="a fox"), waiting=waiting)
    await asyncio.wait_for(fake.canceled.wait(), 5)
    assert fake.seen[-1].path.endswith("/cancel")


async def test_replicate_prediction_past_the_deadline_is_canceled(fake: FakeReplicate) -> None:
    fake.statuses = ["processing"]
    request = ImageRequest(prompt="a fox", deadline=time.monotonic() + 0.3)
    with pytest.raises(ProviderTimeout):
        await provider(fake).generate(request)
    await asyncio.wait_for(fake.canceled.wait(), 5)


async def test_replicate_429_on_create_is_retried_after_retry_after(fake: FakeReplicate) -> None:
    body = {"title": "Too Many Requests", "detail": "Request was throttled.", "status": 429}
    fake.replies = [Reply(429, body, {"Retry-After": "1"})]
    result = await provider(fake).generate(ImageRequest(prompt="a fox"))
    assert len(result.images) == 1
    first, second = fake.seen[:2]
    assert first.path == second.path and second.at - first.at >= 0.9


async def test_replicate_500_three_times_gives_up(fake: FakeReplicate) -> None:
    body = {"title": "Internal Server Error", "detail": "Something broke", "status": 500}
    fake.replies = [Reply(500, body)] * 3
    with pytest.raises(ProviderUnavailable) as caught:
        await provider(fake).generate(ImageRequest(prompt="a fox"))
    assert len(fake.seen) == 3
    assert "Something broke" in caught.value.message


async def test_replicate_polls_that_never_answer_time_out_and_cancel(fake: FakeReplicate) -> None:
    fake.poll_replies = [Reply(hang=True)] * 3
    with pytest.raises(ProviderTimeout):
        await provider(fake, timeout=0.2).generate(ImageRequest(prompt="a fox"))
    assert sum(s.method == "GET" for s in fake.seen) == 3
    await asyncio.wait_for(fake.canceled.wait(), 5)


async def test_replicate_nsfw_failure_is_content_blocked(fake: FakeReplicate) -> None:
    fake.statuses = ["failed"]
    fake.failure = "NSFW content detected. Try running it again, or try a different prompt."
    with pytest.raises(ContentBlocked):
        await provider(fake).generate(ImageRequest(prompt="something bad"))


async def test_replicate_failed_prediction_reports_its_error(fake: FakeReplicate) -> None:
    fake.statuses = ["failed"]
    with pytest.raises(ProviderError) as caught:
        await provider(fake).generate(ImageRequest(prompt="a fox"))
    assert "CUDA out of memory" in caught.value.message


@pytest.mark.parametrize(
    "reply",
    [Reply(201, {"unexpected": True}), Reply(201, "not json", {"content-type": "text/plain"})],
    ids=["wrong-shape", "not-json"],
)
async def test_replicate_malformed_answer_is_a_provider_error(
    fake: FakeReplicate, reply: Reply
) -> None:
    fake.replies = [reply]
    with pytest.raises(ProviderError) as caught:
        await provider(fake).generate(ImageRequest(prompt="a fox"))
    assert caught.value.code == "provider_error"


async def test_replicate_refused_token_names_the_setting(fake: FakeReplicate) -> None:
    with pytest.raises(ProviderAuthFailed) as caught:
        await provider(fake, token="r8_wrong_token").generate(ImageRequest(prompt="a fox"))
    assert "PICTOR_PROVIDERS_REPLICATE_API_TOKEN" in caught.value.message
    assert "r8_wrong_token" not in caught.value.message
