"""The gallery lists a user's outputs with their job, kind, prompt, engine and size."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from tests.conftest import User
from tests.gallery.support import assert_error, cut_out, gallery_list, item, logo
from tests.support.images import open_image


async def test_an_output_is_in_the_gallery_with_its_job_kind_engine_and_size(
    client: httpx.AsyncClient, user: User
) -> None:
    job = await cut_out(client, user, 300, 200)
    [output] = job["outputs"]
    page = await gallery_list(client, user)
    [listed] = page["data"]
    assert listed == await item(client, user, output["id"]) | {
        "url": listed["url"],
        "url_expires_at": listed["url_expires_at"],
        "thumbnail_url": listed["thumbnail_url"],
    }
    assert listed["id"] == output["id"] and listed["job_id"] == job["id"]
    assert listed["kind"] == "remove_background" and listed["prompt"] is None
    assert listed["engine"] == "classical" and listed["content_type"] == "image/png"
    assert (listed["width"], listed["height"]) == (300, 200)
    assert listed["deleted_at"] is None and listed["purge_at"] is None
    download = await client.get(listed["url"])
    assert download.status_code == 200
    assert listed["size"] == len(download.content)
    assert open_image(download.content).size == (300, 200)
    assert page["has_more"] is False and page["next_cursor"] is None


async def test_uploads_are_not_in_the_gallery(client: httpx.AsyncClient, user: User) -> None:
    job = await cut_out(client, user)
    upload_id = job["input"][0]["upload_id"]
    assert [i["id"] for i in (await gallery_list(client, user))["data"]] == [
        job["outputs"][0]["id"]
    ]
    response = await client.get(f"/v1/gallery/{upload_id}", headers=user.headers)
    assert_error(response, 404, "gallery_item_not_found")


async def test_a_logo_output_has_the_business_as_its_prompt(
    client: httpx.AsyncClient, user: User
) -> None:
    job = await logo(client, user, "Golden Crust", business_type="bakery")
    items = (await gallery_list(client, user, limit=100))["data"]
    assert {i["id"] for i in items} == {o["id"] for o in job["outputs"]}
    assert {i["prompt"] for i in items} == {"Golden Crust — bakery"}
    assert {i["kind"] for i in items} == {"logo"}
    assert {i["engine"] for i in items} == {"procedural-logo"}
    assert {i["content_type"] for i in items} == {"image/svg+xml", "image/png", "application/zip"}


async def test_filters_by_kind_and_by_text_in_the_prompt_any_case(
    client: httpx.AsyncClient, user: User
) -> None:
    bakery = await logo(client, user, "Golden Crust", business_type="bakery")
    water = await logo(client, user, "100% Pure_Water")
    cut = await cut_out(client, user)

    def ids(page: dict[str, object]) -> set[str]:
        return {i["id"] for i in page["data"]}  # type: ignore[attr-defined]

    assert ids(await gallery_list(client, user, kind="remove_background")) == {
        cut["outputs"][0]["id"]
    }
    logos = {o["id"] for o in bakery["outputs"] + water["outputs"]}
    assert ids(await gallery_list(client, user, kind="logo", limit=100)) == logos
    bakery_ids = {o["id"] for o in bakery["outputs"]}
    water_ids = {o["id"] for o in water["outputs"]}
    assert ids(await gallery_list(client, user, q="GOLDEN crust", limit=100)) == bakery_ids
    assert ids(await gallery_list(client, user, q="Bakery", limit=100)) == bakery_ids
    # LIKE wildcards in the text are literal characters.
    assert ids(await gallery_list(client, user, q="%", limit=100)) == water_ids
    assert ids(await gallery_list(client, user, q="e_w", limit=100)) == water_ids
    assert ids(await gallery_list(client, user, q="e_c")) == set()
    assert ids(await gallery_list(client, user, q="golden", kind="remove_background")) == set()
    refused = await client.get("/v1/gallery?kind=Logo;drop", headers=user.headers)
    assert refused.status_code == 422


async def test_a_prompt_is_found_whatever_the_case_of_accented_letters(
    client: httpx.AsyncClient, user: User
) -> None:
    job = await logo(client, user, "ÉCOLE Célèste")
    found = await gallery_list(client, user, q="école céLÈSTE", limit=100)
    assert {i["id"] for i in found["data"]} == {o["id"] for o in job["outputs"]}


async def test_filters_by_date_range(client: httpx.AsyncClient, user: User) -> None:
    first = await cut_out(client, user)
    listed = (await gallery_list(client, user))["data"][0]
    made = datetime.fromisoformat(listed["created_at"])
    second = await cut_out(client, user)
    first_id, second_id = first["outputs"][0]["id"], second["outputs"][0]["id"]

    def ids(page: dict[str, object]) -> list[str]:
        return [i["id"] for i in page["data"]]  # type: ignore[attr-defined]

    after_first = (made + timedelta(microseconds=1)).isoformat()
    assert ids(await gallery_list(client, user, created_after=after_first)) == [second_id]
    assert ids(await gallery_list(client, user, created_before=after_first)) == [first_id]
    assert ids(await gallery_list(client, user, created_after=made.isoformat())) == [
        second_id,
        first_id,
    ]
    # A time without a zone is UTC.
    naive = made.astimezone(UTC).replace(tzinfo=None) + timedelta(microseconds=1)
    assert ids(await gallery_list(client, user, created_before=naive.isoformat())) == [first_id]
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert ids(await gallery_list(client, user, created_after=tomorrow)) == []
    backwards = await client.get(
        "/v1/gallery",
        params={"created_after": tomorrow, "created_before": made.isoformat()},
        headers=user.headers,
    )
    assert_error(backwards, 422, "invalid_date_range")


async def test_pages_newest_first_with_a_cursor(client: httpx.AsyncClient, user: User) -> None:
    older = await logo(client, user, "Older")
    newer = await cut_out(client, user)
    everything = (await gallery_list(client, user, limit=100))["data"]
    assert len(everything) == len(older["outputs"]) + 1
    assert everything[0]["id"] == newer["outputs"][0]["id"]
    stamps = [(i["created_at"], i["id"]) for i in everything]
    assert stamps == sorted(stamps, reverse=True)

    seen: list[str] = []
    cursor = None
    while True:
        query = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = await gallery_list(client, user, **query)
        assert len(page["data"]) <= 2
        seen += [i["id"] for i in page["data"]]
        if not page["has_more"]:
            assert page["next_cursor"] is None
            break
        cursor = page["next_cursor"]
    assert seen == [i["id"] for i in everything]


async def test_a_cursor_that_was_not_given_out_is_refused(
    client: httpx.AsyncClient, user: User
) -> None:
    for bad in ("nonsense", "bm90IGpzb24", "WyJ5ZXN0ZXJkYXkiLCJhcnQiXQ"):
        response = await client.get(f"/v1/gallery?cursor={bad}", headers=user.headers)
        assert_error(response, 422, "invalid_cursor")
