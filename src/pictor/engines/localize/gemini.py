"""The ``gemini`` localizer: one image-edit request per market through the Gemini provider.

The provider (``engines/generate/gemini.py``, the only module importing google-genai)
owns the client, the retries of 429/5xx/timeouts and the mapping of safety blocks to
``content_blocked``; this module builds the prompt from the catalog, passes the size and
aspect ratio as image config, and validates what comes back.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from dataclasses import dataclass

from pictor.engines.availability import Availability
from pictor.engines.generate.base import ImageProvider, ImageRequest, InputImage, ratio_for_size
from pictor.engines.generate.errors import ProviderError
from pictor.engines.localize.base import (
    IMAGE_SIZE_PX,
    CpuRunner,
    LocalizedImage,
    LocalizeRequest,
    OutputFinish,
)
from pictor.errors import InvalidImage
from pictor.images.decode import decode_image, sniff_format
from pictor.images.encode import OutputFormat, content_type_for, encode_image
from pictor.images.limits import HARD_MAX_SIDE, ImageLimits
from pictor.localization.orientation import upright_header
from pictor.localization.prompt import LocalizePrompt, PromptInput, build_prompt

SETTING = "PICTOR_PROVIDERS_GEMINI_API_KEY"
#: Gemini takes at most 20 MB of inline data per request; a larger source is re-encoded.
MAX_INLINE_BYTES = 14_000_000
#: Provider outputs may be bigger than user uploads (4K at 21:9), never unbounded.
OUTPUT_LIMITS = ImageLimits(
    max_bytes=50_000_000, min_side=16, max_side=HARD_MAX_SIDE, max_pixels=40_000_000
)
#: An output whose ratio is off by more than this share gets a warning.
RATIO_TOLERANCE = 0.03


@dataclass(frozen=True)
class PreparedSource:
    image: InputImage
    width: int
    height: int


def source_as_uploaded(data: bytes) -> PreparedSource | None:
    """A PNG/JPEG/WebP under the inline limit goes as it is (its header read, no pixels)."""
    fmt = sniff_format(data[:32])
    if fmt not in ("png", "jpeg", "webp") or len(data) > MAX_INLINE_BYTES:
        return None
    header = upright_header(data)  # EXIF-turned files are re-encoded upright
    if header is None:
        return None
    return PreparedSource(InputImage(data, content_type_for(fmt)), header.width, header.height)


def prepare_source(data: bytes) -> PreparedSource:
    """The ad as Gemini takes it: PNG/JPEG/WebP as uploaded; BMP or too large re-encoded."""
    ready = source_as_uploaded(data)
    if ready is not None:
        return ready
    fmt = sniff_format(data[:32])
    decoded = decode_image(data, OUTPUT_LIMITS)
    # JPEG at high quality keeps a 4096 px ad well under the inline limit.
    out_fmt: OutputFormat = "png" if decoded.has_alpha and fmt != "jpeg" else "jpeg"
    encoded = encode_image(decoded.image, out_fmt, quality=93)
    if len(encoded) > MAX_INLINE_BYTES:
        encoded, out_fmt = encode_image(decoded.image, "jpeg", quality=88), "jpeg"
    return PreparedSource(
        InputImage(encoded, content_type_for(out_fmt)), decoded.width, decoded.height
    )


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    content_type: str
    width: int
    height: int
    warnings: tuple[str, ...]
    finished: object | None = None


def check_output(
    data: bytes, image_size: str, aspect_ratio: str, finish: OutputFinish | None = None
) -> CheckedImage:
    """Decode the provider's image under OUTPUT_LIMITS; say where it misses the request.

    The bytes are kept as they came unless the format is not PNG/JPEG/WebP. ``finish``
    (the job's watermark scan and thumbnail) runs on the same decoded pixels."""
    decoded = decode_image(data, OUTPUT_LIMITS)
    fmt: str = decoded.format
    if fmt not in ("png", "jpeg", "webp"):
        data, fmt = encode_image(decoded.image, "png"), "png"
    warnings: list[str] = []
    long_side = max(decoded.width, decoded.height)
    wanted = IMAGE_SIZE_PX.get(image_size, 1024)
    if long_side < wanted * 0.9:
        warnings.append(
            f"asked for {image_size} ({wanted} px), the model returned"
            f" {decoded.width}x{decoded.height}"
        )
    w, h = (int(part) for part in aspect_ratio.split(":"))
    if abs(decoded.width / decoded.height - w / h) > RATIO_TOLERANCE * (w / h):
        warnings.append(
            f"asked for aspect ratio {aspect_ratio}, the model returned"
            f" {decoded.width}x{decoded.height}"
        )
    content_type = content_type_for(fmt)
    finished = finish(decoded, content_type) if finish is not None else None
    return CheckedImage(
        data, content_type, decoded.width, decoded.height, tuple(warnings), finished
    )


def check_sent_output(
    data: bytes, image_size: str, aspect_ratio: str, finish: OutputFinish | None = None
) -> CheckedImage:
    """``check_output`` for a CPU-pool trip: bytes kept as sent come back as ``b""``, not
    as a second 2.6 MB copy through the pool's pipe (an image is never empty)."""
    checked = check_output(data, image_size, aspect_ratio, finish)
    return checked if checked.data is not data else dataclasses.replace(checked, data=b"")


def prompt_for(request: LocalizeRequest, source_size: tuple[int, int] | None) -> LocalizePrompt:
    return build_prompt(
        PromptInput(
            source_language=request.source_language,
            target_language=request.target_language,
            market=request.market,
            preserve_people=request.preserve_people,
            image_size=request.image_size,
            aspect_ratio=request.aspect_ratio,
            translations=request.translations,
            brand_terms=request.brand_terms,
            source_size=source_size,
        )
    )


class GeminiLocalizer:
    """Generative localization; at most ``concurrency`` requests in flight per process."""

    name = "gemini"

    def __init__(
        self, provider: ImageProvider, *, model: str | None = None, concurrency: int = 15
    ) -> None:
        self._provider = provider
        self.model = model or provider.default_model
        self.concurrency = concurrency
        self._slots: asyncio.Semaphore | None = None

    @property
    def engine_id(self) -> str:
        return f"gemini:{self.model}"

    def availability(self) -> Availability:
        found = self._provider.availability()
        if not found.available:
            return Availability.missing(f"not configured (set {SETTING})")
        return Availability.ok(f"model {self.model}, {self.concurrency} requests at a time")

    def _gate(self) -> asyncio.Semaphore:
        # Made on first use, inside the running loop that will wait on it.
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.concurrency)
        return self._slots

    async def localize(self, request: LocalizeRequest, cpu: CpuRunner) -> LocalizedImage:
        """One ``generateContent`` call with the ad and the built prompt; image checked."""
        # Most ads go as uploaded: only a re-encode is worth a trip to the CPU pool.
        ready = source_as_uploaded(request.image)
        source = ready if ready is not None else await cpu(prepare_source, request.image)
        prompt = prompt_for(request, (source.width, source.height))
        ratio = (
            ratio_for_size(source.width, source.height)
            if request.aspect_ratio == "keep"
            else request.aspect_ratio
        )
        edit = ImageRequest(
            prompt=prompt.text,
            model=self.model,
            aspect_ratio=ratio,
            resolution=request.image_size,
            images=(source.image,),
        )
        async with self._gate():
            result = await self._provider.edit(edit)
        if not result.images:
            raise ProviderError("gemini returned no image", details={"provider": "gemini"})
        try:
            sent = result.images[0].data
            checked = await cpu(check_sent_output, sent, request.image_size, ratio, request.finish)
        except InvalidImage as exc:
            raise ProviderError(
                f"gemini returned a file that is not a usable image: {exc.message}",
                details={"provider": "gemini", "cause": exc.code},
            ) from exc
        details = {
            "prompt_sha256": hashlib.sha256(prompt.text.encode()).hexdigest(),
            "aspect_ratio": ratio,
            "image_size": request.image_size,
        }
        if "text" in result.meta:
            details["provider_text"] = str(result.meta["text"])[:500]
        return LocalizedImage(
            data=checked.data or sent,
            content_type=checked.content_type,
            width=checked.width,
            height=checked.height,
            engine=result.engine_id,
            warnings=checked.warnings,
            details=details,
            finished=checked.finished,
        )
