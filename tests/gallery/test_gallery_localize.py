"""A localize job in the gallery: its ads are items, its previews are not; the archive
leaves out what was deleted."""

from __future__ import annotations

import io
import zipfile

import httpx
from tests.conftest import new_user
from tests.localize.localize_fakes import LocalizeGemini
from tests.localize.test_localize_api import (  # noqa: F401 (fixtures)
    fake,
    gemini,
    loc_client,
    loc_runtime,
    localize,
)

from pictor.runtime import Runtime


async def test_localized_ads_are_items_and_deleted_ones_leave_the_archive(
    loc_client: httpx.AsyncClient,  # noqa: F811
    loc_runtime: Runtime,  # noqa: F811
    fake: LocalizeGemini,  # noqa: F811
) -> None:
    user = await new_user(loc_runtime)
    job = (await localize(loc_client, user, {"target_languages": ["japanese", "french"]})).json()
    assert job["status"] == "succeeded", job
    by_language = {e["language"]: e for e in job["result"]["languages"]}
    ads = {by_language[lang]["output"] for lang in ("japanese", "french")}
    previews = {by_language[lang]["thumbnail"] for lang in ("japanese", "french")}
    assert {o["id"] for o in job["outputs"]} == ads | previews

    page = await loc_client.get("/v1/gallery", headers=user.headers)
    items = page.json()["data"]
    assert {i["id"] for i in items} == ads
    assert {(i["kind"], i["prompt"]) for i in items} == {("localize", None)}

    japanese = by_language["japanese"]["output"]
    archive_url = f"/v1/localizations/{job['id']}/archive"

    async def archive_names() -> list[str]:
        response = await loc_client.get(archive_url, headers=user.headers)
        assert response.status_code == 200, response.text
        return sorted(zipfile.ZipFile(io.BytesIO(response.content)).namelist())

    assert await archive_names() == ["france-french.png", "japan-japanese.png", "manifest.json"]
    await loc_client.delete(f"/v1/gallery/{japanese}", headers=user.headers)
    assert await archive_names() == ["france-french.png", "manifest.json"]
    gone = await loc_client.delete(f"/v1/gallery/{japanese}/permanent", headers=user.headers)
    assert gone.status_code == 204
    assert await archive_names() == ["france-french.png", "manifest.json"]
