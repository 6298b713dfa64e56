"""``pictor generate``: text (and images) to images through a provider, without a server."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from pictor.images.encode import OutputFormat

_SUFFIX_FORMATS: dict[str, OutputFormat] = {
    ".png": "png",
    ".webp": "webp",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
}


def generate(
    prompt: Annotated[str, typer.Argument(help="What to make (1-4000 characters).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output file, or a folder.")],
    provider: Annotated[
        str | None, typer.Option(help="gemini, openai or replicate (default: the configured one).")
    ] = None,
    model: Annotated[str | None, typer.Option(help="The provider's model.")] = None,
    aspect_ratio: Annotated[str | None, typer.Option(help="1:1, 16:9, 9:16, ...")] = None,
    size: Annotated[str | None, typer.Option(help="WIDTHxHEIGHT instead of a ratio.")] = None,
    resolution: Annotated[str | None, typer.Option(help="1K, 2K or 4K.")] = None,
    n: Annotated[int, typer.Option("-n", help="How many images (1-4).")] = 1,
    seed: Annotated[int | None, typer.Option(help="Seed, where the provider takes one.")] = None,
    negative_prompt: Annotated[str | None, typer.Option(help="What to avoid.")] = None,
    image: Annotated[
        list[Path] | None, typer.Option("--image", help="Edit this image (repeatable).")
    ] = None,
    mask: Annotated[Path | None, typer.Option(help="Mask for --image: white = change.")] = None,
) -> None:
    """Generate images (or edit --image files) with a provider; same code as the job."""
    from pydantic import ValidationError

    from pictor.config import Settings
    from pictor.engines.catalog import build_engines
    from pictor.errors import InvalidInput
    from pictor.pipelines.generate import EditParams

    raw: dict[str, Any] = {
        "prompt": prompt,
        "provider": provider,
        "model": model,
        "aspect_ratio": aspect_ratio,
        "size": size,
        "resolution": resolution,
        "n": n,
        "seed": seed,
        "negative_prompt": negative_prompt,
        "last_input_is_mask": mask is not None,
    }
    try:
        params = EditParams.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"{field}: {first['msg']}", code="invalid_request") from None
    if mask is not None and not image:
        raise InvalidInput("--mask needs at least one --image", code="invalid_request")
    chosen = build_engines(Settings()).image_provider(params.provider)
    sources = [*(image or []), *([mask] if mask else [])]
    written = asyncio.run(_run(chosen, params, sources, output))
    for path, engine in written:
        typer.echo(f"{path} ({engine})")


async def _run(
    provider: Any, params: Any, sources: list[Path], output: Path
) -> list[tuple[Path, str]]:
    from rich.console import Console

    from pictor.engines.generate.base import ImageProvider
    from pictor.pipelines.generate import check_output, image_request, provider_ready_input

    assert isinstance(provider, ImageProvider)
    inputs = [provider_ready_input(path.read_bytes()) for path in sources]
    mask = inputs.pop() if params.last_input_is_mask else None
    request = image_request(params, inputs, mask)
    with Console(stderr=True).status(f"asking {provider.name}...") as status:

        async def waiting(stage: str) -> None:
            status.update(stage)

        call = provider.edit if inputs else provider.generate
        result = await call(request, waiting=waiting)
    return [
        (_write(check_output(image.data), output, i, len(result.images)), result.engine_id)
        for i, image in enumerate(result.images)
    ]


def _write(checked: Any, output: Path, index: int, count: int) -> Path:
    from pictor.images.decode import decode_image
    from pictor.images.encode import encode_image
    from pictor.pipelines.generate import OUTPUT_LIMITS

    wanted = _SUFFIX_FORMATS.get(output.suffix.lower())
    if wanted is None or output.is_dir():
        output.mkdir(parents=True, exist_ok=True)
        ext = "jpg" if checked.format == "jpeg" else checked.format
        target = output / f"image-{index + 1}.{ext}"
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        target = output if count == 1 else output.with_stem(f"{output.stem}-{index + 1}")
    data = checked.data
    if wanted is not None and wanted != checked.format:
        data = encode_image(decode_image(data, OUTPUT_LIMITS).image, wanted)
    target.write_bytes(data)
    return target
