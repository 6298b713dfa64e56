"""Job kind ``erase``: fill a region of an image, given as a mask image or as shapes.

Input 0 is the image; input 1, if given, is a mask image (white = remove; when the mask
has transparency, transparent = remove). ``regions`` (rectangles and polygons) may be
given instead of, or as well as, a mask image: they are added to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from pictor.credits.settings import DEFAULT_PRICES
from pictor.engines.catalog import Engines
from pictor.engines.inpaint.base import Inpainter, Mask
from pictor.engines.inpaint.mask import (
    EmptyMask,
    fill_with_feather,
    fit_mask,
    grow,
    mask_from_image,
    polygon_area,
    rasterize,
    require_pixels,
)
from pictor.errors import InvalidInput
from pictor.images.decode import decode_image
from pictor.images.encode import content_type_for, encode_image
from pictor.images.limits import ImageLimits
from pictor.jobs.context import JobContext
from pictor.pipelines.spec import PipelineSpec

Units = Literal["px", "percent"]


class RectRegion(BaseModel):
    """A rectangle: top-left corner ``x``, ``y`` and size ``w`` x ``h``."""

    model_config = ConfigDict(extra="forbid")

    x: float = Field(..., ge=-100_000, le=100_000)
    y: float = Field(..., ge=-100_000, le=100_000)
    w: float = Field(..., gt=0, le=100_000)
    h: float = Field(..., gt=0, le=100_000)


class PolygonRegion(BaseModel):
    """A polygon: at least 3 ``[x, y]`` points, closed automatically."""

    model_config = ConfigDict(extra="forbid")

    points: list[tuple[float, float]] = Field(..., min_length=3, max_length=1000)


def _region_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "polygon" if "points" in value else "rect"
    return "polygon" if isinstance(value, PolygonRegion) else "rect"


Region = Annotated[
    Annotated[RectRegion, Tag("rect")] | Annotated[PolygonRegion, Tag("polygon")],
    Discriminator(_region_kind),
]


class EngineChoice(BaseModel):
    engine: Literal["opencv", "onnx"] = Field(
        "opencv", description="opencv (no weights) or onnx (PICTOR_INPAINT_MODEL)."
    )
    method: Literal["telea", "ns"] = Field(
        "telea", description="OpenCV method: telea (fast marching) or ns (Navier-Stokes)."
    )

    def inpainter_name(self) -> str:
        return "onnx" if self.engine == "onnx" else f"opencv-{self.method}"


class EraseParams(EngineChoice):
    model_config = ConfigDict(extra="forbid")

    regions: list[Region] | None = Field(
        None,
        max_length=500,
        description="Rectangles {x, y, w, h} and polygons {points: [[x, y], ...]} to erase.",
        examples=[[{"x": 10, "y": 20, "w": 100, "h": 40}, {"points": [[0, 0], [50, 0], [25, 40]]}]],
    )
    units: Units = Field("px", description="Units of regions: px, or percent of the image side.")
    dilate: int = Field(0, ge=0, le=200, description="Grow the mask by this many px.")
    feather: int = Field(0, ge=0, le=100, description="Soft transition width around the fill, px.")
    threshold: int = Field(
        128, ge=1, le=255, description="Mask image: brightness (or alpha) cut between keep/remove."
    )
    resize_mask: bool = Field(
        False, description="Resize a mask image of another size (nearest neighbour)."
    )
    output_format: Literal["png", "webp", "jpeg"] = "png"


@dataclass(frozen=True)
class Erased:
    data: bytes
    width: int
    height: int
    masked_pixels: int
    warnings: tuple[str, ...]


def regions_mask(regions: list[Any], units: Units, width: int, height: int) -> Mask:
    """Rasterize ``regions`` (px or percent of the image's sides) at the image's size."""
    sx, sy = (width / 100.0, height / 100.0) if units == "percent" else (1.0, 1.0)
    rects = [(r.x * sx, r.y * sy, r.w * sx, r.h * sy) for r in regions if isinstance(r, RectRegion)]
    polygons = [
        [(px * sx, py * sy) for px, py in r.points] for r in regions if isinstance(r, PolygonRegion)
    ]
    return rasterize(width, height, rects, polygons)


def build_mask(
    mask_source: bytes | None, params: EraseParams, width: int, height: int, limits: ImageLimits
) -> Mask:
    mask = np.zeros((height, width), np.uint8)
    if mask_source is not None:
        decoded = decode_image(mask_source, limits)
        mode = "RGBA" if decoded.has_alpha else "RGB"
        pixels = np.asarray(decoded.image.convert(mode))
        mask = fit_mask(
            mask_from_image(pixels, params.threshold), width, height, resize=params.resize_mask
        )
    if params.regions:
        mask = np.maximum(mask, regions_mask(params.regions, params.units, width, height))
    return grow(mask, params.dilate)


def erase_image(
    source: bytes,
    mask_source: bytes | None,
    params: EraseParams,
    inpainter: Inpainter,
    limits: ImageLimits,
) -> Erased:
    """Decode, build the mask, fill, encode: the CPU-heavy part, run in a child process."""
    decoded = decode_image(source, limits)
    rgb = np.asarray(decoded.image.convert("RGB"))
    height, width = rgb.shape[:2]
    mask = build_mask(mask_source, params, width, height, limits)
    require_pixels(mask)
    filled = fill_with_feather(rgb, mask, params.feather, inpainter.inpaint)
    out: Any = filled
    if decoded.has_alpha:
        # Transparency is kept as it was; only colours are filled.
        out = np.dstack([filled, np.asarray(decoded.image.getchannel("A"))])
    return Erased(
        data=encode_image(out, params.output_format),
        width=width,
        height=height,
        masked_pixels=int(np.count_nonzero(mask)),
        warnings=decoded.warnings,
    )


def check(params: EraseParams, engines: Engines) -> None:
    engines.inpainter(params.inpainter_name())
    if params.regions is None:
        return
    areas = [
        r.w * r.h if isinstance(r, RectRegion) else polygon_area(r.points) for r in params.regions
    ]
    if not any(area > 0 for area in areas):
        raise EmptyMask("the regions cover no area; nothing to erase", field="params.regions")


def check_inputs(params: EraseParams, count: int) -> None:
    """Something must say what to erase: a mask image (second input) or regions."""
    if count < 2 and not params.regions:
        raise InvalidInput(
            "give a mask image as the second input, or params.regions",
            code="mask_missing",
            field="params.regions",
        )


async def run(ctx: JobContext, params: EraseParams) -> None:
    inpainter = ctx.engines.inpainter(params.inpainter_name())
    check_inputs(params, len(ctx.inputs))
    await ctx.progress(5, "loading image")
    source = await ctx.input_bytes(0)
    mask_source = await ctx.input_bytes(1) if len(ctx.inputs) > 1 else None
    await ctx.progress(15, f"erasing ({inpainter.engine_id})")
    erased = await ctx.run_cpu(
        erase_image, source, mask_source, params, inpainter, ctx.image_limits
    )
    await ctx.progress(90, "saving")
    ctx.engine = inpainter.engine_id
    artifact_id = await ctx.save_output(
        erased.data,
        content_type=content_type_for(params.output_format),
        ext=params.output_format,
        width=erased.width,
        height=erased.height,
        engine=inpainter.engine_id,
        meta={"masked_pixels": erased.masked_pixels},
    )
    ctx.result.update(
        {
            "output": artifact_id,
            "engine": inpainter.engine_id,
            "width": erased.width,
            "height": erased.height,
            "masked_pixels": erased.masked_pixels,
            "warnings": list(erased.warnings),
        }
    )


SPEC = PipelineSpec(
    kind="erase",
    title="Erase a region (inpainting)",
    params_model=EraseParams,
    run=run,
    check=check,
    check_inputs=check_inputs,
    cost=DEFAULT_PRICES["erase"],
    min_inputs=1,
    max_inputs=2,
    timeout_s=120.0,
    # A bad mask is never retried whatever this says; a lost worker is.
    retryable=True,
)
