"""Generate and edit in the browser, through a fake Gemini on loopback (its real wire
protocol, tests/generate's fake): the result appears with the engine and provider that
made it; on a server with no provider, the API's own message is shown."""

from __future__ import annotations

import base64
import contextlib
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from tests.generate.fakes import PNG, FakeGemini
from tests.web.conftest import SignIn
from tests.web.job_views import (
    JOB_TIMEOUT_MS,
    choose_files,
    gemini_settings,
    image_of,
    open_tool,
    product_photo_png,
)
from tests.web.server import PictorServer
from tests.web.threaded import threaded_server

ENGINE = "gemini:gemini-2.5-flash-image"


@pytest.fixture(scope="module")
def gemini() -> Iterator[FakeGemini]:
    fake = FakeGemini()
    with threaded_server(fake.app) as url:
        fake.url = url
        yield fake


@pytest.fixture(scope="module")
def server(
    start_pictor: Callable[..., contextlib.AbstractContextManager[PictorServer]],
    gemini: FakeGemini,
) -> Iterator[PictorServer]:
    with start_pictor(gemini_settings(gemini)) as started:
        yield started


@pytest.fixture
def fake(gemini: FakeGemini) -> FakeGemini:
    gemini.reset()
    return gemini


def _inline_images(body: dict[str, Any]) -> list[bytes]:
    parts = body["contents"][0]["parts"]
    found = []
    for part in parts:
        inline = part.get("inlineData") or part.get("inline_data")
        if inline:
            # The SDK writes bytes as URL-safe base64; the API takes either alphabet.
            data = inline["data"].replace("+", "-").replace("/", "_")
            found.append(base64.urlsafe_b64decode(data))
    return found


def _same_pixels(a: Image.Image, b: Image.Image) -> bool:
    return a.size == b.size and np.array_equal(
        np.asarray(a.convert("RGB")), np.asarray(b.convert("RGB"))
    )


def test_a_generated_image_appears_with_its_engine(
    page_at: Page,
    server: PictorServer,
    fake: FakeGemini,
    signed_in: SignIn,
    check_accessibility: Callable[[Page], None],
) -> None:
    page = page_at
    signed_in(page, server)
    open_tool(page, "Generate & edit")
    form = page.get_by_role("form", name="Describe the image")
    default = "The server\u2019s default (Gemini (Google))"  # the page's typographic apostrophe
    expect(form.get_by_label("Provider")).to_contain_text(default)
    form.get_by_label("What to make").fill("a red lighthouse at dusk")
    form.get_by_label("Shape").select_option("16:9")
    form.get_by_label("Resolution").select_option("2K")
    check_accessibility(page)
    form.get_by_role("button", name="Generate").click()

    card = page.get_by_role("region", name="Image: a red lighthouse at dusk")
    image = card.get_by_role("img", name="Generated image 1 for “a red lighthouse at dusk”")
    expect(image).to_be_visible(timeout=JOB_TIMEOUT_MS)
    expect(card.get_by_text("Done", exact=True)).to_be_visible()
    expect(
        card.get_by_text(f"Made by {ENGINE} · provider gemini · model gemini-2.5-flash-image")
    ).to_be_visible()
    expect(card.get_by_text(f"96\u00d764 px, made by {ENGINE}")).to_be_visible()  # 96 by 64
    # What the page shows is what the provider answered.
    assert _same_pixels(image_of(page, image), Image.open(io.BytesIO(PNG)))
    download = card.get_by_role("link", name="Download image 1 (PNG)")
    expect(download).to_have_attribute("href", image.get_attribute("src") or "")

    [seen] = fake.seen
    assert "a red lighthouse at dusk" in seen.body["contents"][0]["parts"][0]["text"]
    config = seen.body["generationConfig"]
    assert config["imageConfig"] == {"aspectRatio": "16:9", "imageSize": "2K"}
    check_accessibility(page)


@pytest.mark.parametrize("page_at", ["desktop"], indirect=True)
def test_an_edit_sends_the_image_and_its_mask(
    page_at: Page, server: PictorServer, fake: FakeGemini, signed_in: SignIn, tmp_path: Path
) -> None:
    photo = product_photo_png(tmp_path / "beach.png", 200, 150)
    mask = tmp_path / "mask.png"
    Image.new("L", (200, 150), 0).save(mask)
    page = page_at
    signed_in(page, server)
    open_tool(page, "Generate & edit")
    form = page.get_by_role("form", name="Describe the image")
    form.get_by_label("Edit my images with words").check()
    choose_files(page, [photo], "choose files (images to edit)")
    choose_files(page, [mask], "choose a file (mask)")
    form.get_by_label("What to make").fill("make the sky stormy")
    form.get_by_role("button", name="Edit", exact=True).click()

    card = page.get_by_role("region", name="Edit: make the sky stormy")
    result = card.get_by_role("img", name="Edited image 1 for “make the sky stormy”")
    expect(result).to_be_visible(timeout=JOB_TIMEOUT_MS)
    expect(card.get_by_text(f"Made by {ENGINE} · provider gemini", exact=False)).to_be_visible()
    [seen] = fake.seen
    sent = _inline_images(seen.body)
    assert [Image.open(io.BytesIO(data)).size for data in sent] == [(200, 150), (200, 150)]
    assert sent[0] == photo.read_bytes() and sent[1] == mask.read_bytes()


@pytest.mark.parametrize("page_at", ["phone"], indirect=True)
def test_without_a_provider_the_api_says_what_is_missing(
    page_at: Page, pictor_server: PictorServer, signed_in: SignIn
) -> None:
    page = page_at
    signed_in(page, pictor_server)
    open_tool(page, "Generate & edit")
    form = page.get_by_role("form", name="Describe the image")
    expect(form.get_by_role("note")).to_contain_text("No image provider is set up on this server")
    form.get_by_label("What to make").fill("a fox")
    form.get_by_role("button", name="Generate").click()
    expect(form.get_by_role("alert")).to_have_text(
        "no image provider is configured; set one of PICTOR_PROVIDERS_GEMINI_API_KEY, "
        "PICTOR_PROVIDERS_OPENAI_API_KEY (or PICTOR_PROVIDERS_OPENAI_BASE_URL), "
        "PICTOR_PROVIDERS_REPLICATE_API_TOKEN (provider_not_configured)"
    )
    expect(page.get_by_role("region", name="Image: a fox")).to_have_count(0)
