"""Remove watermark in the browser: two images with a corner box removed in one job, and
the built-in template found and taken off a stamped image."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from tests.web.conftest import SignIn
from tests.web.job_views import (
    BLOCK,
    DOT,
    choose_files,
    image_of,
    looks_like_background,
    marked_photo,
    mean_colour,
    open_tool,
    wait_until_done,
    write_png,
)
from tests.web.server import PictorServer

from pictor.engines.inpaint.templates import builtin_templates

#: A white caption in the bottom-right corner: inside a 20 % x 10 % box of 320 x 240.
CAPTION = (274, 220, 36, 14)


def _captioned(path: Path, hide: tuple[int, int, int, int]) -> Path:
    """The marked photo with one of its marks painted over, and a white caption added."""
    rgb = np.asarray(Image.open(marked_photo(path)).convert("RGB")).copy()
    x, y, w, h = hide
    rgb[y : y + h, x : x + w] = rgb[y : y + h, x - w : x]  # the grey just left of it
    cx, cy, cw, ch = CAPTION
    rgb[cy : cy + ch, cx : cx + cw] = 255
    return write_png(path, rgb)


def test_a_corner_box_comes_off_two_images(
    page_at: Page,
    pictor_server: PictorServer,
    signed_in: SignIn,
    tmp_path: Path,
    check_accessibility: Callable[[Page], None],
) -> None:
    page = page_at
    signed_in(page, pictor_server)
    open_tool(page, "Remove watermark")
    # The first keeps the blue dot, the second the orange block: results stay in order.
    first, second = _captioned(tmp_path / "dot.png", BLOCK), _captioned(tmp_path / "block.png", DOT)
    choose_files(page, [first, second])
    expect(page.get_by_text("2 of at most 50 images chosen.")).to_be_visible()
    page.get_by_label("A box in a corner", exact=False).check()
    page.get_by_label("Corner", exact=True).select_option(label="Bottom right")
    page.get_by_label("Box width").fill("20")
    page.get_by_label("Box height").fill("10")
    page.get_by_role("button", name="Remove watermark").click()

    card = page.get_by_role("region", name="Remove watermark: 2 images")
    wait_until_done(card)
    results = []
    for index, name in [(1, "dot.png"), (2, "block.png")]:
        after = card.get_by_role("img", name=f"Cleaned {index}: {name}")
        expect(after).to_be_visible()
        expect(card.get_by_role("link", name=f"Download cleaned {index}: {name}")).to_be_visible()
        results.append(image_of(page, after))
    expect(card.get_by_text("The box was filled in.")).to_have_count(2)

    for result in results:
        assert result.size == (320, 240)
        assert looks_like_background(mean_colour(result, CAPTION)), mean_colour(result, CAPTION)
    assert mean_colour(results[0], DOT) == pytest.approx([20, 30, 120], abs=2)
    assert mean_colour(results[1], BLOCK) == pytest.approx([240, 120, 20], abs=2)
    check_accessibility(page)


def _stamped_with_sample_star(path: Path) -> tuple[Path, tuple[int, int, int, int]]:
    """A photo with the built-in `sample-star` blended in where its rules put it."""
    star = next(t for t in builtin_templates() if t.name == "sample-star")
    base = np.asarray(Image.open(marked_photo(path)).convert("RGB"), dtype=np.float32)
    height, width = base.shape[:2]
    alpha = star.alpha_for(width, height)[..., None]
    x, y, w, h = star.expected_box(width, height)
    box = base[y : y + h, x : x + w]
    base[y : y + h, x : x + w] = box * (1 - alpha) + 255.0 * alpha
    return write_png(path, np.rint(base).astype(np.uint8)), (x, y, w, h)


@pytest.mark.parametrize("page_at", ["desktop"], indirect=True)
def test_the_built_in_template_is_found_and_removed(
    page_at: Page, pictor_server: PictorServer, signed_in: SignIn, tmp_path: Path
) -> None:
    page = page_at
    signed_in(page, pictor_server)
    open_tool(page, "Remove watermark")
    stamped, (x, y, w, h) = _stamped_with_sample_star(tmp_path / "stamped.png")
    plain = marked_photo(tmp_path / "plain.png")
    choose_files(page, [stamped, plain])
    expect(page.get_by_label("Watermark template")).to_have_value("sample-star")
    page.get_by_role("button", name="Remove watermark").click()

    card = page.get_by_role("region", name="Remove watermark: 2 images")
    wait_until_done(card)
    expect(card.get_by_text("Watermark found (score", exact=False)).to_have_count(1)
    expect(card.get_by_text("No watermark found: this image is unchanged.")).to_be_visible()

    cleaned = np.asarray(
        image_of(page, card.get_by_role("img", name="Cleaned 1: stamped.png")), dtype=np.float32
    )
    original = np.asarray(Image.open(plain).convert("RGB"), dtype=np.float32)
    # The star's box is back to the photo under it (the blend undone, not painted over).
    assert np.abs(cleaned[y : y + h, x : x + w] - original[y : y + h, x : x + w]).max() <= 3
