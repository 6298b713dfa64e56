"""Logo studio in the browser: describe a business, see the variants with their palettes,
download one PNG and the brand kit, and read the API's message for a bad brief."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from tests.web.conftest import SignIn
from tests.web.job_views import fetched, image_at, open_tool, wait_until_done
from tests.web.server import PictorServer

HEX = r"#[0-9a-f]{6}"


def _describe(page: Page, name: str, variants: int) -> None:
    form = page.get_by_role("form", name="Describe your business")
    form.get_by_label("Business name").fill(name)
    form.get_by_label("What the business does (optional)").fill("bakery")
    form.get_by_label("Style").select_option(label="Playful — rounded and friendly")
    form.get_by_role("button", name="Add a colour").click()
    form.get_by_label("Colour 1", exact=True).fill("#e4572e")
    form.get_by_label("Number of variants").fill(str(variants))


def test_logos_show_their_palettes_and_the_brand_kit_downloads(
    page_at: Page,
    pictor_server: PictorServer,
    signed_in: SignIn,
    check_accessibility: Callable[[Page], None],
) -> None:
    page = page_at
    signed_in(page, pictor_server)
    open_tool(page, "Logo studio")
    _describe(page, "Golden Crust", 3)
    check_accessibility(page)
    page.get_by_role("button", name="Design logos").click()

    card = page.get_by_role("region", name="Logos for “Golden Crust”")
    wait_until_done(card)
    expect(card.get_by_role("progressbar")).to_have_js_property("value", 100)
    grid = card.get_by_role("list", name="Logo variants for Golden Crust")
    expect(grid.get_by_role("article")).to_have_count(3)

    shown_svgs = {}
    for number in (1, 2, 3):
        variant = grid.get_by_role("article", name=f"Variant {number}")
        preview = variant.get_by_role("img")
        # The alt text names the variant, its mark, layout and palette with its colours.
        expect(preview).to_have_attribute(
            "alt",
            re.compile(
                rf"^Golden Crust logo, variant {number}: .+, \w[\w-]* layout, "
                rf"\w+ palette \({HEX}, {HEX}, {HEX}\)$"
            ),
        )
        palette_name = variant.get_by_text(re.compile(r"^\w+ palette$"))
        expect(palette_name).to_be_visible()
        swatches = variant.get_by_role("list", name=re.compile(r"^Colours of the \w+ palette"))
        # The one colour asked for leads every scheme.
        expect(swatches.get_by_role("listitem").first).to_have_text("Primary #e4572e")
        expect(swatches.get_by_role("listitem")).to_have_count(4)
        svg = fetched(page, preview.get_attribute("src"))
        assert b"<svg" in svg and b"<text" not in svg  # text drawn as outlines
        shown_svgs[number] = svg

    png_link = grid.get_by_role("link", name="Download variant 2 as PNG 512 px, transparent")
    png = image_at(page, png_link.get_attribute("href"))
    assert max(png.size) == 512 and png.mode == "RGBA"
    assert png.getchannel("A").getpixel((0, 0)) == 0  # transparent around the logo

    with page.expect_download() as download_info:
        card.get_by_role("link", name="Download brand kit (ZIP)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".zip")
    with zipfile.ZipFile(download.path()) as kit:
        names = set(kit.namelist())
        for number in (1, 2, 3):
            assert f"variant-{number}/logo-1024-white.png" in names
            assert f"variant-{number}/favicon-32.png" in names
            # The kit holds the very logos the page showed.
            assert kit.read(f"variant-{number}/logo.svg") == shown_svgs[number]
        assert {"palette.json", "README.txt"} <= names
        favicon = kit.read("variant-1/favicon-32.png")
        assert favicon.startswith(b"\x89PNG")

    check_accessibility(page)


@pytest.mark.parametrize("page_at", ["desktop"], indirect=True)
def test_a_blank_business_name_shows_the_api_message(
    page_at: Page, pictor_server: PictorServer, signed_in: SignIn
) -> None:
    page = page_at
    signed_in(page, pictor_server)
    open_tool(page, "Logo studio")
    _describe(page, "   ", 2)  # not empty for the browser, blank for pictor
    page.get_by_role("button", name="Design logos").click()
    alert = page.get_by_role("form", name="Describe your business").get_by_role("alert")
    expect(alert).to_have_text(
        "params.business_name: Value error, the business name must not be blank (invalid_request)"
    )
    expect(page.get_by_role("region", name=re.compile("^Logos for"))).to_have_count(0)
