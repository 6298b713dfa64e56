"""Remove background in the browser: upload a real photo, follow the job to done, get a
cut-out whose corners are really transparent, compare it with the original by keyboard."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Locator, Page, expect
from tests.web.conftest import SignIn
from tests.web.job_views import (
    JOB_TIMEOUT_MS,
    choose_files,
    image_of,
    open_tool,
    product_photo_png,
    wait_until_done,
)
from tests.web.server import PictorServer


def _corner_of_stage(stage: Locator) -> np.ndarray:
    """The pixels a user sees in the top-left corner of the comparison (10 % of each side)."""
    shot = np.asarray(Image.open(io.BytesIO(stage.screenshot())).convert("RGB"), dtype=np.int32)
    height, width = shot.shape[:2]
    return shot[height // 20 : height // 7, width // 20 : width // 7].reshape(-1, 3)


def test_a_photo_loses_its_background_and_compares_by_keyboard(
    page_at: Page,
    pictor_server: PictorServer,
    signed_in: SignIn,
    tmp_path: Path,
    check_accessibility: Callable[[Page], None],
) -> None:
    page = page_at
    signed_in(page, pictor_server)
    open_tool(page, "Remove background")
    choose_files(page, [product_photo_png(tmp_path / "bottle.png")])
    page.get_by_role("button", name="Remove background").click()

    card = page.get_by_role("region", name="Image 1: bottle.png")
    wait_until_done(card)
    expect(card.get_by_role("progressbar")).to_have_js_property("value", 100)
    after = card.get_by_role("img", name="Background removed: bottle.png")
    expect(after).to_be_visible()

    cutout = image_of(page, after)
    assert cutout.mode == "RGBA" and cutout.size == (320, 240)
    for corner in [(2, 2), (317, 2), (2, 237), (317, 237)]:
        assert cutout.getpixel(corner)[3] == 0, corner
    assert cutout.getpixel((160, 120)) == (190, 30, 40, 255)
    download = card.get_by_role("link", name="Download bottle.png without background")
    expect(download).to_have_attribute("href", after.get_attribute("src") or "")

    slider = card.get_by_role("slider", name="Compare before and after (bottle.png)")
    stage = card.locator(".compare-stage")
    slider.focus()
    page.keyboard.press("End")
    expect(slider).to_have_value("100")
    expect(slider).to_have_attribute("aria-valuetext", "100% original, 0% result")
    # All original: its plain light grey, one colour, in the corner.
    assert np.abs(_corner_of_stage(stage) - 238).max() <= 3
    page.keyboard.press("Home")
    expect(slider).to_have_value("0")
    # All result: the transparent corner shows the checkerboard's two colours.
    corner = _corner_of_stage(stage)
    assert (corner.min(axis=1) >= 250).any() and (corner.max(axis=1) <= 226).any()
    page.keyboard.press("ArrowRight")
    expect(slider).to_have_value("1")

    check_accessibility(page)


@pytest.mark.parametrize("page_at", ["desktop"], indirect=True)
def test_two_photos_cropped_onto_a_colour(
    page_at: Page, pictor_server: PictorServer, signed_in: SignIn, tmp_path: Path
) -> None:
    page = page_at
    signed_in(page, pictor_server)
    open_tool(page, "Remove background")
    photos = [product_photo_png(tmp_path / name) for name in ("one.png", "two.png")]
    choose_files(page, photos)
    page.get_by_label("Subject on a colour").check()
    page.get_by_label("Background colour").fill("#00a050")
    page.get_by_label("Crop to the subject").check()
    page.get_by_label("Margin around the subject (px)").fill("10")
    page.get_by_role("button", name="Remove background").click()

    for index, name in enumerate(["one.png", "two.png"], start=1):
        card = page.get_by_role("region", name=f"Image {index}: {name}")
        after = card.get_by_role("img", name=f"Background removed: {name}")
        expect(after).to_be_visible(timeout=JOB_TIMEOUT_MS)
        # Cropped: shown beside the original rather than over it.
        expect(card.get_by_role("img", name=f"Original: {name}")).to_be_visible()
        result = image_of(page, after).convert("RGBA")
        width, height = result.size
        assert width < 320 and height < 240, result.size
        # The margin kept around the red box is filled with the colour, opaque.
        assert result.getpixel((2, 2)) == (0, 160, 80, 255)
        assert result.getpixel((width // 2, height // 2))[:3] == (190, 30, 40)
