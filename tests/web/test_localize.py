"""Ad localization in the browser, through a fake Gemini on loopback (the real wire
protocol; tests/localize's fake answers each language with its own colour): pick two
markets on the list, see each market's result arrive, download them and the ZIP."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import re
import threading
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi import Request
from fastapi.responses import Response
from PIL import Image
from playwright.sync_api import Page, expect
from tests.generate.fakes import Reply
from tests.localize.localize_fakes import LocalizeGemini, colour_for, safety_block
from tests.web.conftest import SignIn
from tests.web.job_views import (
    JOB_TIMEOUT_MS,
    choose_files,
    gemini_settings,
    image_at,
    image_of,
    open_tool,
    product_photo_png,
    wait_until_done,
)
from tests.web.server import PictorServer
from tests.web.threaded import threaded_server


class GatedGemini(LocalizeGemini):
    """Holds a language's answer until the test opens its gate."""

    def __init__(self) -> None:
        super().__init__()
        self.gates: dict[str, threading.Event] = {}
        self.arrived: dict[str, threading.Event] = {}

    def hold(self, language: str) -> threading.Event:
        self.gates[language] = threading.Event()
        self.arrived[language] = threading.Event()
        return self.gates[language]

    def open_all(self) -> None:
        for gate in self.gates.values():
            gate.set()

    async def _generate(self, call: str, request: Request) -> Response:
        language = self.target_of(await request.json())
        if language in self.gates:
            self.arrived[language].set()
            await asyncio.to_thread(self.gates[language].wait, 120)
        return await super()._generate(call, request)


@pytest.fixture(scope="module")
def gemini() -> Iterator[GatedGemini]:
    fake = GatedGemini()
    with threaded_server(fake.app) as url:
        fake.url = url
        try:
            yield fake
        finally:
            fake.open_all()


@pytest.fixture(scope="module")
def server(
    start_pictor: Callable[..., contextlib.AbstractContextManager[PictorServer]],
    gemini: GatedGemini,
) -> Iterator[PictorServer]:
    with start_pictor(gemini_settings(gemini)) as started:
        yield started


@pytest.fixture
def fake(gemini: GatedGemini) -> Iterator[GatedGemini]:
    gemini.reset()
    gemini.gates, gemini.arrived = {}, {}
    gemini.scale = 0.25  # 256 px answers: the same protocol, less to encode
    try:
        yield gemini
    finally:
        gemini.open_all()


def _ad(tmp_path: Path) -> Path:
    return product_photo_png(tmp_path / "summer-ad.png", 400, 300)


def _pick_markets(page: Page) -> None:
    markets = page.get_by_role("group", name="Markets")
    search = markets.get_by_label("Filter markets")
    search.fill("jap")
    expect(markets.get_by_role("checkbox", name=re.compile("^Germany"))).to_be_hidden()
    markets.get_by_role("checkbox", name=re.compile("^Japan")).check()
    search.fill("deutsch")  # a language's own name finds its market too
    expect(markets.get_by_role("checkbox", name=re.compile("^Japan"))).to_be_hidden()
    markets.get_by_role("checkbox", name=re.compile("^Germany")).check()
    search.fill("")
    expect(markets.get_by_text("2 markets chosen: Germany, Japan")).to_be_visible()


