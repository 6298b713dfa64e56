"""Runtimes built from their own settings: a configured ONNX model, and the first admin.

These do not use the shared ``runtime`` fixture: each needs settings of its own
(``PICTOR_SEGMENT_MODEL``, ``PICTOR_ADMIN_API_KEY``) and a data dir of its own. SQLite only.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image
from tests.conftest import make_settings, new_user
from tests.engines.onnx_models import brightness_model, garbage_file
from tests.support.images import open_image

from pictor.api.app import create_app
from pictor.runtime import Runtime, build_runtime

# Runtimes that only answer HTTP and never run a job: no workers, no process pool.
NO_WORKERS = {"concurrency": 1, "process_pool": False}


def square(inside: int = 235, outside: int = 20) -> bytes:
    """A 200 x 160 grey image with an 80 x 80 square in the middle, as PNG."""
    rgb = np.full((160, 200, 3), outside, np.uint8)
    rgb[40:120, 60:140] = inside
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "PNG")
    return buf.getvalue()


async def started(settings_dir: Path, *, run_workers: bool = True, **overrides: object) -> Runtime:
    runtime = build_runtime(make_settings(settings_dir, **overrides), run_workers=run_workers)
    await runtime.start()
    return runtime


def http_client(runtime: Runtime) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(runtime=runtime))
    return httpx.AsyncClient(transport=transport, base_url="http://pictor.test")


@pytest.fixture(scope="module")
async def onnx_runtime(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Runtime]:
    """A runtime whose PICTOR_SEGMENT_MODEL is a tiny "bright is foreground" model."""
    data_dir = tmp_path_factory.mktemp("pictor-onnx")
    model = brightness_model(data_dir / "bright.onnx")
    runtime = await started(data_dir, segment={"model": model})
    yield runtime
    await runtime.stop()


@pytest.fixture
async def onnx_client(onnx_runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(onnx_runtime) as client:
        yield client


async def run_onnx_job(
    client: httpx.AsyncClient, runtime: Runtime, image: bytes
) -> tuple[dict[str, Any], NDArray[np.uint8]]:
    """Upload ``image``, run remove_background on the onnx engine, return job and alpha."""
    user = await new_user(runtime)
    files = {"file": ("square.png", image, "image/png")}
    upload = await client.post("/v1/uploads", files=files, headers=user.headers)
    assert upload.status_code == 201, upload.text
    response = await client.post(
        "/v1/jobs",
        json={
            "kind": "remove_background",
            "input": {"upload_id": upload.json()["id"]},
            "params": {"engine": "onnx"},
        },
        headers={**user.headers, "Prefer": "wait=60"},
    )
    assert response.status_code == 201, response.text
    job: dict[str, Any] = response.json()
    assert job["status"] == "succeeded", job
    [output] = job["outputs"]
    download = await client.get(output["url"])
    assert download.status_code == 200
    pixels = np.asarray(open_image(download.content))
    assert pixels.shape == (160, 200, 4)
    return job, pixels[:, :, 3]


async def test_an_onnx_job_runs_the_configured_model(
    onnx_client: httpx.AsyncClient, onnx_runtime: Runtime
) -> None:
    job, alpha = await run_onnx_job(onnx_client, onnx_runtime, square(inside=235, outside=20))
    assert job["engine"] == "onnx:bright.onnx"
    [output] = job["outputs"]
    assert output["engine"] == "onnx:bright.onnx"
    assert output["content_type"] == "image/png"
    assert alpha[45:115, 65:135].min() > 235, "the bright square is foreground for this model"
    assert alpha[5, 5] < 20 and alpha[155, 195] < 20, "the dark background is not"


async def test_the_output_follows_the_model_not_the_usual_subject(
    onnx_client: httpx.AsyncClient, onnx_runtime: Runtime
) -> None:
    # A dark object centred on a light backdrop: a product shot, whose subject the
    # classical engine keeps. This model keeps what is bright, so the output is inverted.
    _, alpha = await run_onnx_job(onnx_client, onnx_runtime, square(inside=20, outside=235))
    assert alpha[45:115, 65:135].max() < 20
    assert alpha[5, 5] > 235 and alpha[155, 195] > 235


async def test_ready_reports_the_onnx_model_and_its_provider(
    onnx_client: httpx.AsyncClient, onnx_runtime: Runtime
) -> None:
    body = (await onnx_client.get("/ready")).json()
    onnx = body["engines"]["segment:onnx"]
    assert onnx["available"] is True
    assert "bright.onnx" in onnx["detail"]
    assert "CPUExecutionProvider" in onnx["detail"]
    assert body["engines"]["segment:classical"]["available"] is True


async def test_a_model_file_that_is_not_a_model_is_reported_and_refused(tmp_path: Path) -> None:
    model = garbage_file(tmp_path / "broken.onnx")
    runtime = await started(
        tmp_path, run_workers=False, worker=NO_WORKERS, segment={"model": model}
    )
    try:
        async with http_client(runtime) as client:
            onnx = (await client.get("/ready")).json()["engines"]["segment:onnx"]
            assert onnx["available"] is False
            assert "PICTOR_SEGMENT_MODEL" in onnx["detail"] and "broken.onnx" in onnx["detail"]

            user = await new_user(runtime)
            files = {"file": ("square.png", square(), "image/png")}
            upload = await client.post("/v1/uploads", files=files, headers=user.headers)
            response = await client.post(
                "/v1/jobs",
                json={
                    "kind": "remove_background",
                    "input": {"upload_id": upload.json()["id"]},
                    "params": {"engine": "onnx"},
                },
                headers=user.headers,
            )
            assert response.status_code == 422, response.text
            assert response.json()["error"]["code"] == "engine_unavailable"
    finally:
        await runtime.stop()


async def test_the_first_start_creates_one_admin_and_shows_its_key_once(tmp_path: Path) -> None:
    first = await started(tmp_path, run_workers=False, worker=NO_WORKERS)
    try:
        key = first.admin_key_created
        assert key is not None and key.startswith("psk_")
        async with http_client(first) as client:
            me = await client.get("/v1/me", headers={"Authorization": f"Bearer {key}"})
            assert me.status_code == 200, me.text
            assert me.json()["role"] == "admin"
            assert me.json()["email"] == "admin@localhost"
    finally:
        await first.stop()

    second = await started(tmp_path, run_workers=False, worker=NO_WORKERS)
    try:
        assert second.admin_key_created is None, "a second start creates no admin"
        async with http_client(second) as client:
            me = await client.get("/v1/me", headers={"Authorization": f"Bearer {key}"})
            assert me.status_code == 200 and me.json()["role"] == "admin"
    finally:
        await second.stop()


async def test_a_configured_admin_key_authenticates_as_admin(tmp_path: Path) -> None:
    key = "psk_" + secrets.token_urlsafe(30)
    runtime = await started(tmp_path, run_workers=False, worker=NO_WORKERS, admin={"api_key": key})
    try:
        assert runtime.admin_key_created == key
        async with http_client(runtime) as client:
            me = await client.get("/v1/me", headers={"Authorization": f"Bearer {key}"})
            assert me.status_code == 200, me.text
            assert me.json()["role"] == "admin"
            wrong = await client.get("/v1/me", headers={"Authorization": f"Bearer {key}x"})
            assert wrong.status_code == 401
    finally:
        await runtime.stop()


async def test_an_admin_key_set_later_is_added_to_the_existing_admin(tmp_path: Path) -> None:
    first = await started(tmp_path, run_workers=False, worker=NO_WORKERS)
    try:
        first_key = first.admin_key_created
        assert first_key is not None
    finally:
        await first.stop()

    key = "psk_" + secrets.token_urlsafe(30)
    second = await started(tmp_path, run_workers=False, worker=NO_WORKERS, admin={"api_key": key})
    try:
        assert second.admin_key_created is None
        async with http_client(second) as client:
            for secret in (key, first_key):
                me = await client.get("/v1/me", headers={"Authorization": f"Bearer {secret}"})
                assert me.status_code == 200, me.text
                assert me.json()["role"] == "admin"
    finally:
        await second.stop()
