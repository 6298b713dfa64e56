"""Erase in the browser: paint a mask with the mouse (or a finger at phone width), type a
rectangle with the keyboard, undo a stroke; run the job and check the right pixels moved."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Locator, Page, expect
from tests.web.conftest import SignIn
from tests.web.job_views import (
    BLOCK,
    DOT,
    JOB_TIMEOUT_MS,
    choose_files,
    image_of,
    looks_like_background,
    marked_photo,
    mean_colour,
    open_tool,
)
from tests.web.server import PictorServer

IMAGE_WIDTH = 320

# Horizontal strokes (image px) through the middle of each mark; a 40 px brush covers it.
OVER_DOT = [(DOT[0] - 8, DOT[1] + 12), (DOT[0] + 32, DOT[1] + 12)]
OVER_BLOCK = [(BLOCK[0] + 5, BLOCK[1] + 15), (BLOCK[0] + 25, BLOCK[1] + 15)]


def _screen_points(canvas: Locator, points: Sequence[tuple[int, int]]) -> list[tuple[float, float]]:
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    scale = box["width"] / IMAGE_WIDTH
    return [(box["x"] + x * scale, box["y"] + y * scale) for x, y in points]


def paint(page: Page, points: Sequence[tuple[int, int]]) -> None:
    """One stroke through `points` (image px): a mouse drag, or a finger at phone width."""
    canvas = page.get_by_role("img", name="Mask over the image", exact=False)
    screen = _screen_points(canvas, points)
    if getattr(page, "width_name", "desktop") == "phone":
        cdp = page.context.new_cdp_session(page)
        kinds = ["touchStart"] + ["touchMove"] * (len(screen) - 1)
        for kind, (x, y) in zip(kinds, screen, strict=True):
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        cdp.detach()
        return
    page.mouse.move(*screen[0])
    page.mouse.down()
    for x, y in screen[1:]:
        page.mouse.move(x, y, steps=4)
    page.mouse.up()


def _start(page: Page, server: PictorServer, sign_in: SignIn, tmp_path: Path) -> None:
    sign_in(page, server)
    open_tool(page, "Erase")
    choose_files(page, [marked_photo(tmp_path / "street.png")])
    expect(page.get_by_role("img", name="Image to erase from: street.png")).to_be_visible()


def _erased(page: Page) -> Image.Image:
    """The job's result, once the page shows it, as the user's download gets it."""
    card = page.get_by_role("region", name="Erase: street.png")
    after = card.get_by_role("img", name="Erased: street.png")
    expect(after).to_be_visible(timeout=JOB_TIMEOUT_MS)
    return image_of(page, after)


def test_a_painted_stroke_is_erased(
    page_at: Page,
    pictor_server: PictorServer,
    signed_in: SignIn,
    tmp_path: Path,
    check_accessibility: Callable[[Page], None],
) -> None:
    page = page_at
    _start(page, pictor_server, signed_in, tmp_path)
    run = page.get_by_role("button", name="Erase", exact=True)
    expect(run).to_be_disabled()
    page.get_by_role("slider", name="Brush size").fill("40")
    paint(page, [OVER_DOT[0], (DOT[0] + 12, DOT[1] + 12), OVER_DOT[1]])
    expect(page.get_by_text("Marked: 1 brush stroke.")).to_be_visible()
    expect(run).to_be_enabled()
    check_accessibility(page)

    run.click()
    result = _erased(page)
    assert result.size == (320, 240)
    assert looks_like_background(mean_colour(result, DOT)), mean_colour(result, DOT)
    # Only the painted part changed: the orange block is still there.
    assert mean_colour(result, BLOCK) == pytest.approx([240, 120, 20], abs=2)
    expect(page.get_by_role("slider", name="Compare before and after (street.png)")).to_be_visible()
    check_accessibility(page)


def test_a_rectangle_typed_with_the_keyboard_is_erased(
    page_at: Page, pictor_server: PictorServer, signed_in: SignIn, tmp_path: Path
) -> None:
    page = page_at
    _start(page, pictor_server, signed_in, tmp_path)
    bx, by, bw, bh = BLOCK
    page.get_by_label("X (from the left)").focus()
    page.keyboard.type(str(bx - 4))
    page.keyboard.press("Tab")
    page.keyboard.type(str(by - 4))
    page.keyboard.press("Tab")
    page.keyboard.type("0")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("a width and height above 0")
    page.get_by_label("Width").fill("")
    page.get_by_label("Width").press_sequentially(str(bw + 8))
    page.keyboard.press("Tab")
    page.keyboard.type(str(bh + 8))
    page.keyboard.press("Enter")
    expect(
        page.get_by_text(
            f"Rectangle 1: x {bx - 4}, y {by - 4}, {bw + 8} \N{MULTIPLICATION SIGN} {bh + 8}"
        )
    ).to_be_visible()
    expect(page.get_by_text("Marked: 1 rectangle.")).to_be_visible()

    page.get_by_role("button", name="Erase", exact=True).press("Enter")
    result = _erased(page)
    assert looks_like_background(mean_colour(result, BLOCK)), mean_colour(result, BLOCK)
    assert mean_colour(result, DOT) == pytest.approx([20, 30, 120], abs=2)


def _overlay_alpha(page: Page, x: int, y: int) -> int:
    """The mask overlay's opacity at an image pixel: what the user sees painted."""
    canvas = page.get_by_role("img", name="Mask over the image", exact=False)
    return int(
        canvas.evaluate(
            "(c, [x, y]) => c.getContext('2d').getImageData(x, y, 1, 1).data[3]", [x, y]
        )
    )


