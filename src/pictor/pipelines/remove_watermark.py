"""Job kind ``remove_watermark``: a known template (exact), or a fixed region (bulk).

- ``template``: the mark is looked for around where the template's rules put it; if
  found, its alpha blending is undone exactly and only the pixels that cannot be
  recovered (opaque or saturated) are inpainted. If not found, the image comes back
  with the same pixels and ``watermark_found: false``.
- ``region``: the same corner box (percent or px) is inpainted on every input, the
  bulk case; nothing is detected, so ``watermark_found`` is null.

Every input (up to 50) gets its own output, in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.engine import Connection

from pictor.credits.settings import DEFAULT_PRICES
from pictor.engines.catalog import Engines
from pictor.engines.inpaint.base import Inpainter, RGBImage
from pictor.engines.inpaint.mask import grow, rasterize
from pictor.engines.inpaint.reverse_alpha import DEFAULT_THRESHOLD, locate, restore
from pictor.engines.inpaint.templates import Corner, MarkTemplate
from pictor.images.decode import decode_image
from pictor.images.encode import content_type_for, encode_image
from pictor.images.limits import ImageLimits
from pictor.jobs.context import JobContext
from pictor.pipelines.erase import EngineChoice
from pictor.pipelines.spec import PipelineSpec
from pictor.watermarks.errors import TemplateNotFound
from pictor.watermarks.repository import visible_template_exists
from pictor.watermarks.service import TemplateService, to_mark

MAX_IMAGES = 50


class FixedRegion(BaseModel):
    """A box in a corner, e.g. the bottom-right 20 % x 8 %."""

    model_config = ConfigDict(extra="forbid")

    corner: Corner = "bottom-right"
    width: float = Field(..., gt=0, le=100_000)
    height: float = Field(..., gt=0, le=100_000)
    margin_x: float = Field(0, ge=0, le=100_000)
    margin_y: float = Field(0, ge=0, le=100_000)
    units: Literal["px", "percent"] = "percent"

    def box(self, width: int, height: int) -> tuple[float, float, float, float]:
        sx, sy = (width / 100.0, height / 100.0) if self.units == "percent" else (1.0, 1.0)
        w, h = self.width * sx, self.height * sy
        mx, my = self.margin_x * sx, self.margin_y * sy
        x = width - mx - w if self.corner.endswith("right") else mx
        y = height - my - h if self.corner.startswith("bottom") else my
        return x, y, w, h


class RemoveWatermarkParams(EngineChoice):
    model_config = ConfigDict(extra="forbid")

    template: str | None = Field(
        None,
        min_length=1,
        max_length=80,
        description="A template's name or id (yours or built-in, e.g. sample-star).",
    )
    region: FixedRegion | None = Field(None, description="Inpaint this corner box instead.")
    threshold: float = Field(
        DEFAULT_THRESHOLD, ge=0.05, le=1.0, description="Detection score needed (0-1)."
    )
    search: int | None = Field(
        None, ge=0, le=2000, description="px searched around the expected place of the mark."
    )
    dilate: int = Field(0, ge=0, le=100, description="Grow a region (or residue) by N px.")
    output_format: Literal["png", "webp", "jpeg"] = "png"

    @model_validator(mode="after")
    def _one_way(self) -> RemoveWatermarkParams:
        if (self.template is None) == (self.region is None):
            raise ValueError("give exactly one of template or region")
        return self


@dataclass(frozen=True)
class Cleaned:
    data: bytes
    width: int
    height: int
    found: bool | None
    score: float | None
    box: dict[str, int] | None
    engine: str
    residue_pixels: int


def clean_image(
    source: bytes,
    params: RemoveWatermarkParams,
    mark: MarkTemplate | None,
    inpainter: Inpainter,
    limits: ImageLimits,
) -> Cleaned:
    """Decode, find and remove (or inpaint the region), encode: run in a child process."""
    decoded = decode_image(source, limits)
    rgb = np.asarray(decoded.image.convert("RGB"))
    height, width = rgb.shape[:2]
    found: bool | None = None
    score: float | None = None
    box: dict[str, int] | None = None
    residue_pixels = 0
    out: RGBImage = rgb
    if mark is not None:
        hit = locate(rgb, mark, threshold=params.threshold, search=params.search)
        found, score, engine = hit.found, round(hit.score, 4), f"reverse-alpha:{mark.name}"
        if hit.found:
            box = hit.box()
            restored = restore(rgb, mark, hit)
            out = restored.image
            residue = grow(restored.residue, params.dilate)
            residue_pixels = int(np.count_nonzero(residue))
            if residue_pixels:
                out = inpainter.inpaint(out, residue)
                engine = f"{engine}+{inpainter.engine_id}"
    else:
        assert params.region is not None
        x, y, w, h = params.region.box(width, height)
        mask = grow(rasterize(width, height, [(x, y, w, h)]), params.dilate)
        box = {"x": round(x), "y": round(y), "w": round(w), "h": round(h)}
        engine = inpainter.engine_id
        if mask.any():
            out = inpainter.inpaint(rgb, mask)
    pixels: Any = out
    if decoded.has_alpha:
        pixels = np.dstack([out, np.asarray(decoded.image.getchannel("A"))])
    return Cleaned(
        data=encode_image(pixels, params.output_format),
        width=width,
        height=height,
        found=found,
        score=score,
        box=box,
        engine=engine,
        residue_pixels=residue_pixels,
    )


def check(params: RemoveWatermarkParams, engines: Engines) -> None:
    engines.inpainter(params.inpainter_name())


def check_owned(params: RemoveWatermarkParams, owner_id: str, conn: Connection) -> None:
    """An unknown template is refused at submit, not found later by the job."""
    if params.template and not visible_template_exists(conn, owner_id, params.template):
        raise TemplateNotFound(
            f"no watermark template {params.template!r}", field="params.template"
        )


async def _load_mark(ctx: JobContext, ref: str) -> MarkTemplate:
    async with ctx.db.read_session() as session:
        return to_mark(await TemplateService(session).find(ctx.owner_id, ref))


async def run(ctx: JobContext, params: RemoveWatermarkParams) -> None:
    inpainter = ctx.engines.inpainter(params.inpainter_name())
    mark = await _load_mark(ctx, params.template) if params.template else None
    count = len(ctx.inputs)
    images: list[dict[str, Any]] = []
    for index in range(count):
        await ctx.progress(5 + 90 * index // count, f"image {index + 1} of {count}")
        source = await ctx.input_bytes(index)
        cleaned = await ctx.run_cpu(clean_image, source, params, mark, inpainter, ctx.image_limits)
        artifact_id = await ctx.save_output(
            cleaned.data,
            content_type=content_type_for(params.output_format),
            ext=params.output_format,
            width=cleaned.width,
            height=cleaned.height,
            engine=cleaned.engine,
            meta={"watermark_found": cleaned.found, "input_index": index},
        )
        images.append(
            {
                "input": ctx.inputs[index].get("artifact_id"),
                "output": artifact_id,
                "watermark_found": cleaned.found,
                "score": cleaned.score,
                "box": cleaned.box,
                "engine": cleaned.engine,
                "residue_pixels": cleaned.residue_pixels,
            }
        )
    await ctx.progress(97, "saving")
    engines = sorted({item["engine"] for item in images})
    ctx.engine = ",".join(engines)
    first = images[0]
    ctx.result.update(
        {
            "output": first["output"],
            # One image: its answer; many: whether any had the mark; region mode: null.
            "watermark_found": (
                None if mark is None else any(item["watermark_found"] for item in images)
            ),
            "found_count": sum(1 for item in images if item["watermark_found"]),
            "mode": "template" if mark is not None else "region",
            "template": mark.name if mark is not None else None,
            "images": images,
        }
    )


SPEC = PipelineSpec(
    kind="remove_watermark",
    title="Remove a watermark (known template or fixed region)",
    params_model=RemoveWatermarkParams,
    run=run,
    check=check,
    check_owned=check_owned,
    cost=DEFAULT_PRICES["remove_watermark"],
    min_inputs=1,
    max_inputs=MAX_IMAGES,
    timeout_s=600.0,
)
