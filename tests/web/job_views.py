"""What the logo, localize and generate browser tests share: opening a view from the
navigation, choosing a file through the page's own file chooser, and the bytes behind a
picture or link of the page as a user's browser gets them."""

from __future__ import annotations

import io
import re
from pathlib import Path

from PIL import Image
from playwright.sync_api import Locator, Page, expect

#: A job's run on a loaded 2-core machine: generous, a deadline, not a measure.
JOB_TIMEOUT_MS = 120_000


def open_tool(page: Page, link_name: str) -> None:
    """Go to a view through the navigation, as a user does, and wait for its heading."""
    page.get_by_role("navigation", name="Tools").get_by_role("link", name=link_name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(link_name)


def choose_file(page: Page, chooser_text: str, path: Path) -> None:
    """Click the page's "choose …" label and give the file chooser ``path``; wait for
    its thumbnail."""
    with page.expect_file_chooser() as chooser:
        page.get_by_text(chooser_text, exact=True).click()
    chooser.value.set_files(str(path))
    name = re.compile(rf"^Upload \d+: {re.escape(path.name)}$")
    expect(page.get_by_role("img", name=name)).to_be_visible()


def fetched(page: Page, url: str | None) -> bytes:
    """The bytes at a URL of the page (a signed download link: no key needed)."""
    assert url, "no URL"
    answer = page.request.get(url)
    assert answer.ok, answer.status
    return answer.body()


def image_of(page: Page, img: Locator) -> Image.Image:
    """The picture an <img> of the page shows."""
    image = Image.open(io.BytesIO(fetched(page, img.get_attribute("src"))))
    image.load()
    return image
