"""Thumbnails: WebP, at most 256 px on the longest side, made once and kept."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import select
from tests.conftest import User
from tests.gallery.support import (
    assert_error,
    blob_path,
    cut_out,
    gallery_list,
    gallery_of,
    item,
    logo,
    webp_size,
)

from pictor.artifacts.models import Artifact
from pictor.runtime import Runtime


async def recorded_key(runtime: Runtime, item_id: str) -> str | None:
    query = select(Artifact.thumbnail_key).where(Artifact.id == item_id)
    key: str | None = await runtime.db.read(lambda conn: conn.execute(query).scalar())
    return key


async def test_thumbnail_is_a_small_webp_made_once(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    job = await cut_out(client, user, 640, 400)
    output_id = job["outputs"][0]["id"]
    listed = (await gallery_list(client, user))["data"][0]
    assert await recorded_key(runtime, output_id) is None, "made on first request, not before"
    gallery = gallery_of(runtime)
    made_before = gallery.thumbnails_made

    first = await client.get(listed["thumbnail_url"])  # signed: no API key
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "image/webp"
    assert webp_size(first.content) == (256, 160)
    key = await recorded_key(runtime, output_id)
    assert key is not None
    stored = blob_path(runtime, key).stat()

    second = await client.get(listed["thumbnail_url"])
    by_key = await client.get(f"/v1/gallery/{output_id}/thumbnail", headers=user.headers)
    assert second.content == first.content == by_key.content
    assert by_key.headers["content-type"] == "image/webp"
    assert gallery.thumbnails_made == made_before + 1, "the second request must not re-encode"
    assert await recorded_key(runtime, output_id) == key
    again = blob_path(runtime, key).stat()
    assert (again.st_ino, again.st_mtime_ns) == (stored.st_ino, stored.st_mtime_ns)
    assert len(list(blob_path(runtime, key).parent.iterdir())) == 1


async def test_concurrent_first_requests_make_one_thumbnail(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    job = await cut_out(client, user, 200, 500)
    output_id = job["outputs"][0]["id"]
    gallery = gallery_of(runtime)
    made_before = gallery.thumbnails_made
    url = f"/v1/gallery/{output_id}/thumbnail"
    replies = await asyncio.gather(*(client.get(url, headers=user.headers) for _ in range(6)))
    assert {r.status_code for r in replies} == {200}
    assert len({r.content for r in replies}) == 1
    assert webp_size(replies[0].content) == (102, 256)
    assert gallery.thumbnails_made == made_before + 1


async def test_a_small_image_is_not_upscaled(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    job = await cut_out(client, user, 120, 90)
    thumb = await client.get(
        f"/v1/gallery/{job['outputs'][0]['id']}/thumbnail", headers=user.headers
    )
    assert webp_size(thumb.content) == (120, 90)


async def test_a_logo_svg_gets_a_thumbnail_and_a_zip_gets_none(
    client: httpx.AsyncClient, user: User
) -> None:
    job = await logo(client, user, "Thumb Bakery")
    items = {i["content_type"]: i for i in (await gallery_list(client, user, limit=100))["data"]}
    svg = await client.get(items["image/svg+xml"]["thumbnail_url"])
    assert svg.status_code == 200, svg.text
    assert max(webp_size(svg.content)) == 256
    kit = items["application/zip"]
    assert kit["id"] in {o["id"] for o in job["outputs"]}
    assert kit["thumbnail_url"] is None
    response = await client.get(f"/v1/gallery/{kit['id']}/thumbnail", headers=user.headers)
    assert_error(response, 404, "thumbnail_unavailable")


async def test_a_tampered_thumbnail_link_is_refused(client: httpx.AsyncClient, user: User) -> None:
    await cut_out(client, user)
    url = (await gallery_list(client, user))["data"][0]["thumbnail_url"]
    assert_error(await client.get(url.replace("sig=", "sig=x")), 403, "invalid_signature")
    # A file link does not open the thumbnail, nor the other way round.
    listed = (await gallery_list(client, user))["data"][0]
    file_query = listed["url"].split("?", 1)[1]
    thumb_path = listed["thumbnail_url"].split("?", 1)[0]
    assert_error(await client.get(f"{thumb_path}?{file_query}"), 403, "invalid_signature")
    assert (await item(client, user, listed["id"]))["thumbnail_url"] is not None
