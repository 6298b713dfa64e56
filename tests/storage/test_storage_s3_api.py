"""pictor on S3 through its API: a runtime built from an s3:// URL (SQLite), moto on loopback.

Run twice: with presigned downloads (``/files/{id}`` redirects) and without (streamed).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from tests.conftest import User, make_settings, new_user
from tests.gallery.support import assert_error, cut_out, upload_png
from tests.storage.s3_server import MotoServer
from tests.support.images import open_image

from pictor.api.app import create_app
from pictor.jobs.events import Event
from pictor.runtime import Runtime, build_runtime
from pictor.storage import audit
from pictor.storage.s3 import S3BlobStore

PREFIX = "media"


@pytest.fixture(scope="module")
def api_moto() -> Iterator[MotoServer]:
    """This module's own S3 server: its tests pause it."""
    server = MotoServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module", params=["presigned", "streamed"])
async def s3_runtime(
    request: pytest.FixtureRequest, api_moto: MotoServer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Runtime]:
    storage = api_moto.settings(
        api_moto.new_bucket(),
        PREFIX,
        presign=request.param == "presigned",
        connect_timeout_s=1,
        read_timeout_s=1,
        max_attempts=1,
    )
    settings = make_settings(
        tmp_path_factory.mktemp("pictor-s3"),
        storage=storage.model_dump(),
        # Room for retries while the storage is paused (about 20 s).
        worker={"backoff_base_s": 0.5, "backoff_max_s": 1.0, "max_attempts": 20},
    )
    runtime = build_runtime(settings)
    await runtime.start()
    yield runtime
    await runtime.stop()


