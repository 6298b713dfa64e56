"""EXIF-turned ads: "keep" follows the image as displayed, in both localize engines."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import pytest
from PIL import Image
from tests.localize.localize_fakes import LocalizeGemini
from tests.localize.test_localize_gemini_engine import decode, inline_part, localizer, request
from tests.localize_relayout.ads import make_ad

from pictor.engines.localize.relayout import RelayoutLocalizer
from pictor.localization.orientation import exif_orientation, upright_header

T = TypeVar("T")


async def in_thread(fn: Callable[..., T], *args: Any) -> T:
    return await asyncio.to_thread(fn, *args)


def jpeg(image: Image.Image, orientation: int | None) -> bytes:
    """``image`` stored as it is, with an EXIF tag saying how to display it."""
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, exif=exif.tobytes())
    return buffer.getvalue()


def landscape(width: int = 300, height: int = 200) -> Image.Image:
    return Image.new("RGB", (width, height), (200, 40, 40))


def test_a_turned_jpeg_has_no_upright_header() -> None:
    turned = jpeg(landscape(), 6)
    assert exif_orientation(turned) == 6
    assert upright_header(turned) is None


def test_an_upright_jpeg_keeps_its_header() -> None:
    for orientation in (None, 1):
        header = upright_header(jpeg(landscape(), orientation))
        assert header is not None and (header.width, header.height) == (300, 200)


def test_garbage_exif_reads_as_upright() -> None:
    assert exif_orientation(b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00garbage") == 1


@pytest.fixture(scope="module")
async def server() -> AsyncIterator[LocalizeGemini]:
    fake = LocalizeGemini()
    async with fake.serve():
        yield fake


async def test_gemini_keep_follows_the_displayed_orientation(server: LocalizeGemini) -> None:
    server.reset()
    server.scale = 0.25
    # Stored 300x200 landscape, displayed 200x300 portrait (orientation 6: turn 90° cw).
    turned = jpeg(landscape(), 6)

    made = await localizer(server).localize(request(turned, aspect_ratio="keep"), in_thread)

    [seen] = server.seen
    assert seen.body["generationConfig"]["imageConfig"]["aspectRatio"] == "2:3"
    sent = Image.open(io.BytesIO(decode(inline_part(seen.body["contents"][0]["parts"][1])["data"])))
    assert sent.size == (200, 300), "the ad is sent upright, as people see it"
    assert sent.getexif().get(0x0112, 1) == 1
    assert made.height > made.width


async def test_relayout_keep_follows_the_displayed_orientation() -> None:
    stored, _ = make_ad(400, 300)
    turned = jpeg(Image.open(io.BytesIO(stored)).convert("RGB"), 8)
    localizer_ = RelayoutLocalizer(None)
    req = request(turned, aspect_ratio="keep")

    made = await localizer_.localize(req, in_thread)

    assert (made.width, made.height) == (768, 1024)
