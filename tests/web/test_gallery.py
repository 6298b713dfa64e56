"""Gallery in the browser: outputs of jobs made through the API appear as thumbnails,
filter by kind and prompt words, open one and download it, move it to the trash and
back, delete it for good (after the confirmation), and the empty states."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect
from tests.support.images import product_photo
from tests.web.conftest import ApiClientFor, SignIn
from tests.web.job_views import open_tool, wait_for_job
from tests.web.server import PictorServer


@dataclass
class Made:
    """What the API made for an account: its client, and the gallery's items by kind."""

    client: httpx.Client
    cutouts: list[dict[str, object]]
    logos: list[dict[str, object]]


@pytest.fixture
def made_by_api(api_client_for: ApiClientFor) -> Callable[[PictorServer, tuple[str, str]], Made]:
    """Two background removals and one logo, made through the API for a signed-in account."""

    def make(server: PictorServer, account: tuple[str, str]) -> Made:
        client = api_client_for(server, account)
        jobs = []
        for width in (320, 200):
            files = {"file": ("photo.png", product_photo(width, 240, "PNG"), "image/png")}
            upload = client.post("/v1/uploads", files=files).json()
            body = {"kind": "remove_background", "input": [{"upload_id": upload["id"]}]}
            jobs.append(client.post("/v1/jobs", json=body).json()["id"])
        logo = {"business_name": "Golden Crust", "business_type": "bakery", "variants": 1}
        jobs.append(client.post("/v1/jobs", json={"kind": "logo", "params": logo}).json()["id"])
        for job_id in jobs:
            wait_for_job(client, job_id)
        items = client.get("/v1/gallery?limit=100").json()["data"]
        return Made(
            client,
            [i for i in items if i["kind"] == "remove_background"],
            [i for i in items if i["kind"] == "logo"],
        )

    return make


def open_gallery(page: Page) -> Locator:
    open_tool(page, "Gallery")
    return page.get_by_role("list", name="Your images")


def test_outputs_appear_as_thumbnails_filtered_by_kind_and_words(
    page_at: Page,
    pictor_server: PictorServer,
    signed_in: SignIn,
    made_by_api: Callable[[PictorServer, tuple[str, str]], Made],
    check_accessibility: Callable[[Page], None],
) -> None:
    page = page_at
    made = made_by_api(pictor_server, signed_in(page, pictor_server))
    assert len(made.cutouts) == 2 and len(made.logos) >= 2
    grid = open_gallery(page)
    expect(grid.get_by_role("listitem")).to_have_count(len(made.cutouts) + len(made.logos))
    thumbs = grid.get_by_role("img", name=re.compile(r"^Background removed, \d+\u00d7240, "))
    expect(thumbs).to_have_count(2)
    for index in range(2):
        expect(thumbs.nth(index)).to_have_js_property("complete", True)
        assert thumbs.nth(index).evaluate("img => img.naturalWidth") > 0
    # The brand kit (a ZIP) has no thumbnail: it says what it is.
    expect(grid.get_by_role("img", name=re.compile(r"^Logo: Golden Crust")).first).to_be_visible()
    check_accessibility(page)

    page.get_by_role("combobox", name="Kind").select_option(label="Logo")
    expect(grid.get_by_role("listitem")).to_have_count(len(made.logos))
    expect(grid.get_by_text("Background removed")).to_have_count(0)
    page.get_by_role("combobox", name="Kind").select_option(label="All kinds")
    expect(grid.get_by_role("listitem")).to_have_count(len(made.cutouts) + len(made.logos))

    page.get_by_role("searchbox", name="Words of the prompt").fill("golden")
    page.get_by_role("button", name="Search").click()
    expect(grid.get_by_role("listitem")).to_have_count(len(made.logos))
    page.get_by_role("searchbox", name="Words of the prompt").fill("no such words")
    page.get_by_role("searchbox", name="Words of the prompt").press("Enter")
    expect(grid).to_have_text("No images match these filters.")


def test_open_one_and_download_it(
    page_at: Page,
    pictor_server: PictorServer,
    signed_in: SignIn,
    made_by_api: Callable[[PictorServer, tuple[str, str]], Made],
    tmp_path: Path,
    check_accessibility: Callable[[Page], None],
) -> None:
    page = page_at
    made = made_by_api(pictor_server, signed_in(page, pictor_server))
    item = made.cutouts[0]
    grid = open_gallery(page)
    grid.locator(f"li[data-item-id='{item['id']}']").get_by_role("button").click()

    dialog = page.get_by_role("dialog", name="Background removed")
    expect(dialog).to_be_visible()
    full = dialog.get_by_role("img")
    expect(full).to_have_js_property("complete", True)
    assert full.evaluate("img => img.naturalWidth") == item["width"]
    expect(dialog).to_contain_text(f"{item['width']} \u00d7 {item['height']} px")
    expect(dialog).to_contain_text(str(item["engine"]))
    expect(dialog).to_contain_text("remove_background")
    check_accessibility(page)

    with page.expect_download() as download_info:
        dialog.get_by_role("link", name="Download").click()
    download = download_info.value
    assert download.suggested_filename == item["filename"]
    saved = tmp_path / "saved.png"
    download.save_as(saved)
    original = made.client.get(f"/v1/artifacts/{item['id']}").json()
    assert saved.read_bytes() == httpx.get(original["url"]).content

    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(grid.locator(f"li[data-item-id='{item['id']}']").get_by_role("button")).to_be_focused()


