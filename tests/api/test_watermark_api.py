"""``remove_watermark`` and /v1/watermark-templates through the HTTP API."""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np
from tests.api.test_erase_api import upload_png
from tests.conftest import User
from tests.inpaint.synthetic import png_bytes, png_pixels, textured

from pictor.engines.inpaint.reverse_alpha import blend, psnr
from pictor.engines.inpaint.templates import MarkTemplate, Placement, builtin_templates

SAMPLE = builtin_templates()[0]


async def remove(
    client: httpx.AsyncClient, user: User, inputs: list[str], params: dict[str, Any]
) -> httpx.Response:
    return await client.post(
        "/v1/jobs",
        json={
            "kind": "remove_watermark",
            "input": [{"upload_id": i} for i in inputs],
            "params": params,
        },
        headers={**user.headers, "Prefer": "wait=30"},
    )


async def download(client: httpx.AsyncClient, job: dict[str, Any], index: int = 0) -> np.ndarray:
    return png_pixels((await client.get(job["outputs"][index]["url"])).content)


async def test_the_built_in_template_is_found_and_removed_exactly(
    client: httpx.AsyncClient, user: User
) -> None:
    clean = textured(300, 400)
    x, y, _, _ = SAMPLE.expected_box(400, 300)
    marked = blend(clean, SAMPLE, x + 2, y - 3)  # not exactly where the rules say
    job = (
        await remove(
            client, user, [await upload_png(client, user, marked)], {"template": "sample-star"}
        )
    ).json()
    assert job["status"] == "succeeded", job
    assert job["result"]["watermark_found"] is True
    [item] = job["result"]["images"]
    assert item["box"] == {"x": x + 2, "y": y - 3, "w": 48, "h": 48}
    assert job["engine"] == "reverse-alpha:sample-star"
    assert job["outputs"][0]["engine"] == "reverse-alpha:sample-star"
    assert psnr(await download(client, job), clean) >= 40.0


async def test_a_clean_image_comes_back_with_the_same_pixels(
    client: httpx.AsyncClient, user: User
) -> None:
    clean = textured(300, 400, seed=3)
    job = (
        await remove(
            client, user, [await upload_png(client, user, clean)], {"template": "sample-star"}
        )
    ).json()
    assert job["status"] == "succeeded", job
    assert job["result"]["watermark_found"] is False
    assert np.array_equal(await download(client, job), clean)


