"""``pictor generate`` run locally against a fake Gemini API on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.generate.fakes import PNG, FakeGemini
from tests.support.images import open_image, product_photo
from typer.testing import CliRunner, Result

from pictor.cli import app
from pictor.engines.generate.errors import ProviderNotConfigured


@pytest.fixture(scope="module")
async def gemini_server() -> AsyncIterator[FakeGemini]:
    fake = FakeGemini()
    async with fake.serve():
        yield fake


async def invoke(args: list[str], env: dict[str, str]) -> Result:
    # The command runs its own event loop: in a thread, while the fake serves on ours.
    return await asyncio.to_thread(CliRunner().invoke, app, args, env=env)


def gemini_env(fake: FakeGemini) -> dict[str, str]:
    return {
        "PICTOR_PROVIDERS_GEMINI_API_KEY": FakeGemini.key,
        "PICTOR_PROVIDERS_GEMINI_BASE_URL": fake.url,
    }


async def test_cli_generate_writes_the_image_and_names_the_engine(
    gemini_server: FakeGemini, tmp_path: Path
) -> None:
    gemini_server.reset()
    target = tmp_path / "out.png"
    result = await invoke(
        ["generate", "a red lighthouse", "-o", str(target), "--aspect-ratio", "16:9"],
        gemini_env(gemini_server),
    )
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == PNG
    assert "gemini:gemini-2.5-flash-image" in result.output
    config = gemini_server.seen[0].body["generationConfig"]
    assert config["imageConfig"]["aspectRatio"] == "16:9"


async def test_cli_edit_converts_to_the_format_of_the_output_suffix(
    gemini_server: FakeGemini, tmp_path: Path
) -> None:
    gemini_server.reset()
    source = tmp_path / "photo.jpg"
    source.write_bytes(product_photo())
    target = tmp_path / "edited.webp"
    result = await invoke(
        ["generate", "make it blue", "--image", str(source), "-o", str(target)],
        gemini_env(gemini_server),
    )
    assert result.exit_code == 0, result.output
    assert open_image(target.read_bytes()).format == "WEBP"


async def test_cli_generate_without_a_provider_names_the_setting(tmp_path: Path) -> None:
    result = await invoke(["generate", "a cat", "-o", str(tmp_path / "x.png")], {})
    assert isinstance(result.exception, ProviderNotConfigured)
    assert "PICTOR_PROVIDERS_GEMINI_API_KEY" in result.exception.message
