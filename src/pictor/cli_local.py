"""Pipelines run on local files by the CLI: the same code as jobs, no server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pictor.config import Settings
from pictor.engines.catalog import build_engines
from pictor.errors import InvalidInput, PictorError
from pictor.images.limits import ImageLimits
from pictor.pipelines.remove_background import RemoveBackgroundParams, cut_out

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp"}


def collect_inputs(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES))
        elif path.is_file():
            files.append(path)
        else:
            raise InvalidInput(f"no such file or folder: {path}", code="input_missing")
    return files


def output_path(source: Path, output: Path, many: bool, fmt: str) -> Path:
    if many or output.is_dir() or not output.suffix:
        output.mkdir(parents=True, exist_ok=True)
        return output / f"{source.stem}.{fmt}"
    output.parent.mkdir(parents=True, exist_ok=True)
    return output


def remove_backgrounds(
    settings: Settings, inputs: list[Path], output: Path, raw_params: dict[str, Any]
) -> int:
    """Process every input; returns how many failed (each failure is reported)."""
    try:
        params = RemoveBackgroundParams.model_validate(raw_params)
    except ValidationError as exc:
        raise InvalidInput(str(exc.errors()[0]["msg"]), code="invalid_request") from None
    segmenter = build_engines(settings).segmenter(params.engine)
    limits = ImageLimits(
        max_bytes=settings.images.max_bytes,
        min_side=settings.images.min_side,
        max_side=settings.images.max_side,
    )
    files = collect_inputs(inputs)
    many = len(files) > 1
    failures = 0
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=not many,
    ) as progress:
        task = progress.add_task("removing backgrounds", total=len(files))
        for source in files:
            target = output_path(source, output, many, params.output_format)
            try:
                cutout = cut_out(source.read_bytes(), params, segmenter, limits)
            except PictorError as exc:
                failures += 1
                typer.echo(f"{source}: {exc.message} ({exc.code})", err=True)
            else:
                target.write_bytes(cutout.data)
                if not many:
                    typer.echo(f"{source} -> {target} ({segmenter.engine_id})")
            progress.advance(task)
    return failures
