"""What the browser tests of the page's tools share: opening a view from the navigation,
choosing files through the page's own file chooser, waiting for a job to finish, the
bytes and pixels of a result as a user's browser gets them, and test pictures (a photo,
one with marks to remove)."""

from __future__ import annotations

import io
import re
import threading
import time
from pathlib import Path

import httpx
import numpy as np
from PIL import Image
from playwright.sync_api import Locator, Page, expect
from tests.generate.fakes import FakeGemini
from tests.support.images import product_photo

#: A job's run on a loaded 2-core machine: generous, a deadline, not a measure.
JOB_TIMEOUT_MS = 120_000

#: The label of the only file chooser of a view ("choose files (…)", "choose a file (…)").
ONLY_CHOOSER = re.compile(r"^choose (files|a file) \(")

#: Where marks sit in `marked_photo` (x, y, w, h), and the background's colour there.
DOT = (60, 100, 24, 24)
BLOCK = (210, 60, 30, 30)


# ---------------------------------------------------------------- the page


def open_tool(page: Page, link_name: str) -> None:
    """Go to a view through the navigation, as a user does, and wait for its heading."""
    page.get_by_role("navigation", name="Tools").get_by_role("link", name=link_name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(link_name)


def choose_files(
    page: Page, paths: list[Path], chooser: str | re.Pattern[str] = ONLY_CHOOSER
) -> None:
    """Click the page's "choose …" label (``chooser``: its whole text, needed where a view
    has two) and give the file chooser ``paths``; wait for each one's thumbnail."""
    with page.expect_file_chooser() as chosen:
        page.get_by_text(chooser, exact=True).click()
    chosen.value.set_files([str(path) for path in paths])
    for path in paths:
        name = re.compile(rf"^Upload \d+: {re.escape(path.name)}$")
        expect(page.get_by_role("img", name=name)).to_be_visible()


def wait_until_done(card: Locator) -> None:
    """Wait, up to a job's deadline, until the job's card (or a part of it) says Done."""
    expect(card.get_by_text("Done", exact=True)).to_be_visible(timeout=JOB_TIMEOUT_MS)


def wait_for_job(client: httpx.Client, job_id: str, status: str = "succeeded") -> None:
    """Ask the API until the job is ``status``; one that ends otherwise fails at once."""
    deadline = time.monotonic() + JOB_TIMEOUT_MS / 1000
    while True:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] == status:
            return
        assert job["status"] in {"queued", "running"}, job
        assert time.monotonic() < deadline, f"job {job_id} still {job['status']}"
        threading.Event().wait(0.1)  # between two polls of a condition with a deadline


# ---------------------------------------------------------------- results


def fetched(page: Page, url: str | None) -> bytes:
    """The bytes at a URL of the page (a signed download link: no key needed)."""
    assert url, "no URL"
    answer = page.request.get(url)
    assert answer.ok, answer.status
    return answer.body()


def image_at(page: Page, url: str | None) -> Image.Image:
    """The picture at a URL of the page (a link's href, an <img>'s src), decoded."""
    image = Image.open(io.BytesIO(fetched(page, url)))
    image.load()
    return image


def image_of(page: Page, img: Locator) -> Image.Image:
    """The picture an <img> of the page shows."""
    return image_at(page, img.get_attribute("src"))


def mean_colour(image: Image.Image, box: tuple[int, int, int, int]) -> np.ndarray:
    """Mean RGB inside (x, y, w, h)."""
    x, y, w, h = box
    pixels = np.asarray(image.convert("RGB"), dtype=np.float32)[y : y + h, x : x + w]
    return pixels.reshape(-1, 3).mean(axis=0)


def looks_like_background(colour: np.ndarray) -> bool:
    """Grey of `marked_photo`'s gradient: channels close together, between 160 and 240."""
    return bool(colour.max() - colour.min() < 25 and 160 <= colour.mean() <= 240)


# ---------------------------------------------------------------- test pictures and fakes


def write_png(path: Path, rgb: np.ndarray) -> Path:
    Image.fromarray(rgb).save(path, "PNG")
    return path


def product_photo_png(path: Path, width: int = 320, height: int = 240) -> Path:
    """tests.support.images' product photo (a red box on a plain light background)."""
    path.write_bytes(product_photo(width, height, "PNG"))
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


def gemini_settings(fake: FakeGemini) -> dict[str, str]:
    """A server's settings to use ``fake`` (served on loopback) as its Gemini."""
    return {
        "PICTOR_PROVIDERS_GEMINI_API_KEY": fake.key,
        "PICTOR_PROVIDERS_GEMINI_BASE_URL": fake.url,
    }
