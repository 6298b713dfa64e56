"""The ``logo`` job kind through the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import zipfile
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
from PIL import Image
from tests.conftest import User
from tests.support.images import product_photo

from pictor.runtime import Runtime

PARAMS = {
    "business_name": "Golden Crust",
    "business_type": "bakery",
    "style": "cheerful",
    "colors": ["#e4572e"],
    "variants": 3,
    "seed": 42,
}


async def make_logos(client: httpx.AsyncClient, user: User, params: dict[str, Any]) -> Any:
    response = await client.post(
        "/v1/jobs",
        json={"kind": "logo", "input": [], "params": params},
        headers={**user.headers, "Prefer": "wait=60"},
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_logo_job_makes_variants_pngs_and_a_brand_kit(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    job = await make_logos(client, user, PARAMS)
    assert job["status"] == "succeeded", job
    assert job["engine"] == "procedural-logo"
    result = job["result"]
    assert result["industry"] == "bakery" and result["style"] == "playful"
    assert [v["variant"] for v in result["variants"]] == [1, 2, 3]
    outputs = {o["id"]: o for o in job["outputs"]}
    assert len(outputs) == 3 * 5 + 1
    first = result["variants"][0]
    assert first["contrast"] >= 4.5 and first["fonts"] and first["palette"]["primary"]
    svg = await client.get(outputs[first["svg"]]["url"])
    assert svg.status_code == 200
    root = ElementTree.fromstring(svg.content)
    assert not [el for el in root.iter() if el.tag.endswith(("text", "script"))]
    png = outputs[first["png"]["1024-transparent"]]
    assert png["content_type"] == "image/png" and max(png["width"], png["height"]) == 1024
    image = Image.open(io.BytesIO((await client.get(png["url"])).content))
    assert max(image.size) == 1024 and image.mode == "RGBA"
    kit = await client.get(outputs[result["brand_kit"]]["url"])
    names = zipfile.ZipFile(io.BytesIO(kit.content)).namelist()
    assert "palette.json" in names and "variant-3/favicon-16.png" in names

    from pictor.jobs.events import stored_events

    async with runtime.db.read_session() as session:
        events = await stored_events(session, job["id"])
    stages = [e.data.get("stage") for e in events if e.type == "progress"]
    assert [s for s in stages if s and s.startswith("variant")] == [
        "variant 1/3",
        "variant 2/3",
        "variant 3/3",
    ]
    # Each variant is visible (in the event and on the job) as soon as it is made.
    shared = [
        len(e.data["result"]["variants"])
        for e in events
        if e.type == "progress" and "result" in e.data
    ]
    assert shared == [1, 2, 3]


async def test_same_params_and_seed_give_the_same_svg_bytes(
    client: httpx.AsyncClient, user: User
) -> None:
    params = {**PARAMS, "variants": 1}
    svgs = []
    for _ in range(2):
        job = await make_logos(client, user, params)
        outputs = {o["id"]: o for o in job["outputs"]}
        url = outputs[job["result"]["variants"][0]["svg"]]["url"]
        svgs.append((await client.get(url)).content)
    assert svgs[0] == svgs[1]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"variants": 25}, "params.variants"),
        ({"variants": 0}, "params.variants"),
        ({"colors": ["#e4572e", "notacolour"]}, "params.colors"),
        ({"business_name": ""}, "params.business_name"),
        ({"business_name": "   "}, "params.business_name"),
        ({"business_name": "x" * 61}, "params.business_name"),
        ({"style": "baroque"}, "params.style"),
    ],
)
async def test_bad_logo_params_are_refused_with_the_field_named(
    client: httpx.AsyncClient, user: User, change: dict[str, Any], field: str
) -> None:
    response = await client.post(
        "/v1/jobs",
        json={"kind": "logo", "input": [], "params": {**PARAMS, **change}},
        headers=user.headers,
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == field, error
    if "style" in change:
        assert "minimal" in error["message"] and "elegant" in error["message"]


async def test_a_logo_job_takes_no_input_image(client: httpx.AsyncClient, user: User) -> None:
    files = {"file": ("photo.jpg", product_photo(), "image/jpeg")}
    upload = await client.post("/v1/uploads", files=files, headers=user.headers)
    assert upload.status_code == 201, upload.text
    response = await client.post(
        "/v1/jobs",
        json={"kind": "logo", "input": {"upload_id": upload.json()["id"]}, "params": PARAMS},
        headers=user.headers,
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "input", response.text
