"""The ``erase`` job kind through the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np
from tests.conftest import User
from tests.inpaint.synthetic import gradient, png_bytes, png_pixels, rect_mask


async def upload_png(client: httpx.AsyncClient, user: User, pixels: np.ndarray) -> str:
    files = {"file": ("image.png", png_bytes(pixels), "image/png")}
    response = await client.post("/v1/uploads", files=files, headers=user.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def run_job(
    client: httpx.AsyncClient, user: User, inputs: list[str], params: dict[str, Any]
) -> httpx.Response:
    return await client.post(
        "/v1/jobs",
        json={"kind": "erase", "input": [{"upload_id": i} for i in inputs], "params": params},
        headers={**user.headers, "Prefer": "wait=30"},
    )


def drawn_gradient() -> tuple[np.ndarray, np.ndarray]:
    clean = gradient()
    drawn = clean.copy()
    drawn[100:130, 140:200] = (250, 10, 10)
    return clean, drawn


async def test_erase_with_a_mask_image_fills_the_white_part(
    client: httpx.AsyncClient, user: User
) -> None:
    clean, drawn = drawn_gradient()
    image_id = await upload_png(client, user, drawn)
    mask_id = await upload_png(client, user, rect_mask(240, 320, 140, 100, 60, 30))
    response = await run_job(client, user, [image_id, mask_id], {})
    assert response.status_code == 201, response.text
    job = response.json()
    assert job["status"] == "succeeded", job
    assert job["engine"] == "opencv:telea"
    assert job["result"]["masked_pixels"] == 60 * 30
    [output] = job["outputs"]
    assert output["engine"] == "opencv:telea"
    out = png_pixels((await client.get(output["url"])).content)
    hole = rect_mask(240, 320, 140, 100, 60, 30) > 0
    assert np.abs(out.astype(int) - clean.astype(int))[hole].mean() < 6
    assert np.array_equal(out[~hole], drawn[~hole])


async def test_erase_with_regions_in_percent_and_navier_stokes(
    client: httpx.AsyncClient, user: User
) -> None:
    clean, drawn = drawn_gradient()
    drawn[20:40, 20:40] = 0  # a black square, erased by a polygon
    image_id = await upload_png(client, user, drawn)
    params = {
        "regions": [
            {"x": 140 / 3.2, "y": 100 / 2.4, "w": 60 / 3.2, "h": 30 / 2.4},
            {"points": [[5, 5], [15, 5], [15, 20], [5, 20]]},
        ],
        "units": "percent",
        "method": "ns",
        "dilate": 1,
        "feather": 2,
    }
    job = (await run_job(client, user, [image_id], params)).json()
    assert job["status"] == "succeeded", job
    assert job["engine"] == "opencv:ns"
    out = png_pixels((await client.get(job["outputs"][0]["url"])).content)
    assert np.abs(out.astype(int) - clean.astype(int))[100:130, 140:200].mean() < 8
    assert np.abs(out.astype(int) - clean.astype(int))[20:40, 20:40].mean() < 8


async def test_a_mask_of_another_size_is_refused_unless_resizing_is_asked(
    client: httpx.AsyncClient, user: User
) -> None:
    _, drawn = drawn_gradient()
    image_id = await upload_png(client, user, drawn)
    half = rect_mask(120, 160, 70, 50, 30, 15)
    mask_id = await upload_png(client, user, half)
    refused = (await run_job(client, user, [image_id, mask_id], {})).json()
    assert refused["status"] == "failed"
    assert refused["error"]["code"] == "mask_size_mismatch"
    assert refused["attempts"] == 1, "a bad mask is not retried"
    resized = (await run_job(client, user, [image_id, mask_id], {"resize_mask": True})).json()
    assert resized["status"] == "succeeded", resized
    assert resized["result"]["masked_pixels"] == 60 * 30


async def test_empty_masks_are_refused(client: httpx.AsyncClient, user: User) -> None:
    image_id = await upload_png(client, user, gradient())
    # Geometry: known at submit.
    response = await run_job(
        client, user, [image_id], {"regions": [{"points": [[1, 1], [5, 5], [9, 9]]}]}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "empty_mask"
    # An uploaded mask: known when the job runs; it fails, not retried.
    black_id = await upload_png(client, user, np.zeros((240, 320), np.uint8))
    job = (await run_job(client, user, [image_id, black_id], {})).json()
    assert job["status"] == "failed" and job["error"]["code"] == "empty_mask"
    assert job["attempts"] == 1


async def test_bad_erase_requests_name_their_field(client: httpx.AsyncClient, user: User) -> None:
    image_id = await upload_png(client, user, gradient())
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"regions": [{"points": [[0, 0], [5, 5]]}]}, "invalid_request", "params.regions"),
        ({"regions": [{"x": 0, "y": 0, "w": 0, "h": 5}]}, "invalid_request", "params.regions"),
        (
            {"engine": "onnx", "regions": [{"x": 0, "y": 0, "w": 5, "h": 5}]},
            "engine_unavailable",
            "params.engine",
        ),
        ({"feather": -1}, "invalid_request", "params.feather"),
    ]
    for params, code, field in cases:
        response = await run_job(client, user, [image_id], params)
        assert response.status_code == 422, (params, response.text)
        error = response.json()["error"]
        assert error["code"] == code, (params, error)
        assert error["field"].startswith(field), (params, error)
    missing = await run_job(client, user, [image_id], {})
    assert missing.status_code == 422, missing.text
    assert missing.json()["error"]["code"] == "mask_missing"


async def test_transparent_pixels_of_a_mask_win_over_its_colours(
    client: httpx.AsyncClient, user: User
) -> None:
    _, drawn = drawn_gradient()
    image_id = await upload_png(client, user, drawn)
    mask = np.full((240, 320, 4), 255, np.uint8)  # white everywhere...
    mask[100:130, 140:200, 3] = 0  # ...but only this part is transparent
    mask_id = await upload_png(client, user, mask)
    job = (await run_job(client, user, [image_id, mask_id], {})).json()
    assert job["status"] == "succeeded", job
    assert job["result"]["masked_pixels"] == 60 * 30
