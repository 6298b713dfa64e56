"""Trash: soft delete hides an item and kills its URLs; restore; delete for good; purge."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select
from tests.conftest import User
from tests.gallery.support import (
    assert_error,
    blob_path,
    cut_out,
    gallery_list,
    gallery_of,
    item,
)

from pictor.artifacts.models import Artifact
from pictor.db.base import utcnow
from pictor.gallery.background import TrashPurger
from pictor.gallery.service import GalleryService
from pictor.gallery.settings import GallerySettings
from pictor.runtime import Runtime


async def keys_of(runtime: Runtime, item_id: str) -> tuple[str, str | None] | None:
    query = select(Artifact.storage_key, Artifact.thumbnail_key).where(Artifact.id == item_id)
    row = await runtime.db.read(lambda conn: conn.execute(query).first())
    return None if row is None else (row[0], row[1])


async def rows_with_id(runtime: Runtime, item_id: str) -> int:
    query = select(func.count()).select_from(Artifact).where(Artifact.id == item_id)
    count: int = await runtime.db.read(lambda conn: conn.execute(query).scalar_one())
    return count


async def made_with_thumbnail(
    client: httpx.AsyncClient, user: User
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A finished job and its gallery item, whose thumbnail has been made."""
    job = await cut_out(client, user)
    listed = await item(client, user, job["outputs"][0]["id"])
    assert (await client.get(listed["thumbnail_url"])).status_code == 200
    return job, listed


async def test_deleting_moves_to_the_trash_and_every_url_stops_at_once(
    client: httpx.AsyncClient, user: User
) -> None:
    job, listed = await made_with_thumbnail(client, user)
    item_id = listed["id"]
    assert (await client.get(listed["url"])).status_code == 200

    response = await client.delete(f"/v1/gallery/{item_id}", headers=user.headers)
    assert response.status_code == 204
    assert (await gallery_list(client, user))["data"] == []
    assert_error(await client.get(listed["url"]), 404, "artifact_not_found")
    assert (await client.get(listed["thumbnail_url"])).status_code == 404
    artifact = await client.get(f"/v1/artifacts/{item_id}", headers=user.headers)
    assert_error(artifact, 404, "artifact_not_found")
    view = (await client.get(f"/v1/jobs/{job['id']}", headers=user.headers)).json()
    assert [(o["id"], o["url"], o["deleted"]) for o in view["outputs"]] == [(item_id, None, True)]
    listed_jobs = (await client.get("/v1/jobs", headers=user.headers)).json()["data"]
    [in_list] = [j for j in listed_jobs if j["id"] == job["id"]]
    assert in_list["outputs"][0]["url"] is None

    as_input = await client.post(
        "/v1/jobs",
        json={"kind": "remove_background", "input": {"upload_id": item_id}},
        headers=user.headers,
    )
    assert_error(as_input, 404, "upload_not_found")

    trashed = await item(client, user, item_id)
    assert trashed["url"] is None and trashed["thumbnail_url"] is None
    deleted_at = datetime.fromisoformat(trashed["deleted_at"])
    assert datetime.fromisoformat(trashed["purge_at"]) == deleted_at + timedelta(days=30)
    trash = (await client.get("/v1/gallery/trash", headers=user.headers)).json()
    assert [i["id"] for i in trash["data"]] == [item_id]
    # The owner can still see what is in the trash, by key.
    thumb = await client.get(f"/v1/gallery/{item_id}/thumbnail", headers=user.headers)
    assert thumb.status_code == 200

    again = await client.delete(f"/v1/gallery/{item_id}", headers=user.headers)
    assert again.status_code == 204
    assert (await item(client, user, item_id))["deleted_at"] == trashed["deleted_at"]


async def test_restore_brings_an_item_and_its_urls_back(
    client: httpx.AsyncClient, user: User
) -> None:
    _, listed = await made_with_thumbnail(client, user)
    item_id = listed["id"]
    await client.delete(f"/v1/gallery/{item_id}", headers=user.headers)

    restored = await client.post(f"/v1/gallery/{item_id}/restore", headers=user.headers)
    assert restored.status_code == 200, restored.text
    body = restored.json()
    assert body["deleted_at"] is None and body["purge_at"] is None
    assert (await client.get(body["url"])).status_code == 200
    assert (await client.get(body["thumbnail_url"])).status_code == 200
    assert [i["id"] for i in (await gallery_list(client, user))["data"]] == [item_id]
    trash = (await client.get("/v1/gallery/trash", headers=user.headers)).json()
    assert trash["data"] == []

    twice = await client.post(f"/v1/gallery/{item_id}/restore", headers=user.headers)
    assert_error(twice, 409, "not_deleted")