def test_trash_restore_and_delete_forever(
    page_at: Page,
    pictor_server: PictorServer,
    signed_in: SignIn,
    made_by_api: Callable[[PictorServer, tuple[str, str]], Made],
    check_accessibility: Callable[[Page], None],
) -> None:
    page = page_at
    made = made_by_api(pictor_server, signed_in(page, pictor_server))
    item = made.cutouts[0]
    card = f"li[data-item-id='{item['id']}']"
    grid = open_gallery(page)
    total = len(made.cutouts) + len(made.logos)

    # Move to the trash from the open item: it leaves the grid, shows in the trash.
    grid.locator(card).get_by_role("button").click()
    page.get_by_role("dialog").get_by_role("button", name="Move to trash").click()
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(grid.locator(card)).to_have_count(0)
    expect(grid.get_by_role("listitem")).to_have_count(total - 1)
    page.get_by_role("button", name="Trash").click()
    trash = page.get_by_role("list", name="Trash")
    expect(trash.get_by_role("listitem")).to_have_count(1)
    thumb = trash.get_by_role("img", name=re.compile(r"^Background removed"))
    expect(thumb).to_have_attribute("src", re.compile(r"^blob:"))
    expect(thumb).to_have_js_property("complete", True)
    assert thumb.evaluate("img => img.naturalWidth") > 0
    check_accessibility(page)

    # Restore: back in the gallery, its link works again.
    trash.get_by_role("button", name=re.compile("^Restore ")).click()
    expect(trash).to_have_text("The trash is empty.")
    page.get_by_role("button", name="Gallery", exact=True).click()
    expect(grid.locator(card)).to_have_count(1)
    assert made.client.get(f"/v1/gallery/{item['id']}").json()["deleted_at"] is None

    # Trash it again, then delete it for good: "Keep it" first keeps it.
    grid.locator(card).get_by_role("button").click()
    page.get_by_role("dialog").get_by_role("button", name="Move to trash").click()
    expect(grid.locator(card)).to_have_count(0)
    page.get_by_role("button", name="Trash").click()
    forever = trash.get_by_role("button", name=re.compile("^Delete forever "))
    forever.click()
    question = page.get_by_role("alertdialog", name="Delete forever?")
    expect(question).to_contain_text("There is no undo.")
    check_accessibility(page)
    question.get_by_role("button", name="Keep it").click()
    expect(question).to_be_hidden()
    expect(forever).to_be_focused()
    expect(trash.get_by_role("listitem")).to_have_count(1)
    forever.click()
    question.get_by_role("button", name="Delete forever").click()
    expect(trash).to_have_text("The trash is empty.")
    assert made.client.get(f"/v1/gallery/{item['id']}").status_code == 404
    page.get_by_role("button", name="Gallery", exact=True).click()
    expect(grid.get_by_role("listitem")).to_have_count(total - 1)
    expect(grid.locator(card)).to_have_count(0)


def test_a_new_account_sees_empty_states(
    page_at: Page,
    pictor_server: PictorServer,
    signed_in: SignIn,
    check_accessibility: Callable[[Page], None],
) -> None:
    page = page_at
    signed_in(page, pictor_server)
    grid = open_gallery(page)
    expect(grid).to_contain_text("Nothing here yet.")
    expect(grid.get_by_role("link", name="Remove background")).to_be_visible()
    check_accessibility(page)
    page.get_by_role("button", name="Trash").click()
    expect(page.get_by_role("list", name="Trash")).to_have_text("The trash is empty.")
    expect(page.get_by_role("search")).to_be_hidden()


def test_load_more_pages_through_a_long_gallery(
    page_at: Page,
    pictor_server: PictorServer,
    signed_in: SignIn,
    api_client_for: ApiClientFor,
) -> None:
    page = page_at
    client = api_client_for(pictor_server, signed_in(page, pictor_server))
    logo = {"business_name": "Blue Peak", "variants": 6}
    job = client.post("/v1/jobs", json={"kind": "logo", "params": logo}).json()
    wait_for_job(client, job["id"])
    items = client.get("/v1/gallery?limit=100").json()["data"]
    assert len(items) > 24  # more than one page of the view
    grid = open_gallery(page)
    expect(grid.get_by_role("listitem")).to_have_count(24)
    expect(page.get_by_role("status").filter(has_text="Showing 24 files")).to_contain_text(
        "there are more"
    )
    page.get_by_role("button", name="Load more").click()
    expect(grid.get_by_role("listitem")).to_have_count(len(items))
    expect(page.get_by_role("button", name="Load more")).to_be_hidden()
    shown = grid.get_by_role("listitem").evaluate_all("items => items.map(i => i.dataset.itemId)")
    assert shown == [item["id"] for item in items]  # newest first, no repeats, none missing
