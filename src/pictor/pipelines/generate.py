"""Job kinds ``generate`` (text to image) and ``edit`` (images + text to image).

Both go to a cloud provider (Gemini, Replicate, an OpenAI-compatible API); outputs are
copied into our storage at once, validated as images, and labelled with the engine
that made them (``gemini:gemini-2.5-flash-image``).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pictor.credits.settings import DEFAULT_PRICES
from pictor.engines.catalog import Engines
from pictor.engines.generate.base import ImageRequest, InputImage
from pictor.engines.generate.errors import ProviderError
from pictor.errors import InvalidImage, InvalidInput
from pictor.images.decode import decode_image, sniff_format
from pictor.images.encode import content_type_for, encode_image
from pictor.images.limits import HARD_MAX_SIDE, ImageLimits
from pictor.jobs.context import JobContext
from pictor.pipelines.spec import PipelineSpec

AspectRatio = Literal["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"]
_SIZE = re.compile(r"^(\d{2,5})x(\d{2,5})$")
#: Provider outputs may be bigger than user uploads (4K at 21:9), never unbounded.
OUTPUT_LIMITS = ImageLimits(
    max_bytes=50_000_000, min_side=16, max_side=HARD_MAX_SIDE, max_pixels=40_000_000
)


class GenerateParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(..., min_length=1, max_length=4000, description="What to make.")
    negative_prompt: str | None = Field(None, max_length=4000, description="What to avoid.")
    provider: Literal["gemini", "openai", "replicate"] | None = Field(
        None, description="Default: PICTOR_PROVIDERS_DEFAULT, else the first configured."
    )
    model: str | None = Field(None, max_length=200, examples=["gemini-2.5-flash-image"])
    aspect_ratio: AspectRatio | None = None
    size: str | None = Field(None, description="WIDTHxHEIGHT, instead of aspect_ratio.")
    resolution: Literal["1K", "2K", "4K"] | None = None
    n: int = Field(1, ge=1, le=4, description="Images to make.")
    seed: int | None = Field(None, ge=0, le=2**32 - 1)
    provider_options: dict[str, Any] = Field(
        default_factory=dict, description="Passed to the provider as they are."
    )

    @field_validator("prompt")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the prompt is blank")
        return value

    @field_validator("size")
    @classmethod
    def _size(cls, value: str | None) -> str | None:
        if value is None:
            return None
        match = _SIZE.match(value)
        if match is None or not all(64 <= int(side) <= HARD_MAX_SIDE for side in match.groups()):
            raise ValueError(f"size is WIDTHxHEIGHT, each side 64 to {HARD_MAX_SIDE}")
        return value

    @model_validator(mode="after")
    def _one_shape(self) -> GenerateParams:
        if self.size is not None and self.aspect_ratio is not None:
            raise ValueError("give size or aspect_ratio, not both")
        return self

    def size_tuple(self) -> tuple[int, int] | None:
        if self.size is None:
            return None
        width, height = self.size.split("x")
        return int(width), int(height)


class EditParams(GenerateParams):
    last_input_is_mask: bool = Field(
        False, description="The last input is a mask: white (or transparent) marks what to change."
    )


@dataclass(frozen=True)
class CheckedOutput:
    data: bytes
    format: str
    width: int
    height: int


def check_output(data: bytes) -> CheckedOutput:
    """Decode a provider's output under OUTPUT_LIMITS; anything but PNG/JPEG/WebP → PNG."""
    decoded = decode_image(data, OUTPUT_LIMITS)
    fmt: str = decoded.format
    if fmt not in ("png", "jpeg", "webp"):
        data, fmt = encode_image(decoded.image, "png"), "png"
    return CheckedOutput(data, fmt, decoded.width, decoded.height)