async def test_deleting_for_good_removes_the_file_and_thumbnail_from_storage(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    for from_trash in (True, False):
        job, listed = await made_with_thumbnail(client, user)
        item_id = listed["id"]
        keys = await keys_of(runtime, item_id)
        assert keys is not None and keys[1] is not None
        files = [blob_path(runtime, keys[0]), blob_path(runtime, keys[1])]
        assert all(f.is_file() for f in files)
        if from_trash:
            await client.delete(f"/v1/gallery/{item_id}", headers=user.headers)

        gone = await client.delete(f"/v1/gallery/{item_id}/permanent", headers=user.headers)
        assert gone.status_code == 204
        assert not any(f.exists() for f in files)
        assert await rows_with_id(runtime, item_id) == 0
        missing = await client.get(f"/v1/gallery/{item_id}", headers=user.headers)
        assert_error(missing, 404, "gallery_item_not_found")
        assert (await client.get(listed["url"])).status_code == 404
        view = (await client.get(f"/v1/jobs/{job['id']}", headers=user.headers)).json()
        assert view["status"] == "succeeded" and view["outputs"] == []
        twice = await client.delete(f"/v1/gallery/{item_id}/permanent", headers=user.headers)
        assert_error(twice, 404, "gallery_item_not_found")
    trash = (await client.get("/v1/gallery/trash", headers=user.headers)).json()
    assert trash["data"] == []


async def test_trash_pages_most_recently_deleted_first(
    client: httpx.AsyncClient, user: User
) -> None:
    ids = [(await cut_out(client, user))["outputs"][0]["id"] for _ in range(3)]
    for item_id in (ids[1], ids[0], ids[2]):
        await client.delete(f"/v1/gallery/{item_id}", headers=user.headers)
    first = (await client.get("/v1/gallery/trash?limit=2", headers=user.headers)).json()
    assert [i["id"] for i in first["data"]] == [ids[2], ids[0]]
    assert first["has_more"] is True
    rest = await client.get(
        f"/v1/gallery/trash?limit=2&cursor={first['next_cursor']}", headers=user.headers
    )
    assert [i["id"] for i in rest.json()["data"]] == [ids[1]]
    assert rest.json()["has_more"] is False


async def test_the_trash_empties_itself_after_trash_days(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    gallery = gallery_of(runtime)
    old_job, old = await made_with_thumbnail(client, user)
    recent = (await cut_out(client, user))["outputs"][0]["id"]
    kept = (await cut_out(client, user))["outputs"][0]["id"]
    old_keys = await keys_of(runtime, old["id"])
    assert old_keys is not None and old_keys[1] is not None
    now = utcnow()
    await gallery.move_to_trash(user.id, old["id"], now=now - timedelta(days=31))
    await gallery.move_to_trash(user.id, recent, now=now - timedelta(days=29))

    await gallery.purge_expired(now=now)
    assert await rows_with_id(runtime, old["id"]) == 0
    assert not blob_path(runtime, old_keys[0]).exists()
    assert not blob_path(runtime, old_keys[1]).exists()
    trash = (await client.get("/v1/gallery/trash", headers=user.headers)).json()
    assert [i["id"] for i in trash["data"]] == [recent]
    assert [i["id"] for i in (await gallery_list(client, user))["data"]] == [kept]

    # Two days on, the other one goes too; a live item never does.
    await gallery.purge_expired(now=now + timedelta(days=2))
    assert await rows_with_id(runtime, recent) == 0
    assert await rows_with_id(runtime, kept) == 1
    view = (await client.get(f"/v1/jobs/{old_job['id']}", headers=user.headers)).json()
    assert view["outputs"] == []


async def test_the_purge_service_runs_on_its_own(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    item_id = (await cut_out(client, user))["outputs"][0]["id"]
    settings = GallerySettings(trash_days=1, purge_interval_s=3600)
    gallery = GalleryService(runtime.db, runtime.store, settings)
    await gallery.move_to_trash(user.id, item_id, now=datetime.now(UTC) - timedelta(days=2))
    purger = TrashPurger(gallery, settings.purge_interval_s)
    await purger.start()
    try:
        await asyncio.wait_for(purger.pass_finished.wait(), timeout=30)
    finally:
        await purger.stop()
    assert purger.passes == 1
    assert await rows_with_id(runtime, item_id) == 0