@pytest.fixture
async def s3_client(s3_runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(runtime=s3_runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://pictor.test") as client:
        yield client


@pytest.fixture
async def s3_user(s3_runtime: Runtime) -> User:
    return await new_user(s3_runtime)


def presigning(runtime: Runtime) -> bool:
    return runtime.settings.storage.presign


def bucket_of(runtime: Runtime) -> str:
    assert isinstance(runtime.store, S3BlobStore)
    return runtime.store.location.bucket


async def download(client: httpx.AsyncClient, runtime: Runtime, url: str) -> httpx.Response:
    """GET a pictor file URL as a browser would: following a redirect to S3 if there is one."""
    response = await client.get(url)
    if not presigning(runtime):
        return response
    assert response.status_code == 307, response.text
    assert response.headers["cache-control"] == "private, no-store"
    location = response.headers["location"]
    assert location.startswith(f"{runtime.settings.storage.endpoint_url}/")
    assert "X-Amz-Signature=" in location and "X-Amz-Expires=300" in location
    async with httpx.AsyncClient() as outside:  # straight to the S3 server, no API key
        return await outside.get(location)


async def audit_problems(runtime: Runtime) -> list[str]:
    async with runtime.db.read_engine.connect() as conn:
        return await audit.check(conn, runtime.store)


async def test_remove_background_job_reads_and_writes_s3(
    s3_runtime: Runtime, s3_client: httpx.AsyncClient, s3_user: User, api_moto: MotoServer
) -> None:
    job = await cut_out(s3_client, s3_user)
    [output] = job["outputs"]
    admin = api_moto.admin()
    listed = admin.list_objects_v2(Bucket=bucket_of(s3_runtime), Prefix=f"{PREFIX}/{s3_user.id}/")
    keys = {item["Key"] for item in listed["Contents"]}
    assert f"{PREFIX}/{s3_user.id}/{output['id']}.png" in keys
    assert len(keys) == 2  # the upload and the cut-out

    response = await download(s3_client, s3_runtime, output["url"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    image = open_image(response.content)
    assert image.format == "PNG" and image.mode == "RGBA" and image.size == (320, 240)
    assert await audit_problems(s3_runtime) == []


async def test_an_upload_downloads_with_its_type_and_name(
    s3_runtime: Runtime, s3_client: httpx.AsyncClient, s3_user: User
) -> None:
    # Uploads are stored as application/octet-stream before they are validated; the
    # download (presigned or not) carries the detected type and the client's file name.
    upload_id = await upload_png(s3_client, s3_user)
    artifact = await s3_client.get(f"/v1/artifacts/{upload_id}", headers=s3_user.headers)
    response = await download(s3_client, s3_runtime, artifact.json()["url"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-disposition"] == 'inline; filename="photo.png"'
    assert open_image(response.content).format == "PNG"


async def test_thumbnails_live_in_s3_and_trashed_urls_stop_working(
    s3_runtime: Runtime, s3_client: httpx.AsyncClient, s3_user: User
) -> None:
    job = await cut_out(s3_client, s3_user)
    item_id = job["outputs"][0]["id"]
    item = (await s3_client.get(f"/v1/gallery/{item_id}", headers=s3_user.headers)).json()
    thumbnail = await download(s3_client, s3_runtime, item["thumbnail_url"])
    assert thumbnail.status_code == 200 and open_image(thumbnail.content).format == "WEBP"
    assert await audit_problems(s3_runtime) == []  # the thumbnail has its row too

    trashed = await s3_client.delete(f"/v1/gallery/{item_id}", headers=s3_user.headers)
    assert trashed.status_code == 204
    # The URLs handed out before are still signed and unexpired: pictor refuses them.
    assert_error(await s3_client.get(item["url"]), 404, "artifact_not_found")
    assert_error(await s3_client.get(item["thumbnail_url"]), 404, "artifact_not_found")


async def test_audit_names_missing_and_orphan_blobs(
    s3_runtime: Runtime, s3_client: httpx.AsyncClient, s3_user: User, api_moto: MotoServer
) -> None:
    upload_id = await upload_png(s3_client, s3_user)
    bucket, admin = bucket_of(s3_runtime), api_moto.admin()
    key = f"{s3_user.id}/{upload_id}.upload"  # uploads keep no extension
    original = admin.get_object(Bucket=bucket, Key=f"{PREFIX}/{key}")["Body"].read()
    admin.delete_object(Bucket=bucket, Key=f"{PREFIX}/{key}")
    admin.put_object(Bucket=bucket, Key=f"{PREFIX}/{s3_user.id}/stray.png", Body=b"x")
    admin.put_object(Bucket=bucket, Key="not-pictor/other.png", Body=b"x")  # outside the prefix
    try:
        assert await audit_problems(s3_runtime) == [
            f"artifact {upload_id}: its blob {key!r} is missing",
            f"blob '{s3_user.id}/stray.png' has no artifact row",
        ]
    finally:
        admin.put_object(Bucket=bucket, Key=f"{PREFIX}/{key}", Body=original)
        admin.delete_object(Bucket=bucket, Key=f"{PREFIX}/{s3_user.id}/stray.png")
    assert await audit_problems(s3_runtime) == []


async def test_orphans_are_marked_then_swept_unless_they_got_a_row(
    s3_runtime: Runtime, s3_client: httpx.AsyncClient, s3_user: User, api_moto: MotoServer
) -> None:
    bucket, admin = bucket_of(s3_runtime), api_moto.admin()
    stray = f"{s3_user.id}/art_killedattempt.png"
    admin.put_object(Bucket=bucket, Key=f"{PREFIX}/{stray}", Body=b"x")
    async with s3_runtime.db.read_engine.connect() as conn:
        marked = await audit.orphan_keys(conn, s3_runtime.store)
    assert marked == [stray]
    upload_id = await upload_png(s3_client, s3_user)  # has a row: never swept
    recorded = f"{s3_user.id}/{upload_id}.upload"
    async with s3_runtime.db.read_engine.connect() as conn:
        removed = await audit.remove_orphans(conn, s3_runtime.store, [*marked, recorded])
    assert removed == [stray]
    assert await s3_runtime.store.exists(recorded)
    assert await audit_problems(s3_runtime) == []


async def test_storage_down_is_503_and_a_job_waits_it_out(
    s3_runtime: Runtime, s3_client: httpx.AsyncClient, s3_user: User, api_moto: MotoServer
) -> None:
    upload_id = await upload_png(s3_client, s3_user)
    uploaded = (await s3_client.get(f"/v1/artifacts/{upload_id}", headers=s3_user.headers)).json()
    retried = asyncio.Event()
    errors: list[Any] = []

    def on_event(event: Event) -> None:
        if event.type == "retrying":
            errors.append(event.data["error"]["code"])
            retried.set()

    api_moto.pause()
    s3_runtime.bus.observers.append(on_event)
    try:
        ready = await s3_client.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["components"]["storage"]["available"] is False
        files = {"file": ("p.png", b"\x89PNG not really", "image/png")}
        upload = await s3_client.post("/v1/uploads", files=files, headers=s3_user.headers)
        assert_error(upload, 503, "storage_unavailable")
        fetched = await s3_client.get(uploaded["url"])
        if presigning(s3_runtime):
            assert fetched.status_code == 307  # signing needs no storage round trip
        else:
            assert_error(fetched, 503, "storage_unavailable")

        body = {"kind": "remove_background", "input": [{"upload_id": upload_id}], "params": {}}
        submitted = await s3_client.post("/v1/jobs", json=body, headers=s3_user.headers)
        assert submitted.status_code == 201, submitted.text
        await asyncio.wait_for(retried.wait(), timeout=30)
    finally:
        api_moto.resume()
        s3_runtime.bus.observers.remove(on_event)
    assert errors[0] == "storage_unavailable"

    job_id = submitted.json()["id"]
    events = f"/v1/jobs/{job_id}/events"
    async with s3_client.stream("GET", events, headers=s3_user.headers) as stream:
        async for _ in stream.aiter_lines():  # the stream ends with the job
            pass
    job = await s3_client.get(f"/v1/jobs/{job_id}", headers=s3_user.headers)
    assert job.json()["status"] == "succeeded", job.json()
    assert job.json()["attempts"] >= 2
    assert (await s3_client.get("/ready")).status_code == 200
    assert await audit_problems(s3_runtime) == []
