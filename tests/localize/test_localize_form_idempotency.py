"""Idempotency-Key on POST /v1/localizations: the same form is the same job."""

# ruff: noqa: F811 - the fixtures imported from test_localize_api are parameters here

from __future__ import annotations

import httpx
from tests.conftest import User, new_user
from tests.localize.localize_fakes import LocalizeGemini, solid_png
from tests.localize.test_localize_api import (  # noqa: F401 - fixtures
    AD,
    fake,
    gemini,
    loc_client,
    loc_runtime,
)

from pictor.runtime import Runtime

FORM = {"target_languages": "japanese,german", "image_size": "1K"}


async def post_form(
    client: httpx.AsyncClient,
    user: User,
    key: str | None,
    fields: dict[str, str] = FORM,
    ad: bytes = AD,
) -> httpx.Response:
    headers = dict(user.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    return await client.post(
        "/v1/localizations",
        files={"file": ("ad.png", ad, "image/png")},
        data=fields,
        headers=headers,
    )


async def job_count(client: httpx.AsyncClient, user: User) -> int:
    response = await client.get("/v1/jobs", params={"kind": "localize"}, headers=user.headers)
    assert response.status_code == 200, response.text
    return len(response.json()["data"])


async def test_the_same_key_and_form_answer_the_same_job(
    loc_client: httpx.AsyncClient, loc_runtime: Runtime, fake: LocalizeGemini
) -> None:
    user = await new_user(loc_runtime)

    first = await post_form(loc_client, user, "campaign-7")
    again = await post_form(loc_client, user, "campaign-7")

    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert await job_count(loc_client, user) == 1


async def test_the_same_key_with_other_fields_is_refused(
    loc_client: httpx.AsyncClient, loc_runtime: Runtime, fake: LocalizeGemini
) -> None:
    user = await new_user(loc_runtime)
    assert (await post_form(loc_client, user, "campaign-8")).status_code == 201

    other = await post_form(loc_client, user, "campaign-8", {**FORM, "target_languages": "thai"})

    assert other.status_code == 409, other.text
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert await job_count(loc_client, user) == 1


async def test_the_same_key_with_another_ad_is_refused(
    loc_client: httpx.AsyncClient, loc_runtime: Runtime, fake: LocalizeGemini
) -> None:
    user = await new_user(loc_runtime)
    assert (await post_form(loc_client, user, "campaign-9")).status_code == 201

    other = await post_form(loc_client, user, "campaign-9", ad=solid_png(400, 300, (1, 2, 3)))

    assert other.status_code == 409, other.text
    assert other.json()["error"]["code"] == "idempotency_key_reused"


async def test_without_a_key_each_form_is_a_new_job(
    loc_client: httpx.AsyncClient, loc_runtime: Runtime, fake: LocalizeGemini
) -> None:
    user = await new_user(loc_runtime)

    first = await post_form(loc_client, user, None)
    second = await post_form(loc_client, user, None)

    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]


async def test_keys_are_per_user(
    loc_client: httpx.AsyncClient, loc_runtime: Runtime, fake: LocalizeGemini
) -> None:
    alice, bob = await new_user(loc_runtime), await new_user(loc_runtime)

    first = await post_form(loc_client, alice, "shared-key")
    second = await post_form(loc_client, bob, "shared-key")

    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