def provider_ready_input(data: bytes) -> InputImage:
    """An upload as providers take it: PNG, JPEG or WebP as it is; BMP re-encoded as PNG."""
    fmt = sniff_format(data[:32])
    if fmt in ("png", "jpeg", "webp"):
        return InputImage(data, content_type_for(fmt))
    decoded = decode_image(data, OUTPUT_LIMITS)
    return InputImage(encode_image(decoded.image, "png"), "image/png")


def check(params: GenerateParams, engines: Engines) -> None:
    engines.image_provider(params.provider)


async def _inputs(
    ctx: JobContext, params: EditParams
) -> tuple[list[InputImage], InputImage | None]:
    count = len(ctx.inputs)
    if params.last_input_is_mask and count < 2:
        raise InvalidInput(
            "last_input_is_mask needs at least one image before the mask",
            field="params.last_input_is_mask",
        )
    images = []
    for index in range(count):
        data = await ctx.input_bytes(index)
        images.append(await asyncio.to_thread(provider_ready_input, data))
    mask = images.pop() if params.last_input_is_mask else None
    return images, mask


def image_request(
    params: GenerateParams, images: list[InputImage], mask: InputImage | None
) -> ImageRequest:
    return ImageRequest(
        prompt=params.prompt,
        model=params.model,
        negative_prompt=params.negative_prompt,
        aspect_ratio=params.aspect_ratio,
        size=params.size_tuple(),
        resolution=params.resolution,
        n=params.n,
        seed=params.seed,
        options=dict(params.provider_options),
        images=tuple(images),
        mask=mask,
    )


async def _run(ctx: JobContext, params: GenerateParams, edit: bool) -> None:
    provider = ctx.engines.image_provider(params.provider)
    await ctx.progress(5, "preparing")
    images, mask = await _inputs(ctx, params) if isinstance(params, EditParams) else ([], None)
    request = image_request(params, images, mask)

    async def waiting(stage: str) -> None:
        await ctx.progress(40, stage)  # also where a cancel request stops us

    await ctx.progress(10, f"asking {provider.name}")
    call = provider.edit if edit else provider.generate
    result = await call(request, waiting=waiting)
    await ctx.progress(85, "checking and storing outputs")
    ctx.engine = result.engine_id
    made = []
    for image in result.images:
        try:
            checked = await asyncio.to_thread(check_output, image.data)
        except InvalidImage as exc:
            raise ProviderError(
                f"{provider.name} returned a file that is not a usable image: {exc.message}",
                details={"provider": provider.name, "cause": exc.code},
            ) from exc
        artifact_id = await ctx.save_output(
            checked.data,
            content_type=content_type_for(checked.format),
            ext=checked.format,
            width=checked.width,
            height=checked.height,
            engine=result.engine_id,
            meta={**image.meta, "provider": provider.name, "model": result.model},
        )
        made.append({"id": artifact_id, "width": checked.width, "height": checked.height})
    ctx.result.update(
        {
            "outputs": made,
            "engine": result.engine_id,
            "provider": result.provider,
            "model": result.model,
            "revised_prompt": result.revised_prompt,
            **({"provider_text": result.meta["text"]} if "text" in result.meta else {}),
        }
    )


async def run_generate(ctx: JobContext, params: GenerateParams) -> None:
    await _run(ctx, params, edit=False)


async def run_edit(ctx: JobContext, params: EditParams) -> None:
    await _run(ctx, params, edit=True)


GENERATE = PipelineSpec(
    kind="generate",
    title="Generate images from text",
    params_model=GenerateParams,
    run=run_generate,
    check=check,
    cost=DEFAULT_PRICES["generate"],
    min_inputs=0,
    max_inputs=0,
    timeout_s=300.0,
    # Providers are retried inside the job (backoff, Retry-After); a second job-level
    # attempt would pay for the same images twice.
    retryable=False,
)

EDIT = PipelineSpec(
    kind="edit",
    title="Edit images with a prompt",
    params_model=EditParams,
    run=run_edit,
    check=check,
    cost=DEFAULT_PRICES["edit"],
    min_inputs=1,
    max_inputs=17,
    timeout_s=300.0,
    retryable=False,
)