@pytest.mark.parametrize("page_at", ["desktop"], indirect=True)
def test_undo_takes_back_the_last_stroke(
    page_at: Page, pictor_server: PictorServer, signed_in: SignIn, tmp_path: Path
) -> None:
    page = page_at
    _start(page, pictor_server, signed_in, tmp_path)
    page.get_by_role("slider", name="Brush size").fill("40")
    paint(page, OVER_DOT)
    paint(page, OVER_BLOCK)
    expect(page.get_by_text("Marked: 2 brush strokes.")).to_be_visible()
    block_centre = (BLOCK[0] + 15, BLOCK[1] + 15)
    assert _overlay_alpha(page, *block_centre) == 255

    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_text("Marked: 1 brush stroke.")).to_be_visible()
    assert _overlay_alpha(page, *block_centre) == 0
    assert _overlay_alpha(page, DOT[0] + 12, DOT[1] + 12) == 255

    # A rectangle dragged with the Rectangle tool is a mark like the others: Undo takes it.
    page.get_by_label("Rectangle (drag)").check()
    paint(page, [(BLOCK[0] - 3, BLOCK[1] - 3), (BLOCK[0] + 33, BLOCK[1] + 33)])
    expect(page.get_by_text("Marked: 1 brush stroke and 1 rectangle.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Rectangle 1: x 20\d, y 5\d, 3\d")).first).to_be_visible()
    assert _overlay_alpha(page, *block_centre) == 255
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_text("Marked: 1 brush stroke.")).to_be_visible()
    assert _overlay_alpha(page, *block_centre) == 0

    # The mask sent is the one on screen: the dot goes, the block stays.
    page.get_by_role("button", name="Erase", exact=True).click()
    result = _erased(page)
    assert looks_like_background(mean_colour(result, DOT)), mean_colour(result, DOT)
    assert mean_colour(result, BLOCK) == pytest.approx([240, 120, 20], abs=2)

    page.get_by_role("button", name="Clear").click()
    expect(page.get_by_text("Nothing marked yet.")).to_be_visible()
    expect(page.get_by_role("button", name="Erase", exact=True)).to_be_disabled()
