"""Job kind ``logo``: a procedural logo studio (no input image, no model weights)."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pictor.credits.settings import DEFAULT_PRICES
from pictor.engines.catalog import Engines
from pictor.engines.logo.base import LogoBrief
from pictor.engines.logo.brandkit import RenderedVariant, brand_kit, make_variant
from pictor.engines.logo.colors import NotAColor, parse_color, to_hex
from pictor.engines.logo.designer import ProceduralLogoDesigner
from pictor.engines.logo.industry import detect_industry
from pictor.engines.logo.styles import STYLES, normalize_style
from pictor.jobs.context import JobContext
from pictor.pipelines.spec import PipelineSpec

MAX_VARIANTS = 24


class LogoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    business_name: str = Field(..., min_length=1, max_length=60, examples=["Golden Crust"])
    business_type: str = Field("", max_length=100, description="Industry, e.g. bakery.")
    description: str = Field("", max_length=1000, description="Optional; helps find the industry.")
    style: str = Field(
        "modern",
        description=f"One of {', '.join(STYLES)}; synonyms such as clean or luxury are accepted.",
    )
    colors: list[str] = Field(
        default_factory=list, max_length=5, description="Preferred colours, hex or CSS names."
    )
    variants: int = Field(6, ge=1, le=MAX_VARIANTS)
    seed: int | None = Field(None, ge=0, le=2**53, description="Same seed, same logos.")
    engine: str = Field("procedural", description="procedural (no weights).")

    @field_validator("business_name")
    @classmethod
    def _name(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("the business name must not be blank")
        return value

    @field_validator("style")
    @classmethod
    def _style(cls, value: str) -> str:
        style = normalize_style(value)
        if style is None:
            raise ValueError(f"unknown style {value!r}; valid styles: {', '.join(STYLES)}")
        return style

    @field_validator("colors")
    @classmethod
    def _colors(cls, values: list[str]) -> list[str]:
        try:
            return [to_hex(parse_color(v)) for v in values]
        except NotAColor as exc:
            raise ValueError(str(exc)) from None

    def brief(self) -> LogoBrief:
        return LogoBrief(
            business_name=self.business_name,
            business_type=self.business_type,
            description=self.description,
            style=self.style,
            colors=tuple(self.colors),
            seed=self.seed if self.seed is not None else self.default_seed(),
        )

    def default_seed(self) -> int:
        """Without a seed the same brief still gives the same logos."""
        text = repr((self.business_name, self.business_type, self.style, self.colors))
        return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")


def check(params: LogoParams, engines: Engines) -> None:
    engines.logo_designer(params.engine)


async def _save_variant(ctx: JobContext, rendered: RenderedVariant, engine: str) -> dict[str, Any]:
    design = rendered.design
    number = design.index + 1
    svg_id = await ctx.save_output(
        design.svg.encode(),
        content_type="image/svg+xml",
        ext="svg",
        engine=engine,
        meta={"variant": number, "format": "svg"},
    )
    pngs: dict[str, str] = {}
    for png in rendered.pngs:
        label = png.name.removeprefix("logo-")
        pngs[label] = await ctx.save_output(
            png.data,
            content_type="image/png",
            ext="png",
            width=png.width,
            height=png.height,
            engine=engine,
            meta={"variant": number, "format": "png", "background": png.background or "none"},
        )
    return {**design.describe(), "variant": number, "svg": svg_id, "png": pngs}


async def run(ctx: JobContext, params: LogoParams) -> None:
    designer = ctx.engines.logo_designer(params.engine)
    brief = params.brief()
    count = params.variants
    ctx.engine = designer.engine_id
    industry = detect_industry(brief.business_type, brief.description, brief.business_name)
    ctx.result.update(
        {
            "engine": designer.engine_id,
            "seed": brief.seed,
            "style": brief.style,
            "industry": industry.name,
            "variants": [],
        }
    )
    await ctx.progress(2, f"designing {count} variants")
    # All variants go to the CPU pool at once (it runs as many as it has processes);
    # they are collected in order so results and progress read variant 1, 2, 3...
    tasks = [
        asyncio.ensure_future(ctx.run_cpu(make_variant, designer, brief, i)) for i in range(count)
    ]
    made: list[RenderedVariant] = []
    try:
        for i, task in enumerate(tasks):
            rendered = await task
            made.append(rendered)
            ctx.result["variants"].append(await _save_variant(ctx, rendered, designer.engine_id))
            await ctx.progress(
                2 + 88 * (i + 1) // count, f"variant {i + 1}/{count}", share_result=True
            )
    finally:
        for task in tasks:
            task.cancel()
    await ctx.progress(92, "brand kit")
    kit = await ctx.run_cpu(brand_kit, brief, made, designer.engine_id)
    ctx.result["brand_kit"] = await ctx.save_output(
        kit,
        content_type="application/zip",
        ext="zip",
        engine=designer.engine_id,
        meta={"format": "brand_kit"},
    )


def design_locally(params: LogoParams) -> tuple[list[RenderedVariant], bytes]:
    """The same work without a job, for the CLI and benchmarks."""
    designer = ProceduralLogoDesigner()
    brief = params.brief()
    made = [make_variant(designer, brief, i) for i in range(params.variants)]
    return made, brand_kit(brief, made, designer.engine_id)


SPEC = PipelineSpec(
    kind="logo",
    title="Logo studio",
    params_model=LogoParams,
    run=run,
    check=check,
    cost=DEFAULT_PRICES["logo"],
    min_inputs=0,
    max_inputs=0,
    timeout_s=120.0,
)
