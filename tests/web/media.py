"""What the remove-background, erase and watermark browser tests share: opening a tool
from the navigation, choosing files through the real file chooser, reading a result's
pixels the way a user's download gets them, and test pictures with marks to remove."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
from PIL import Image
from playwright.sync_api import Locator, Page, expect

#: A job's run on a loaded 2-core machine: generous, it is a deadline, not a measure.
JOB_TIMEOUT_MS = 120_000

#: Where marks sit in `marked_photo` (x, y, w, h), and the background's colour there.
DOT = (60, 100, 24, 24)
BLOCK = (210, 60, 30, 30)


def open_tool(page: Page, link_name: str) -> None:
    """Go to a tool through the navigation, as a user does, and wait for its heading."""
    page.get_by_role("navigation", name="Tools").get_by_role("link", name=link_name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(link_name)


def choose_files(page: Page, paths: list[Path]) -> None:
    """Pick files with the page's own file chooser (the "choose …" button)."""
    with page.expect_file_chooser() as chooser:
        page.get_by_text(re.compile(r"^choose (files|a file) \(")).click()
    chooser.value.set_files([str(p) for p in paths])
    for index in range(1, len(paths) + 1):
        expect(page.get_by_role("img", name=f"Upload {index}: ", exact=False)).to_be_visible()


def image_of(page: Page, img: Locator) -> Image.Image:
    """The picture an <img> of the page shows, fetched from its URL."""
    src = img.get_attribute("src")
    assert src, "the image has no src"
    answer = page.request.get(src)
    assert answer.ok, answer.status
    image = Image.open(io.BytesIO(answer.body()))
    image.load()
    return image


def write_png(path: Path, rgb: np.ndarray) -> Path:
    Image.fromarray(rgb).save(path, "PNG")
    return path


def marked_photo(path: Path) -> Path:
    """A soft grey gradient (320x240) with a dark blue dot and an orange block on it."""
    x = np.linspace(170, 215, 320, dtype=np.float32)
    y = np.linspace(0, 20, 240, dtype=np.float32)[:, None]
    grey = (x[None, :] + y).astype(np.uint8)
    rgb = np.stack([grey, grey, grey], axis=-1)
    dx, dy, dw, dh = DOT
    rgb[dy : dy + dh, dx : dx + dw] = (20, 30, 120)
    bx, by, bw, bh = BLOCK
    rgb[by : by + bh, bx : bx + bw] = (240, 120, 20)
    return write_png(path, rgb)


def mean_colour(image: Image.Image, box: tuple[int, int, int, int]) -> np.ndarray:
    """Mean RGB inside (x, y, w, h)."""
    x, y, w, h = box
    pixels = np.asarray(image.convert("RGB"), dtype=np.float32)[y : y + h, x : x + w]
    return pixels.reshape(-1, 3).mean(axis=0)


def looks_like_background(colour: np.ndarray) -> bool:
    """Grey of the gradient: channels close together, between 160 and 240."""
    return bool(colour.max() - colour.min() < 25 and 160 <= colour.mean() <= 240)