def _colour(image: Image.Image) -> tuple[int, ...]:
    """The colour in the middle of the picture."""
    rgb = np.asarray(image.convert("RGB"))
    return tuple(int(c) for c in rgb[image.height // 2, image.width // 2])


def _close(a: tuple[int, ...], b: tuple[int, ...], tolerance: int = 6) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


def test_two_markets_arrive_one_by_one_and_download_as_a_zip(
    page_at: Page,
    server: PictorServer,
    fake: GatedGemini,
    signed_in: SignIn,
    tmp_path: Path,
    check_accessibility: Callable[[Page], None],
) -> None:
    page = page_at
    signed_in(page, server)
    open_tool(page, "Localize")
    choose_files(page, [_ad(tmp_path)], "choose a file (ad image)")
    _pick_markets(page)
    options = page.get_by_role("group", name="Options")
    expect(options.get_by_label("Engine")).to_have_value("gemini")  # set up on this server
    options.get_by_label("Shape (aspect ratio)").select_option("1:1")
    check_accessibility(page)
    german = fake.hold("German")
    page.get_by_role("button", name="Localize", exact=True).click()

    card = page.get_by_role("region", name="Ad for Germany, Japan")
    japan = card.get_by_role("article", name="Japan")
    germany = card.get_by_role("article", name="Germany")
    # Japan is made while Germany's answer is held: each market shows its own state.
    wait_until_done(japan)
    assert fake.arrived["German"].wait(60)
    expect(germany.get_by_text("Making it…")).to_be_visible()
    expect(japan.get_by_text(re.compile("^Ready; the image shows here"))).to_be_visible()
    expect(card.get_by_role("button", name="Download all markets (ZIP)")).to_have_count(0)
    german.set()

    expect(card.get_by_role("button", name="Download all markets (ZIP)")).to_be_visible(
        timeout=JOB_TIMEOUT_MS
    )
    expect(card.get_by_role("progressbar")).to_have_js_property("value", 100)
    colours = {"japan": colour_for("Japanese"), "germany": colour_for("German")}
    for market, name, language in [(japan, "Japan", "Japanese"), (germany, "Germany", "German")]:
        expect(market.get_by_text("Done", exact=True)).to_be_visible()
        thumb = market.get_by_role("img", name=f"Your ad localized for {name} ({language})")
        expect(thumb).to_be_visible()
        assert _close(_colour(image_of(page, thumb)), colour_for(language))
        link = market.get_by_role("link", name=f"Download {name} (PNG)")
        image = image_at(page, link.get_attribute("href"))
        assert image.size == (256, 256)  # 1:1 at the fake's scale of 1K
        assert _colour(image) == colour_for(language)

    with page.expect_download() as download_info:
        card.get_by_role("button", name="Download all markets (ZIP)").click()
    with zipfile.ZipFile(download_info.value.path()) as archive:
        assert set(archive.namelist()) == {
            "japan-japanese.png",
            "germany-german.png",
            "manifest.json",
        }
        for slug, market_id in [("japan-japanese", "japan"), ("germany-german", "germany")]:
            inside = Image.open(io.BytesIO(archive.read(f"{slug}.png")))
            assert _colour(inside) == colours[market_id]
        manifest: dict[str, Any] = json.loads(archive.read("manifest.json"))
        assert manifest["succeeded"] == 2
    asked = sorted(fake.target_of(seen.body) for seen in fake.seen)
    assert asked == ["German", "Japanese"]
    check_accessibility(page)


@pytest.mark.parametrize("page_at", ["desktop"], indirect=True)
def test_a_market_that_fails_shows_its_error_beside_the_one_that_worked(
    page_at: Page, server: PictorServer, fake: GatedGemini, signed_in: SignIn, tmp_path: Path
) -> None:
    fake.fail["German"] = Reply(200, safety_block())
    page = page_at
    signed_in(page, server)
    open_tool(page, "Localize")
    choose_files(page, [_ad(tmp_path)], "choose a file (ad image)")
    _pick_markets(page)
    page.get_by_role("button", name="Localize", exact=True).click()

    card = page.get_by_role("region", name="Ad for Germany, Japan")
    germany = card.get_by_role("article", name="Germany")
    expect(germany.get_by_role("alert")).to_have_text(
        re.compile(
            r"^Failed: gemini refused to make this image \(IMAGE_SAFETY\).*\(content_blocked\)$"
        ),
        timeout=JOB_TIMEOUT_MS,
    )
    japan = card.get_by_role("article", name="Japan")
    expect(japan.get_by_role("img", name="Your ad localized for Japan (Japanese)")).to_be_visible(
        timeout=JOB_TIMEOUT_MS
    )
    expect(germany.get_by_role("img")).to_have_count(0)
    with page.expect_download() as download_info:
        card.get_by_role("button", name="Download all markets (ZIP)").click()
    with zipfile.ZipFile(download_info.value.path()) as archive:
        assert set(archive.namelist()) == {"japan-japanese.png", "manifest.json"}


@pytest.mark.parametrize("page_at", ["phone"], indirect=True)
def test_submitting_without_a_market_says_so(
    page_at: Page, server: PictorServer, fake: GatedGemini, signed_in: SignIn, tmp_path: Path
) -> None:
    page = page_at
    signed_in(page, server)
    open_tool(page, "Localize")
    choose_files(page, [_ad(tmp_path)], "choose a file (ad image)")
    page.get_by_role("button", name="Localize", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("Tick at least one market.")
    assert fake.seen == []
