"""Helpers of the gallery tests: real jobs through the API, files in the real store."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
from PIL import Image
from tests.conftest import User
from tests.support.images import product_photo

from pictor.gallery.background import TrashPurger
from pictor.gallery.service import GalleryService
from pictor.runtime import Runtime
from pictor.storage.local import LocalBlobStore


def gallery_of(runtime: Runtime) -> GalleryService:
    purger = runtime.services["gallery"]
    assert isinstance(purger, TrashPurger)
    return purger.gallery


def blob_path(runtime: Runtime, key: str) -> Path:
    assert isinstance(runtime.store, LocalBlobStore)
    return runtime.store.root / key


async def upload_png(
    client: httpx.AsyncClient, user: User, width: int = 320, height: int = 240
) -> str:
    data = product_photo(width, height, fmt="PNG")
    files = {"file": ("photo.png", data, "image/png")}
    response = await client.post("/v1/uploads", files=files, headers=user.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def run_job(
    client: httpx.AsyncClient, user: User, kind: str, params: dict[str, Any], inputs: list[str]
) -> dict[str, Any]:
    response = await client.post(
        "/v1/jobs",
        json={"kind": kind, "input": [{"upload_id": i} for i in inputs], "params": params},
        headers={**user.headers, "Prefer": "wait=60"},
    )
    assert response.status_code == 201, response.text
    job: dict[str, Any] = response.json()
    assert job["status"] == "succeeded", job
    return job


async def cut_out(
    client: httpx.AsyncClient, user: User, width: int = 320, height: int = 240
) -> dict[str, Any]:
    """A remove_background job on a real PNG; returns the finished job."""
    upload_id = await upload_png(client, user, width, height)
    return await run_job(client, user, "remove_background", {}, [upload_id])


async def logo(client: httpx.AsyncClient, user: User, name: str, **params: Any) -> dict[str, Any]:
    """A one-variant logo job: an SVG, four PNGs and a brand kit ZIP."""
    return await run_job(
        client, user, "logo", {"business_name": name, "variants": 1, "seed": 7, **params}, []
    )


async def gallery_list(client: httpx.AsyncClient, user: User, **query: Any) -> dict[str, Any]:
    response = await client.get("/v1/gallery", params=query, headers=user.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def item(client: httpx.AsyncClient, user: User, item_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/gallery/{item_id}", headers=user.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def webp_size(data: bytes) -> tuple[int, int]:
    image = Image.open(io.BytesIO(data))
    assert image.format == "WEBP"
    return image.size


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
