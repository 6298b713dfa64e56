"""One user's jobs and files do not exist for another user: every route says 404."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.conftest import User
from tests.support.images import product_photo


async def upload(client: httpx.AsyncClient, user: User) -> str:
    files = {"file": ("photo.jpg", product_photo(), "image/jpeg")}
    response = await client.post("/v1/uploads", files=files, headers=user.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.fixture
async def finished_job(client: httpx.AsyncClient, user: User) -> dict[str, Any]:
    upload_id = await upload(client, user)
    response = await client.post(
        "/v1/jobs",
        json={"kind": "remove_background", "input": {"upload_id": upload_id}},
        headers={**user.headers, "Prefer": "wait=30"},
    )
    assert response.status_code == 201, response.text
    job: dict[str, Any] = response.json()
    assert job["status"] == "succeeded", job
    return job


def assert_not_found(response: httpx.Response, code: str) -> None:
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == code


async def test_another_users_job_cannot_be_read_cancelled_or_followed(
    client: httpx.AsyncClient, user: User, other_user: User, finished_job: dict[str, Any]
) -> None:
    job_id = finished_job["id"]
    other = other_user.headers
    assert_not_found(await client.get(f"/v1/jobs/{job_id}", headers=other), "job_not_found")
    assert_not_found(await client.post(f"/v1/jobs/{job_id}/cancel", headers=other), "job_not_found")
    assert_not_found(await client.get(f"/v1/jobs/{job_id}/events", headers=other), "job_not_found")
    # The owner still sees it, unchanged: the refused cancel touched nothing.
    mine = await client.get(f"/v1/jobs/{job_id}", headers=user.headers)
    assert mine.status_code == 200
    assert mine.json()["status"] == "succeeded" and mine.json()["cancel_requested"] is False
    owner_cancel = await client.post(f"/v1/jobs/{job_id}/cancel", headers=user.headers)
    assert owner_cancel.status_code == 409
    assert owner_cancel.json()["error"]["code"] == "job_finished"


async def test_an_unknown_job_looks_the_same_as_another_users(
    client: httpx.AsyncClient, other_user: User, finished_job: dict[str, Any]
) -> None:
    theirs = await client.get(f"/v1/jobs/{finished_job['id']}", headers=other_user.headers)
    unknown = await client.get("/v1/jobs/job_does_not_exist", headers=other_user.headers)
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json()["error"]["code"] == unknown.json()["error"]["code"]


async def test_another_users_uploads_and_outputs_cannot_be_read(
    client: httpx.AsyncClient, user: User, other_user: User, finished_job: dict[str, Any]
) -> None:
    upload_id = finished_job["input"][0]["upload_id"]
    output_id = finished_job["outputs"][0]["id"]
    for artifact_id in (upload_id, output_id):
        mine = await client.get(f"/v1/artifacts/{artifact_id}", headers=user.headers)
        assert mine.status_code == 200
        theirs = await client.get(f"/v1/artifacts/{artifact_id}", headers=other_user.headers)
        assert_not_found(theirs, "artifact_not_found")


async def test_another_users_upload_cannot_be_used_as_a_job_input(
    client: httpx.AsyncClient, user: User, other_user: User
) -> None:
    upload_id = await upload(client, user)
    for body in (
        {"kind": "remove_background", "input": {"upload_id": upload_id}},
        {"kind": "remove_background", "input": [{"upload_id": upload_id}]},
    ):
        response = await client.post("/v1/jobs", json=body, headers=other_user.headers)
        assert_not_found(response, "upload_not_found")
        assert response.json()["error"]["field"] == "input"
    listed = await client.get("/v1/jobs", headers=other_user.headers)
    assert listed.json()["data"] == []


async def test_job_lists_never_show_another_users_jobs(
    client: httpx.AsyncClient, user: User, other_user: User, finished_job: dict[str, Any]
) -> None:
    mine = (await client.get("/v1/jobs", headers=user.headers)).json()
    assert [j["id"] for j in mine["data"]] == [finished_job["id"]]
    queries = [
        "",
        "?kind=remove_background",
        "?status=succeeded",
        "?kind=remove_background&status=succeeded&limit=100",
        # Someone else's job id as the cursor must not page into their jobs either.
        f"?cursor={finished_job['id']}",
    ]
    for query in queries:
        response = await client.get(f"/v1/jobs{query}", headers=other_user.headers)
        assert response.status_code == 200, (query, response.text)
        assert response.json()["data"] == [], query
        assert response.json()["has_more"] is False
