"""The life of a job through the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import numpy as np
from tests.conftest import User
from tests.support.images import open_image, product_photo

from pictor.runtime import Runtime


async def upload(client: httpx.AsyncClient, user: User, data: bytes | None = None) -> str:
    files = {"file": ("photo.jpg", data or product_photo(), "image/jpeg")}
    response = await client.post("/v1/uploads", files=files, headers=user.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_remove_background_job_runs_to_a_transparent_png(
    client: httpx.AsyncClient, user: User
) -> None:
    upload_id = await upload(client, user)
    response = await client.post(
        "/v1/jobs",
        json={"kind": "remove_background", "input": {"upload_id": upload_id}},
        headers={**user.headers, "Prefer": "wait=30"},
    )
    assert response.status_code == 201, response.text
    job = response.json()
    assert job["status"] == "succeeded", job
    assert job["progress"] == 100
    assert job["engine"] == "classical"
    assert job["attempts"] == 1
    assert job["timings"]["queue_wait_s"] >= 0 and job["timings"]["run_s"] > 0
    assert response.headers["Preference-Applied"] == "wait=30"
    [output] = job["outputs"]
    assert output["engine"] == "classical" and output["content_type"] == "image/png"

    download = await client.get(output["url"])
    assert download.status_code == 200
    image = np.asarray(open_image(download.content))
    assert image.shape == (240, 320, 4)
    assert image[5, 5, 3] < 20, "the studio background must be transparent"
    assert image[120, 160, 3] > 235, "the red product must stay opaque"


async def test_job_events_are_stored_in_order_ending_with_the_final_one(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    upload_id = await upload(client, user)
    job = (
        await client.post(
            "/v1/jobs",
            json={"kind": "remove_background", "input": {"upload_id": upload_id}},
            headers={**user.headers, "Prefer": "wait=30"},
        )
    ).json()
    from pictor.jobs.events import stored_events

    async with runtime.db.read_session() as session:
        events = await stored_events(session, job["id"])
    types = [e.type for e in events]
    assert types[0] == "queued" and types[1] == "running" and types[-1] == "succeeded"
    assert "progress" in types
    assert [e.seq for e in events] == list(range(1, len(events) + 1))


async def test_bad_params_are_refused_with_the_field_named(
    client: httpx.AsyncClient, user: User
) -> None:
    upload_id = await upload(client, user)
    cases = [
        (
            {
                "kind": "remove_background",
                "input": {"upload_id": upload_id},
                "params": {"output_format": "gif"},
            },
            "params.output_format",
        ),
        (
            {
                "kind": "remove_background",
                "input": {"upload_id": upload_id},
                "params": {"padding": -1},
            },
            "params.padding",
        ),
        (
            {
                "kind": "remove_background",
                "input": {"upload_id": upload_id},
                "params": {"owner_id": "usr_x"},
            },
            "params.owner_id",
        ),
        ({"kind": "no_such_kind", "input": {"upload_id": upload_id}}, "kind"),
        ({"kind": "remove_background", "input": {}}, "input"),
    ]
    for body, field in cases:
        response = await client.post("/v1/jobs", json=body, headers=user.headers)
        assert response.status_code == 422, (body, response.text)
        error = response.json()["error"]
        assert error["code"] == "invalid_request"
        assert error.get("field", "").startswith(field.split(".")[0]), (field, error)


async def test_an_engine_that_is_not_configured_is_refused_at_submit(
    client: httpx.AsyncClient, user: User
) -> None:
    upload_id = await upload(client, user)
    response = await client.post(
        "/v1/jobs",
        json={
            "kind": "remove_background",
            "input": {"upload_id": upload_id},
            "params": {"engine": "onnx"},
        },
        headers=user.headers,
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "engine_unavailable"
    assert "PICTOR_SEGMENT_MODEL" in error["message"]


async def test_idempotency_key_returns_the_same_job_and_refuses_another_body(
    client: httpx.AsyncClient, user: User
) -> None:
    upload_id = await upload(client, user)
    body = {"kind": "remove_background", "input": {"upload_id": upload_id}}
    headers = {**user.headers, "Idempotency-Key": "order-42"}
    first = await client.post("/v1/jobs", json=body, headers=headers)
    again = await client.post("/v1/jobs", json=body, headers=headers)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    other = {**body, "params": {"trim": True}}
    conflict = await client.post("/v1/jobs", json=other, headers=headers)
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "idempotency_key_reused"


async def test_concurrent_requests_with_one_idempotency_key_make_one_job(
    client: httpx.AsyncClient, user: User
) -> None:
    upload_id = await upload(client, user)
    body = {"kind": "remove_background", "input": {"upload_id": upload_id}}
    headers = {**user.headers, "Idempotency-Key": "burst"}
    responses = await asyncio.gather(
        *[client.post("/v1/jobs", json=body, headers=headers) for _ in range(8)]
    )
    assert {r.status_code for r in responses} <= {200, 201}
    assert len({r.json()["id"] for r in responses}) == 1


async def test_prefer_wait_above_sixty_seconds_is_refused(
    client: httpx.AsyncClient, user: User
) -> None:
    upload_id = await upload(client, user)
    response = await client.post(
        "/v1/jobs",
        json={"kind": "remove_background", "input": {"upload_id": upload_id}},
        headers={**user.headers, "Prefer": "wait=61"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "Prefer"


async def test_list_filters_by_kind_and_status_and_pages_with_a_cursor(
    client: httpx.AsyncClient, user: User
) -> None:
    ids = []
    for _ in range(3):
        job = await client.post(
            "/v1/jobs",
            json={"kind": "test_flaky", "input": [], "params": {"fail_times": 0}},
            headers={**user.headers, "Prefer": "wait=30"},
        )
        ids.append(job.json()["id"])
    page1 = (await client.get("/v1/jobs?limit=2&kind=test_flaky", headers=user.headers)).json()
    assert [j["id"] for j in page1["data"]] == ids[::-1][:2]
    assert page1["has_more"] is True
    page2 = (
        await client.get(
            f"/v1/jobs?limit=2&kind=test_flaky&cursor={page1['next_cursor']}", headers=user.headers
        )
    ).json()
    assert [j["id"] for j in page2["data"]] == [ids[0]]
    assert page2["has_more"] is False
    none = await client.get("/v1/jobs?status=failed&kind=test_flaky", headers=user.headers)
    assert none.json()["data"] == []
    bad = await client.get("/v1/jobs?status=sleeping", headers=user.headers)
    assert bad.status_code == 422


async def test_openapi_describes_each_kind_params_as_a_union_on_kind(
    client: httpx.AsyncClient,
) -> None:
    spec = (await client.get("/openapi.json")).json()
    schemas = spec["components"]["schemas"]
    assert "RemoveBackgroundParams" in schemas
    assert "RemoveBackgroundJobCreate" in schemas
    body = spec["paths"]["/v1/jobs"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["discriminator"]["propertyName"] == "kind"


async def test_a_kind_that_takes_no_image_needs_no_input_field(
    client: httpx.AsyncClient, user: User
) -> None:
    response = await client.post(
        "/v1/jobs",
        json={"kind": "test_flaky", "params": {"fail_times": 0}},
        headers={**user.headers, "Prefer": "wait=30"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "succeeded"
    missing = await client.post(
        "/v1/jobs", json={"kind": "remove_background"}, headers=user.headers
    )
    assert missing.status_code == 422
    assert missing.json()["error"]["code"] == "wrong_input_count"


async def test_an_oversized_job_request_is_refused_while_it_arrives(
    client: httpx.AsyncClient, user: User
) -> None:
    async def body() -> Any:
        yield b'{"kind": "test_flaky", "params": {}, "pad": "'
        for _ in range(100):
            yield b"x" * 100_000
        yield b'"}'

    headers = {**user.headers, "Content-Type": "application/json"}
    response = await client.post("/v1/jobs", content=body(), headers=headers)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


async def test_an_oversized_declared_body_is_refused_unread_with_a_json_error(
    client: httpx.AsyncClient, user: User
) -> None:
    headers = {**user.headers, "Content-Type": "application/json"}
    big = b'{"kind": "test_flaky", "pad": "' + b"x" * 1_100_000 + b'"}'
    response = await client.post("/v1/jobs", content=big, headers=headers)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"
    sync = await client.post("/v1/remove-background", content=big, headers=headers)
    assert sync.status_code == 413
    assert sync.json()["error"]["code"] == "request_too_large"
