"""Job kind ``remove_background``: a transparent PNG (or WebP) of the foreground."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, field_validator

from pictor.credits.settings import DEFAULT_PRICES
from pictor.engines.catalog import Engines
from pictor.engines.segment.base import Segmenter
from pictor.images.alpha import (
    alpha_to_mask_image,
    apply_alpha,
    composite_on_color,
    parse_color,
    trim_to_content,
)
from pictor.images.decode import decode_image
from pictor.images.encode import content_type_for, encode_image
from pictor.images.errors import InvalidColor
from pictor.images.limits import ImageLimits
from pictor.jobs.context import JobContext
from pictor.pipelines.spec import PipelineSpec


class RemoveBackgroundParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    only_mask: bool = Field(False, description="Return the alpha mask as a greyscale image.")
    background_color: str | None = Field(
        None,
        description="Fill the background with this colour (#RRGGBB[AA] or r,g,b[,a]).",
        examples=["#ffffff", "0,0,0,128"],
    )
    refine_edges: bool = Field(True, description="Refine the mask against the full image.")
    trim: bool = Field(False, description="Crop to the subject.")
    padding: int = Field(5, ge=0, le=1000, description="Transparent margin kept by trim, in px.")
    output_format: Literal["png", "webp"] = "png"
    engine: str = Field("classical", description="classical (no weights) or onnx.")

    @field_validator("background_color")
    @classmethod
    def _color(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_color(value)
            except InvalidColor as exc:
                # A ValueError lets pydantic name the field; InvalidColor would escape bare.
                raise ValueError(exc.message) from None
        return value


@dataclass(frozen=True)
class Cutout:
    data: bytes
    width: int
    height: int
    source_width: int
    source_height: int
    warnings: tuple[str, ...]


def cut_out(
    source: bytes, params: RemoveBackgroundParams, segmenter: Segmenter, limits: ImageLimits
) -> Cutout:
    """Decode, segment, compose and encode: the CPU-heavy part, run in a child process."""
    decoded = decode_image(source, limits)
    rgb, source_alpha = _pixels(decoded.image)
    width, height, warnings = decoded.width, decoded.height, decoded.warnings
    # Pillow keeps RGB at 4 bytes per pixel (46 MB at 12 MP): let it go before segmenting.
    del decoded
    alpha = segmenter.predict_alpha(rgb, refine_edges=params.refine_edges)
    if source_alpha is not None:
        # A source that is already transparent keeps its transparent parts.
        kept = source_alpha.astype(np.float32)
        kept /= np.float32(255.0)
        alpha = np.minimum(alpha, kept, out=kept)
        del kept, source_alpha
    out: Any
    if params.only_mask:
        out = alpha_to_mask_image(alpha)
    else:
        out = apply_alpha(rgb, alpha)
        if params.trim:
            out = trim_to_content(out, params.padding)
        if params.background_color is not None:
            out = composite_on_color(out, parse_color(params.background_color))
    del rgb, alpha
    data = encode_image(out, params.output_format)
    return Cutout(
        data=data,
        width=int(out.shape[1]),
        height=int(out.shape[0]),
        source_width=width,
        source_height=height,
        warnings=warnings,
    )


def _pixels(image: Image.Image) -> tuple[NDArray[np.uint8], NDArray[np.uint8] | None]:
    """The image as an H x W x 3 array, and its alpha channel when it has one.

    Read straight from the decoded image: ``convert("RGB")`` would first make a
    second full-size Pillow copy.
    """
    if image.mode == "RGB":
        return np.asarray(image), None
    if image.mode != "RGBA":
        return np.asarray(image.convert("RGB")), None
    rgba = np.asarray(image)
    return np.ascontiguousarray(rgba[..., :3]), np.ascontiguousarray(rgba[..., 3])


def check(params: RemoveBackgroundParams, engines: Engines) -> None:
    engines.segmenter(params.engine)


async def run(ctx: JobContext, params: RemoveBackgroundParams) -> None:
    segmenter = ctx.engines.segmenter(params.engine)
    await ctx.progress(5, "loading image")
    source = await ctx.input_bytes(0)
    await ctx.progress(15, f"segmenting ({segmenter.engine_id})")
    cutout = await ctx.run_cpu(cut_out, source, params, segmenter, ctx.image_limits)
    await ctx.progress(90, "saving")
    ctx.engine = segmenter.engine_id
    artifact_id = await ctx.save_output(
        cutout.data,
        content_type=content_type_for(params.output_format),
        ext=params.output_format,
        width=cutout.width,
        height=cutout.height,
        engine=segmenter.engine_id,
        meta={"only_mask": params.only_mask, "trimmed": params.trim},
    )
    ctx.result.update(
        {
            "output": artifact_id,
            "engine": segmenter.engine_id,
            "width": cutout.width,
            "height": cutout.height,
            "warnings": list(cutout.warnings),
        }
    )


SPEC = PipelineSpec(
    kind="remove_background",
    title="Remove background",
    params_model=RemoveBackgroundParams,
    run=run,
    check=check,
    cost=DEFAULT_PRICES["remove_background"],
    timeout_s=120.0,
)
