"""pictor speaks the OpenAI images API: the official openai SDK is the client here."""

# ruff: noqa: F811 - the fixtures imported from generate_support are parameters here
from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import httpx
import openai
import pytest
from tests.api.generate_support import (  # noqa: F401 - fixtures
    fake_gemini,
    fake_openai,
    fake_replicate,
    fakes,
    provider_runtime,
)
from tests.conftest import User, new_user
from tests.generate.fakes import PNG, FakeGemini, FakeOpenAI, FakeReplicate, Reply
from tests.support.images import product_photo
from tests.support.server import live_server

from pictor.api.app import create_app
from pictor.runtime import Runtime

Fakes = tuple[FakeGemini, FakeReplicate, FakeOpenAI]


@pytest.fixture(scope="module")
async def pictor_url(provider_runtime: Runtime) -> AsyncIterator[str]:
    async with live_server(create_app(runtime=provider_runtime)) as url:
        yield url


async def sdk(pictor_url: str, runtime: Runtime) -> tuple[openai.AsyncOpenAI, User]:
    user = await new_user(runtime)
    client = openai.AsyncOpenAI(api_key=user.key, base_url=f"{pictor_url}/v1", max_retries=0)
    return client, user


async def test_sdk_generates_images_through_a_recorded_pictor_job(
    pictor_url: str, provider_runtime: Runtime, fakes: Fakes
) -> None:
    client, user = await sdk(pictor_url, provider_runtime)
    raw = await client.images.with_raw_response.generate(
        model="gemini:gemini-2.5-flash-image", prompt="a lighthouse", n=2, size="1536x1024"
    )
    result = raw.parse()
    assert [base64.b64decode(item.b64_json or "") for item in result.data or []] == [PNG, PNG]
    assert result.created > 0
    job_id = raw.headers["x-job-id"]
    assert raw.headers["x-engine"] == "gemini:gemini-2.5-flash-image"
    async with httpx.AsyncClient(base_url=pictor_url, headers=user.headers) as http:
        job = (await http.get(f"/v1/jobs/{job_id}")).json()
    assert job["kind"] == "generate" and job["status"] == "succeeded"
    assert job["params"]["size"] == "1536x1024" and job["params"]["n"] == 2
    assert len(fakes[0].seen) == 2
    assert fakes[0].seen[0].body["generationConfig"]["imageConfig"] == {"aspectRatio": "3:2"}


async def test_sdk_gets_signed_urls_when_it_asks_for_them(
    pictor_url: str, provider_runtime: Runtime, fakes: Fakes
) -> None:
    client, _ = await sdk(pictor_url, provider_runtime)
    result = await client.images.generate(prompt="a lighthouse", response_format="url")
    [item] = result.data or []
    assert item.url and item.url.startswith(pictor_url)
    async with httpx.AsyncClient() as http:
        download = await http.get(item.url)  # no key: the signature is the permission
    assert download.status_code == 200 and download.content == PNG


async def test_sdk_edits_several_images_with_a_mask(
    pictor_url: str, provider_runtime: Runtime, fakes: Fakes
) -> None:
    client, user = await sdk(pictor_url, provider_runtime)
    photo = product_photo(120, 90, "PNG")
    raw = await client.images.with_raw_response.edit(
        image=[("a.png", photo, "image/png"), ("b.png", photo, "image/png")],
        mask=("mask.png", photo, "image/png"),
        prompt="put both boxes on a beach",
    )
    assert len(raw.parse().data or []) == 1
    async with httpx.AsyncClient(base_url=pictor_url, headers=user.headers) as http:
        job = (await http.get(f"/v1/jobs/{raw.headers['x-job-id']}")).json()
    assert job["kind"] == "edit" and len(job["input"]) == 3
    assert job["params"]["last_input_is_mask"] is True
    parts = fakes[0].seen[0].body["contents"][0]["parts"]
    assert sum(1 for p in parts if p.get("inlineData") or p.get("inline_data")) == 3


async def test_openai_model_names_go_to_the_openai_compatible_provider(
    pictor_url: str, provider_runtime: Runtime, fakes: Fakes
) -> None:
    client, _ = await sdk(pictor_url, provider_runtime)
    raw = await client.images.with_raw_response.generate(
        model="gpt-image-1", prompt="a lighthouse", quality="high"
    )
    assert raw.headers["x-engine"] == "openai:gpt-image-1"
    [seen] = fakes[2].seen
    assert seen.path == "/v1/images/generations" and seen.body["quality"] == "high"


async def test_sdk_sees_a_content_block_as_a_bad_request(
    pictor_url: str, provider_runtime: Runtime, fakes: Fakes
) -> None:
    fakes[0].replies = [Reply(200, {"candidates": [{"finishReason": "IMAGE_SAFETY"}]})]
    client, _ = await sdk(pictor_url, provider_runtime)
    with pytest.raises(openai.BadRequestError) as caught:
        await client.images.generate(prompt="something bad")
    assert caught.value.code == "content_blocked"
    assert "IMAGE_SAFETY" in caught.value.message


async def test_sdk_with_a_bad_key_is_refused(pictor_url: str, fakes: Fakes) -> None:
    client = openai.AsyncOpenAI(api_key="psk_wrong", base_url=f"{pictor_url}/v1", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        await client.images.generate(prompt="a lighthouse")


async def test_sdk_prompt_too_long_is_refused_before_any_provider_call(
    pictor_url: str, provider_runtime: Runtime, fakes: Fakes
) -> None:
    client, _ = await sdk(pictor_url, provider_runtime)
    with pytest.raises(openai.UnprocessableEntityError) as caught:
        await client.images.generate(prompt="x" * 4001)
    assert "prompt" in str(caught.value)
    assert fakes[0].seen == []


async def test_edit_without_an_image_is_refused(
    pictor_url: str, provider_runtime: Runtime, fakes: Fakes
) -> None:
    user = await new_user(provider_runtime)
    async with httpx.AsyncClient(base_url=pictor_url, headers=user.headers) as http:
        response = await http.post("/v1/images/edits", files={"prompt": (None, "make it blue")})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "image"


async def test_without_a_provider_the_answer_names_the_setting(
    client: httpx.AsyncClient, user: User
) -> None:
    response = await client.post(
        "/v1/images/generations", json={"prompt": "a cat"}, headers=user.headers
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "provider_not_configured"