async def test_an_unknown_template_is_refused_at_submit(
    client: httpx.AsyncClient, user: User
) -> None:
    image_id = await upload_png(client, user, textured())
    response = await remove(client, user, [image_id], {"template": "no-such-mark"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "template_not_found"
    assert response.json()["error"]["field"] == "params.template"
    listed = await client.get("/v1/jobs?kind=remove_watermark", headers=user.headers)
    assert listed.json()["data"] == [], "a refused submission creates no job"


async def test_a_fixed_region_is_cleaned_on_every_image(
    client: httpx.AsyncClient, user: User
) -> None:
    ids = []
    for seed in range(3):
        image = textured(200, 300, seed=seed)
        image[170:195, 230:295] = 255  # a white caption box in the bottom-right corner
        ids.append(await upload_png(client, user, image))
    region = {"corner": "bottom-right", "width": 25, "height": 17.5, "margin_x": 1, "margin_y": 2}
    job = (await remove(client, user, ids, {"region": region})).json()
    assert job["status"] == "succeeded", job
    assert len(job["outputs"]) == 3 and len(job["result"]["images"]) == 3
    assert job["result"]["mode"] == "region" and job["result"]["watermark_found"] is None
    assert job["engine"] == "opencv:telea"
    for index in range(3):
        out = await download(client, job, index)
        assert out[170:195, 230:295].mean() < 200, "the white caption must be gone"


async def test_exactly_one_of_template_or_region_is_required(
    client: httpx.AsyncClient, user: User
) -> None:
    image_id = await upload_png(client, user, textured())
    for params in ({}, {"template": "sample-star", "region": {"width": 5, "height": 5}}):
        response = await remove(client, user, [image_id], params)
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "invalid_request"


def capture_on_black(alpha: np.ndarray, logo: tuple[int, int, int]) -> bytes:
    """What a user captures: the mark stamped on a black 400 x 300 image, 20/15 px in."""
    frame = np.zeros((300, 400, 3), np.uint8)
    mark = MarkTemplate("capture", alpha, logo)
    h, w = alpha.shape
    return png_bytes(blend(frame, mark, 400 - 20 - w, 300 - 15 - h))


async def register(
    client: httpx.AsyncClient, user: User, name: str, data: bytes, **fields: str
) -> httpx.Response:
    return await client.post(
        "/v1/watermark-templates",
        data={"name": name, **fields},
        files={"file": ("capture.png", data, "image/png")},
        headers=user.headers,
    )


async def test_a_user_template_from_a_capture_removes_its_mark(
    client: httpx.AsyncClient, user: User, other_user: User
) -> None:
    gold = (255, 200, 40)
    alpha = SAMPLE.alpha[::2, ::2].copy()  # a 48 px version of the star
    response = await register(
        client, user, "Gold-Star", capture_on_black(alpha, gold), logo_color="#ffc828"
    )
    assert response.status_code == 201, response.text
    template = response.json()
    assert template["id"].startswith("wmt_") and template["name"] == "gold-star"
    assert template["placements"] == [
        {"min_width": 0, "min_height": 0, "width": None, "margin_x": 20, "margin_y": 15}
    ]
    # Stamp the mark the way the service that made it would, on a new image.
    clean = textured(360, 480, seed=11)
    stored = MarkTemplate("gold", alpha, gold, placements=(Placement(margin_x=20, margin_y=15),))
    x, y, w, h = stored.expected_box(480, 360)
    marked = blend(clean, stored, x, y)
    job = (
        await remove(
            client, user, [await upload_png(client, user, marked)], {"template": "gold-star"}
        )
    ).json()
    assert job["status"] == "succeeded" and job["result"]["watermark_found"], job
    restored = await download(client, job)
    assert psnr(restored[y : y + h, x : x + w], clean[y : y + h, x : x + w]) >= 40.0

    listed = (await client.get("/v1/watermark-templates", headers=user.headers)).json()
    assert [t["name"] for t in listed["data"]] == ["sample-star", "gold-star"]
    # Another user cannot see, use or delete it.
    tid = template["id"]
    url = f"/v1/watermark-templates/{tid}"
    assert (await client.get(url, headers=other_user.headers)).status_code == 404
    assert (await client.delete(url, headers=other_user.headers)).status_code == 404
    theirs = (await client.get("/v1/watermark-templates", headers=other_user.headers)).json()
    assert [t["name"] for t in theirs["data"]] == ["sample-star"]
    other_image = await upload_png(client, other_user, marked)
    failed = await remove(client, other_user, [other_image], {"template": tid})
    assert failed.status_code == 404
    assert failed.json()["error"]["code"] == "template_not_found"
    # The owner can delete it; built-ins cannot be deleted.
    assert (await client.delete(url, headers=user.headers)).status_code == 204
    assert (await client.get(url, headers=user.headers)).status_code == 404
    builtin_url = "/v1/watermark-templates/wmt_builtin_sample_star"
    builtin = await client.delete(builtin_url, headers=user.headers)
    assert builtin.status_code == 403
    assert builtin.json()["error"]["code"] == "builtin_template_read_only"


async def test_bad_template_registrations_are_refused(
    client: httpx.AsyncClient, user: User
) -> None:
    good = capture_on_black(SAMPLE.alpha, (255, 255, 255))
    cases = [
        (await register(client, user, "bad name!", good), 422, "invalid_template", "name"),
        (
            await register(client, user, "ok", good, logo_color="notacolour"),
            422,
            "invalid_color",
            "logo_color",
        ),
        (await register(client, user, "ok", good, corner="middle"), 422, "invalid_input", "corner"),
        (
            await register(client, user, "ok", png_bytes(np.zeros((60, 60, 3), np.uint8))),
            422,
            "invalid_capture",
            "file",
        ),
        (
            await register(client, user, "ok", good, placements='[{"width": 1}]'),
            422,
            "invalid_input",
            "placements",
        ),
    ]
    for response, status, code, field in cases:
        assert response.status_code == status, response.text
        error = response.json()["error"]
        assert (error["code"], error.get("field")) == (code, field), error
    assert (await register(client, user, "twice", good)).status_code == 201
    again = await register(client, user, "twice", good)
    assert again.status_code == 409 and again.json()["error"]["code"] == "template_name_taken"
