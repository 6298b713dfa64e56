"""generate and edit jobs through POST /v1/jobs, backed by fake providers on loopback."""

# ruff: noqa: F811 - the fixtures imported from generate_support are parameters here

from __future__ import annotations

import asyncio
import base64
from typing import Any

import httpx
import pytest
from tests.api.generate_support import (  # noqa: F401 - fixtures
    fake_gemini,
    fake_openai,
    fake_replicate,
    fakes,
    provider_client,
    provider_runtime,
)
from tests.conftest import User, new_user
from tests.generate.fakes import PNG, FakeGemini, FakeOpenAI, FakeReplicate, Reply, gemini_error
from tests.support.images import open_image, product_photo

from pictor.api.routers.jobs import wait_until_final
from pictor.runtime import Runtime

Fakes = tuple[FakeGemini, FakeReplicate, FakeOpenAI]
WAIT = {"Prefer": "wait=30"}


async def create(client: httpx.AsyncClient, user: User, body: dict[str, Any]) -> httpx.Response:
    return await client.post("/v1/jobs", json=body, headers={**user.headers, **WAIT})


async def upload(client: httpx.AsyncClient, user: User, data: bytes) -> str:
    files = {"file": ("in.png", data, "image/png")}
    response = await client.post("/v1/uploads", files=files, headers=user.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_generate_job_stores_the_provider_image_and_names_the_engine(
    provider_client: httpx.AsyncClient, provider_runtime: Runtime, fakes: Fakes
) -> None:
    user = await new_user(provider_runtime)
    body = {
        "kind": "generate",
        "input": [],
        "params": {"prompt": "a lighthouse", "aspect_ratio": "4:3"},
    }
    response = await create(provider_client, user, body)
    assert response.status_code == 201, response.text
    job = response.json()
    assert job["status"] == "succeeded", job
    assert job["engine"] == "gemini:gemini-2.5-flash-image"
    assert job["attempts"] == 1 and job["max_attempts"] == 1
    [output] = job["outputs"]
    assert output["engine"] == "gemini:gemini-2.5-flash-image"
    assert (output["width"], output["height"]) == (96, 64)
    assert job["result"]["provider"] == "gemini"
    download = await provider_client.get(output["url"])
    assert download.content == PNG, "stored as the provider made it"


async def test_edit_job_sends_the_images_and_the_mask_to_the_provider(
    provider_client: httpx.AsyncClient, provider_runtime: Runtime, fakes: Fakes
) -> None:
    gemini = fakes[0]
    user = await new_user(provider_runtime)
    photo = await upload(provider_client, user, product_photo(120, 90, "PNG"))
    mask = await upload(provider_client, user, product_photo(120, 90, "PNG"))
    body = {
        "kind": "edit",
        "input": [{"upload_id": photo}, {"upload_id": mask}],
        "params": {"prompt": "make the box blue", "last_input_is_mask": True},
    }
    job = (await create(provider_client, user, body)).json()
    assert job["status"] == "succeeded", job
    parts = gemini.seen[0].body["contents"][0]["parts"]
    inline = [p.get("inlineData") or p.get("inline_data") for p in parts]
    # The SDK sends URL-safe base64; the API reads both alphabets.
    sent = [
        base64.urlsafe_b64decode(p["data"].replace("+", "-").replace("/", "_")) for p in inline if p
    ]
    assert len(sent) == 2 and all(open_image(data).size == (120, 90) for data in sent)


async def test_replicate_job_runs_through_predictions(
    provider_client: httpx.AsyncClient, provider_runtime: Runtime, fakes: Fakes
) -> None:
    user = await new_user(provider_runtime)
    params = {"prompt": "a fox", "provider": "replicate", "n": 2}
    job = (
        await create(provider_client, user, {"kind": "generate", "input": [], "params": params})
    ).json()
    assert job["status"] == "succeeded", job
    assert job["engine"] == "replicate:black-forest-labs/flux-schnell"
    assert len(job["outputs"]) == 2


async def test_canceling_a_replicate_job_cancels_the_prediction(
    provider_client: httpx.AsyncClient, provider_runtime: Runtime, fakes: Fakes
) -> None:
    replicate = fakes[1]
    replicate.statuses = ["processing"]
    user = await new_user(provider_runtime)
    body = {"kind": "generate", "input": [], "params": {"prompt": "a fox", "provider": "replicate"}}
    response = await provider_client.post("/v1/jobs", json=body, headers=user.headers)
    job_id = response.json()["id"]
    while (await asyncio.wait_for(replicate.arrivals.get(), 10)).method != "GET":
        pass  # wait until the job is polling the prediction
    cancel = await provider_client.post(f"/v1/jobs/{job_id}/cancel", headers=user.headers)
    assert cancel.status_code == 200, cancel.text
    await asyncio.wait_for(replicate.canceled.wait(), 10)
    await wait_until_final(provider_runtime, job_id, 10)
    job = (await provider_client.get(f"/v1/jobs/{job_id}", headers=user.headers)).json()
    assert job["status"] == "canceled"


async def test_safety_block_fails_the_job_with_content_blocked(
    provider_client: httpx.AsyncClient, provider_runtime: Runtime, fakes: Fakes
) -> None:
    fakes[0].replies = [Reply(200, {"candidates": [{"finishReason": "IMAGE_SAFETY"}]})]
    user = await new_user(provider_runtime)
    body = {"kind": "generate", "input": [], "params": {"prompt": "something bad"}}
    job = (await create(provider_client, user, body)).json()
    assert job["status"] == "failed"
    assert job["error"]["code"] == "content_blocked"


async def test_provider_failing_three_times_fails_the_job_once(
    provider_client: httpx.AsyncClient, provider_runtime: Runtime, fakes: Fakes
) -> None:
    fakes[0].replies = [
        Reply(503, gemini_error(503, "The model is overloaded.", "UNAVAILABLE"))
    ] * 3
    user = await new_user(provider_runtime)
    body = {"kind": "generate", "input": [], "params": {"prompt": "a cat"}}
    job = (await create(provider_client, user, body)).json()
    assert job["status"] == "failed"
    assert job["error"]["code"] == "provider_unavailable"
    assert "The model is overloaded." in job["error"]["message"]
    assert job["attempts"] == 1 and len(fakes[0].seen) == 3


async def test_provider_output_that_is_not_an_image_fails_with_provider_error(
    provider_client: httpx.AsyncClient, provider_runtime: Runtime, fakes: Fakes
) -> None:
    junk = base64.b64encode(b"<html>not an image</html>").decode()
    part = {"inlineData": {"mimeType": "image/png", "data": junk}}
    fakes[0].replies = [
        Reply(200, {"candidates": [{"content": {"parts": [part]}, "finishReason": "STOP"}]})
    ]
    user = await new_user(provider_runtime)
    body = {"kind": "generate", "input": [], "params": {"prompt": "a cat"}}
    job = (await create(provider_client, user, body)).json()
    assert job["status"] == "failed"
    assert job["error"]["code"] == "provider_error"
    assert job["outputs"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"prompt": "x" * 4001}, "params.prompt"),
        ({"prompt": ""}, "params.prompt"),
        ({"prompt": "   "}, "params.prompt"),
        ({"prompt": "a cat", "n": 5}, "params.n"),
        ({"prompt": "a cat", "aspect_ratio": "7:5"}, "params.aspect_ratio"),
        ({"prompt": "a cat", "resolution": "8K"}, "params.resolution"),
        ({"prompt": "a cat", "size": "huge"}, "params.size"),
        ({"prompt": "a cat", "provider": "midjourney"}, "params.provider"),
        ({"prompt": "a cat", "size": "512x512", "aspect_ratio": "1:1"}, "params"),
    ],
)
async def test_bad_generate_params_are_refused_with_the_field_named(
    provider_client: httpx.AsyncClient,
    provider_runtime: Runtime,
    params: dict[str, Any],
    field: str,
) -> None:
    user = await new_user(provider_runtime)
    response = await create(
        provider_client, user, {"kind": "generate", "input": [], "params": params}
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field


async def test_edit_without_an_image_is_refused(
    provider_client: httpx.AsyncClient, provider_runtime: Runtime
) -> None:
    user = await new_user(provider_runtime)
    body = {"kind": "edit", "input": [], "params": {"prompt": "make it blue"}}
    response = await create(provider_client, user, body)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "input"


async def test_generate_without_a_configured_provider_fails_at_submit_naming_the_setting(
    client: httpx.AsyncClient, user: User
) -> None:
    body = {"kind": "generate", "input": [], "params": {"prompt": "a cat"}}
    response = await client.post("/v1/jobs", json=body, headers=user.headers)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "provider_not_configured"
    assert "PICTOR_PROVIDERS_GEMINI_API_KEY" in error["message"]
    named = await client.post(
        "/v1/jobs",
        json={**body, "params": {"prompt": "a cat", "provider": "replicate"}},
        headers=user.headers,
    )
    assert "PICTOR_PROVIDERS_REPLICATE_API_TOKEN" in named.json()["error"]["message"]


async def test_ready_reports_each_provider(provider_client: httpx.AsyncClient) -> None:
    engines = (await provider_client.get("/ready")).json()["engines"]
    assert engines["generate:gemini"]["available"] is True
    assert engines["generate:replicate"]["available"] is True
