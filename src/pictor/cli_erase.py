"""``pictor erase`` and ``pictor remove-watermark``: the same pipeline code on local files.

No server and no database: templates are the built-in ones, a file exported from a
server (``--template-file``, from ``GET /v1/watermark-templates/{id}/export``), or one
made on the spot from a capture on black (``--capture``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Any, cast

import typer
from pydantic import ValidationError

from pictor.errors import InvalidInput, PictorError

CORNERS = ("bottom-right", "bottom-left", "top-right", "top-left")


def _validated(model: Any, raw: dict[str, Any]) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"{where}: {first['msg']}", code="invalid_request") from None


def _numbers(text: str, count: int | None, what: str) -> list[float]:
    try:
        values = [float(v) for v in text.replace(" ", ",").split(",") if v]
    except ValueError:
        raise InvalidInput(f"{what} {text!r}: expected numbers", code="invalid_request") from None
    if count is not None and len(values) != count:
        raise InvalidInput(f"{what} {text!r}: expected {count} numbers", code="invalid_request")
    return values


def _settings() -> Any:
    from pictor.config import Settings

    return Settings()


def _limits(settings: Any) -> Any:
    from pictor.images.limits import ImageLimits

    return ImageLimits(
        max_bytes=settings.images.max_bytes,
        min_side=settings.images.min_side,
        max_side=settings.images.max_side,
    )


def erase(
    image: Annotated[Path, typer.Argument(help="The image to clean.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output file.")],
    mask: Annotated[
        Path | None, typer.Option(help="Mask image: white (or transparent) = erase.")
    ] = None,
    rect: Annotated[list[str] | None, typer.Option(help="x,y,w,h to erase (repeatable).")] = None,
    polygon: Annotated[
        list[str] | None, typer.Option(help="x1,y1,x2,y2,x3,y3,... to erase (repeatable).")
    ] = None,
    units: Annotated[str, typer.Option(help="px or percent (for --rect/--polygon).")] = "px",
    engine: Annotated[str, typer.Option(help="opencv or onnx.")] = "opencv",
    method: Annotated[str, typer.Option(help="telea or ns (opencv).")] = "telea",
    dilate: Annotated[int, typer.Option(help="Grow the mask by N px.")] = 0,
    feather: Annotated[int, typer.Option(help="Soft edge width, px.")] = 0,
    resize_mask: Annotated[bool, typer.Option(help="Resize a mask of another size.")] = False,
    threshold: Annotated[
        int, typer.Option(help="Mask brightness (or alpha) cut between keep and erase, 1-255.")
    ] = 128,
) -> None:
    """Erase a region of an image locally (same pipeline as the API's erase jobs)."""
    from pictor.engines.catalog import build_engines
    from pictor.pipelines.erase import EraseParams, erase_image

    regions: list[dict[str, Any]] = []
    for text in rect or []:
        x, y, w, h = _numbers(text, 4, "--rect")
        regions.append({"x": x, "y": y, "w": w, "h": h})
    for text in polygon or []:
        values = _numbers(text, None, "--polygon")
        regions.append({"points": [values[i : i + 2] for i in range(0, len(values) - 1, 2)]})
    if mask is None and not regions:
        raise InvalidInput("give --mask, --rect or --polygon", code="mask_missing")
    fmt = output.suffix.lower().lstrip(".").replace("jpg", "jpeg")
    params = _validated(
        EraseParams,
        {
            "regions": regions or None,
            "units": units,
            "engine": engine,
            "method": method,
            "dilate": dilate,
            "feather": feather,
            "resize_mask": resize_mask,
            "threshold": threshold,
            "output_format": fmt if fmt in ("png", "webp", "jpeg") else "png",
        },
    )
    settings = _settings()
    inpainter = build_engines(settings).inpainter(params.inpainter_name())
    mask_bytes = mask.read_bytes() if mask is not None else None
    erased = erase_image(image.read_bytes(), mask_bytes, params, inpainter, _limits(settings))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(erased.data)
    typer.echo(f"{image} -> {output} ({inpainter.engine_id}, {erased.masked_pixels} px erased)")


def _capture_template(capture: Path, logo_color: str, corner: str) -> Any:
    """A template made on the spot from a capture on black; margins from where the mark
    sits in it, counted from ``corner`` (as the API does when registering one)."""
    import numpy as np

    from pictor.engines.inpaint.templates import (
        Corner,
        MarkTemplate,
        Placement,
        alpha_from_capture,
    )
    from pictor.images.alpha import parse_color
    from pictor.images.decode import decode_image

    if corner not in CORNERS:
        raise InvalidInput(f"--corner must be one of {', '.join(CORNERS)}", code="invalid_request")
    limits = dataclasses.replace(_limits(_settings()), min_side=4)
    pixels = np.asarray(decode_image(capture.read_bytes(), limits).image.convert("RGB"))
    r, g, b, _ = parse_color(logo_color)
    alpha, (x, y, w, h) = alpha_from_capture(pixels, (r, g, b))
    height, width = pixels.shape[:2]
    margins = Placement(
        margin_x=width - x - w if corner.endswith("right") else x,
        margin_y=height - y - h if corner.startswith("bottom") else y,
    )
    return MarkTemplate(capture.stem, alpha, (r, g, b), cast(Corner, corner), (margins,))


def _local_template(
    name: str | None, capture: Path | None, template_file: Path | None, logo_color: str, corner: str
) -> Any:
    from pictor.engines.inpaint.templates import builtin_templates
    from pictor.watermarks.errors import TemplateNotFound
    from pictor.watermarks.export import mark_from_file

    if sum(v is not None for v in (name, capture, template_file)) > 1:
        raise InvalidInput(
            "give one of --template, --template-file or --capture", code="invalid_request"
        )
    if template_file is not None:
        return mark_from_file(template_file.read_bytes())
    if capture is not None:
        return _capture_template(capture, logo_color, corner)
    known = {t.name: t for t in builtin_templates()}
    if name not in known:
        raise TemplateNotFound(
            f"no built-in template {name!r}; known: {', '.join(sorted(known))} (a template "
            "of yours on a server: GET /v1/watermark-templates/{id}/export, then "
            "--template-file)"
        )
    return known[name]


def remove_watermark(
    inputs: Annotated[list[Path], typer.Argument(help="Image files or folders.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output file or folder.")],
    template: Annotated[str | None, typer.Option(help="Built-in template name.")] = None,
    template_file: Annotated[
        Path | None,
        typer.Option(help="A template file from GET /v1/watermark-templates/{id}/export."),
    ] = None,
    capture: Annotated[
        Path | None, typer.Option(help="A capture of the mark on black, as the template.")
    ] = None,
    logo_color: Annotated[str, typer.Option(help="Colour of the mark in --capture.")] = "#ffffff",
    region: Annotated[
        str | None, typer.Option(help="Corner box W,H[,MX,MY], e.g. 20,8 (see --units).")
    ] = None,
    corner: Annotated[
        str, typer.Option(help="Corner of --region, or of the mark in --capture.")
    ] = "bottom-right",
    units: Annotated[str, typer.Option(help="percent or px (for --region).")] = "percent",
    threshold: Annotated[float, typer.Option(help="Detection score needed (0-1).")] = 0.5,
    method: Annotated[str, typer.Option(help="telea or ns (opencv).")] = "telea",
    engine: Annotated[str, typer.Option(help="opencv or onnx.")] = "opencv",
) -> None:
    """Remove watermarks locally: a known template (exact) or a fixed corner region."""
    from pictor.cli_local import collect_inputs
    from pictor.engines.catalog import build_engines
    from pictor.pipelines.remove_watermark import RemoveWatermarkParams

    raw: dict[str, Any] = {"threshold": threshold, "method": method, "engine": engine}
    mark = None
    if region is not None:
        values = [*_numbers(region, None, "--region"), 0.0, 0.0]
        w, h, mx, my = values[:4]
        raw["region"] = {
            "corner": corner,
            "width": w,
            "height": h,
            "margin_x": mx,
            "margin_y": my,
            "units": units,
        }
    if template is not None or capture is not None or template_file is not None:
        mark = _local_template(template, capture, template_file, logo_color, corner)
        raw["template"] = mark.name
    params = _validated(RemoveWatermarkParams, raw)
    settings = _settings()
    inpainter = build_engines(settings).inpainter(params.inpainter_name())
    failures = _run_files(collect_inputs(inputs), output, params, mark, inpainter, settings)
    raise typer.Exit(code=1 if failures else 0)


def _run_files(
    files: list[Path], output: Path, params: Any, mark: Any, inpainter: Any, settings: Any
) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from pictor.cli_local import output_path
    from pictor.pipelines.remove_watermark import clean_image

    many = len(files) > 1
    failures = 0
    limits = _limits(settings)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), disable=not many
    ) as progress:
        task = progress.add_task("removing watermarks", total=len(files))
        for source in files:
            target = output_path(source, output, many, params.output_format)
            try:
                cleaned = clean_image(source.read_bytes(), params, mark, inpainter, limits)
            except PictorError as exc:
                failures += 1
                typer.echo(f"{source}: {exc.message} ({exc.code})", err=True)
            else:
                target.write_bytes(cleaned.data)
                found = {True: "found", False: "not found", None: "region"}[cleaned.found]
                if not many:
                    typer.echo(f"{source} -> {target} ({cleaned.engine}, {found})")
            progress.advance(task)
    return failures
