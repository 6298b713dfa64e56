"""POST /v1/remove-background: the cut-out in one call, recorded as a job of the caller."""

from __future__ import annotations

import httpx
import numpy as np
import pytest
from tests.conftest import User
from tests.images.corpus import corpus_cases
from tests.support.images import open_image, product_photo

PHOTO = product_photo()


async def remove_background(
    client: httpx.AsyncClient,
    user: User,
    options: dict[str, str] | None = None,
    data: bytes = PHOTO,
) -> httpx.Response:
    return await client.post(
        "/v1/remove-background",
        data=options or {},
        files={"file": ("photo.jpg", data, "image/jpeg")},
        headers=user.headers,
    )


async def test_upload_returns_a_transparent_png_recorded_as_the_callers_job(
    client: httpx.AsyncClient, user: User, other_user: User
) -> None:
    response = await remove_background(client, user)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    assert response.headers["X-Engine"] == "classical"
    image = open_image(response.content)
    assert image.format == "PNG" and image.mode == "RGBA" and image.size == (320, 240)
    pixels = np.asarray(image)
    assert pixels[5, 5, 3] < 20, "the studio background must be transparent"
    assert pixels[120, 160, 3] > 235, "the red product must stay opaque"

    job_id = response.headers["X-Job-Id"]
    job = await client.get(f"/v1/jobs/{job_id}", headers=user.headers)
    assert job.status_code == 200
    assert job.json()["status"] == "succeeded"
    assert job.json()["kind"] == "remove_background"
    [output] = job.json()["outputs"]
    assert (await client.get(output["url"])).content == response.content
    hidden = await client.get(f"/v1/jobs/{job_id}", headers=other_user.headers)
    assert hidden.status_code == 404


async def test_only_mask_returns_a_greyscale_mask(client: httpx.AsyncClient, user: User) -> None:
    response = await remove_background(client, user, {"only_mask": "true"})
    assert response.status_code == 200, response.text
    mask = open_image(response.content)
    assert mask.format == "PNG" and mask.mode == "L"
    pixels = np.asarray(mask)
    assert pixels[5, 5] < 20 and pixels[120, 160] > 235


async def test_background_color_fills_the_background(client: httpx.AsyncClient, user: User) -> None:
    response = await remove_background(client, user, {"background_color": "#00ff00"})
    assert response.status_code == 200, response.text
    pixels = np.asarray(open_image(response.content).convert("RGBA")).astype(int)
    for y, x in [(0, 0), (0, 319), (239, 0), (239, 319)]:
        r, g, b, a = pixels[y, x]
        assert a == 255 and g > 230 and r < 25 and b < 25, (y, x, pixels[y, x])
    assert pixels[120, 160, 0] > 150 and pixels[120, 160, 1] < 80, "the product stays red"


async def test_trim_crops_to_the_product(client: httpx.AsyncClient, user: User) -> None:
    response = await remove_background(client, user, {"trim": "true", "padding": "0"})
    assert response.status_code == 200, response.text
    width, height = open_image(response.content).size
    # The red box is 107x120 of the 320x240 photo.
    assert 100 <= width <= 120 and 110 <= height <= 130, (width, height)


async def test_output_format_webp(client: httpx.AsyncClient, user: User) -> None:
    response = await remove_background(client, user, {"output_format": "webp"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/webp"
    image = open_image(response.content)
    assert image.format == "WEBP" and image.mode == "RGBA"


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"output_format": "gif"}, "output_format"),
        ({"padding": "-3"}, "padding"),
        ({"background_color": "not-a-colour"}, "background_color"),
        ({"only_mask": "perhaps"}, "only_mask"),
        ({"owner_id": "usr_someone_else"}, "owner_id"),
    ],
)
async def test_bad_option_is_refused_with_the_field_named(
    options: dict[str, str], field: str, client: httpx.AsyncClient, user: User
) -> None:
    response = await remove_background(client, user, options)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["field"] == field


async def test_form_without_file_or_image_url_is_refused(
    client: httpx.AsyncClient, user: User
) -> None:
    response = await client.post(
        "/v1/remove-background",
        data={"only_mask": "true"},
        files={"picture": ("photo.jpg", PHOTO, "image/jpeg")},
        headers=user.headers,
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_form"
    assert response.json()["error"]["field"] == "file"
    empty_json = await client.post("/v1/remove-background", json={}, headers=user.headers)
    assert empty_json.status_code == 422
    assert empty_json.json()["error"]["field"] == "image_url"


@pytest.mark.parametrize(
    "url",
    ["http://10.1.2.3/photo.jpg", "http://169.254.169.254/latest/", "file:///etc/passwd"],
)
async def test_json_image_url_to_a_private_address_is_refused(
    url: str, client: httpx.AsyncClient, user: User
) -> None:
    for request in (
        client.post("/v1/remove-background", json={"image_url": url}, headers=user.headers),
        # (None, value): a plain multipart field, as `curl -F image_url=...` sends it.
        client.post(
            "/v1/remove-background", files={"image_url": (None, url)}, headers=user.headers
        ),
    ):
        response = await request
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "url_not_allowed"
    jobs = await client.get("/v1/jobs", headers=user.headers)
    assert jobs.json()["data"] == []


@pytest.mark.parametrize("name", ["truncated_jpeg", "png_idat_garbage", "html_named_png", "gif"])
async def test_bad_image_is_refused_with_its_code(
    name: str, client: httpx.AsyncClient, user: User
) -> None:
    [case] = [c for c in corpus_cases() if c.name == name]
    assert case.expected_code is not None
    response = await remove_background(client, user, data=case.data)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["error"]["code"] == case.expected_code
    jobs = await client.get("/v1/jobs", headers=user.headers)
    assert jobs.json()["data"] == []


async def test_bad_colour_in_a_job_names_the_field(client: httpx.AsyncClient, user: User) -> None:
    response = await client.post(
        "/v1/jobs",
        json={
            "kind": "remove_background",
            "input": {"upload_id": "art_whatever"},
            "params": {"background_color": "#12"},
        },
        headers=user.headers,
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["field"] == "params.background_color"
    assert "not a colour" in error["message"]
