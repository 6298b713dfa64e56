"""The localizer plug-in family."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar

from pictor.engines.availability import Availability
from pictor.images.decode import DecodedImage
from pictor.localization.catalog import Language, Market

T = TypeVar("T")

ImageSize = Literal["1K", "2K", "4K"]
#: Long side in pixels of each image size.
IMAGE_SIZE_PX: dict[str, int] = {"1K": 1024, "2K": 2048, "4K": 4096}
ASPECT_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")


#: Work the job wants on an engine's decoded output (watermark scan, thumbnail), given
#: the pixels and the content type stored; picklable. Its result is
#: ``LocalizedImage.finished``.
OutputFinish = Callable[[DecodedImage, str], object]


class CpuRunner(Protocol):
    """Runs a picklable function in the job's CPU pool (``JobContext.run_cpu``)."""

    def __call__(self, fn: Callable[..., T], *args: Any) -> Awaitable[T]: ...


@dataclass(frozen=True)
class LocalizeRequest:
    image: bytes
    """The source ad as uploaded (validated JPEG/PNG/WebP/BMP bytes)."""
    source_language: Language
    target_language: Language
    market: Market
    preserve_people: bool = False
    image_size: ImageSize = "1K"
    aspect_ratio: str = "keep"
    """One of ASPECT_RATIOS, or "keep" (the source's own ratio)."""
    translations: dict[str, str] = field(default_factory=dict)
    """Source text → target text supplied by the user, for this target language."""
    brand_terms: tuple[str, ...] = ()
    """Never translated."""
    finish: OutputFinish | None = None
    """Run on the output by an engine that decodes it anyway (in the same CPU trip), so
    the image is decoded once; an engine may ignore it (the job then runs it itself)."""


@dataclass(frozen=True)
class LocalizedImage:
    data: bytes
    content_type: str
    width: int
    height: int
    engine: str
    """Recorded on the output, e.g. "gemini:gemini-2.5-flash-image" or "relayout:rapidocr"."""
    warnings: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)
    """Engine facts for the result: texts found, texts left untranslated, prompt id..."""
    finished: object | None = None
    """What ``LocalizeRequest.finish`` returned, when the engine ran it."""


class Localizer(Protocol):
    @property
    def name(self) -> str:
        """The engine's name in requests (``params.engine``), e.g. "gemini", "relayout"."""
        ...

    def availability(self) -> Availability:
        """Whether it can run here, and if not which setting enables it."""
        ...

    async def localize(self, request: LocalizeRequest, cpu: CpuRunner) -> LocalizedImage:
        """Make the version of the ad for one language and market.

        Network work happens here (awaited); CPU-heavy work goes through ``cpu`` so it
        runs in the worker pool. Raises PictorError subclasses (transient ones retried by
        the caller per language).
        """
        ...
