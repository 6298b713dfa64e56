"""Another user's gallery ids are 404 on every endpoint, live or in the trash."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from tests.conftest import User
from tests.gallery.support import assert_error, cut_out, gallery_list, item

from pictor.runtime import Runtime


async def test_another_users_items_are_not_found_anywhere(
    client: httpx.AsyncClient, user: User, other_user: User
) -> None:
    live = (await cut_out(client, user))["outputs"][0]["id"]
    trashed = (await cut_out(client, user))["outputs"][0]["id"]
    await client.delete(f"/v1/gallery/{trashed}", headers=user.headers)

    for item_id in (live, trashed):
        attempts = [
            client.get(f"/v1/gallery/{item_id}", headers=other_user.headers),
            client.get(f"/v1/gallery/{item_id}/thumbnail", headers=other_user.headers),
            client.delete(f"/v1/gallery/{item_id}", headers=other_user.headers),
            client.post(f"/v1/gallery/{item_id}/restore", headers=other_user.headers),
            client.delete(f"/v1/gallery/{item_id}/permanent", headers=other_user.headers),
        ]
        for attempt in attempts:
            assert_error(await attempt, 404, "gallery_item_not_found")
    assert (await gallery_list(client, other_user))["data"] == []
    trash = await client.get("/v1/gallery/trash", headers=other_user.headers)
    assert trash.json()["data"] == []

    # Nothing the other user tried changed anything.
    assert [i["id"] for i in (await gallery_list(client, user))["data"]] == [live]
    assert (await item(client, user, trashed))["deleted_at"] is not None


async def test_a_thumbnail_link_signed_for_one_user_does_not_open_for_another(
    client: httpx.AsyncClient, user: User, other_user: User, runtime: Runtime
) -> None:
    await cut_out(client, user)
    url = (await gallery_list(client, user))["data"][0]["thumbnail_url"]
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    forged = await client.get(f"{parts.path}?{urlencode({**query, 'sub': other_user.id})}")
    assert_error(forged, 403, "invalid_signature")
    # A genuine link of the other user for this path names an item that is not theirs.
    signed = runtime.signer.signed_url(parts.path, other_user.id, 60)
    assert_error(await client.get(signed), 404, "gallery_item_not_found")


async def test_the_gallery_needs_a_key(client: httpx.AsyncClient) -> None:
    for path in ("/v1/gallery", "/v1/gallery/trash", "/v1/gallery/art_x"):
        assert (await client.get(path)).status_code == 401
