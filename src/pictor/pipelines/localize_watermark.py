"""After-generation steps of a localized ad: known visible marks removed, a thumbnail.

The watermark step looks for every built-in template (the visible marks pictor knows,
placed by their own rules) with the ``remove_watermark`` job's detector; a mark found is
undone by reverse alpha blending. Nothing is inpainted blindly: an ad without a known
mark comes back byte for byte. Invisible marks (SynthID in Gemini's images) are neither
visible nor removed. If the step fails the un-cleaned image is kept, with a warning.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any

from pictor.engines.inpaint.base import Inpainter
from pictor.engines.inpaint.templates import MarkTemplate, builtin_templates
from pictor.engines.localize.base import LocalizedImage
from pictor.errors import PictorError
from pictor.images.decode import decode_image
from pictor.images.encode import OutputFormat, make_thumbnail
from pictor.jobs.context import JobContext
from pictor.pipelines.generate import OUTPUT_LIMITS
from pictor.pipelines.remove_watermark import RemoveWatermarkParams, clean_image

log = logging.getLogger("pictor.localize")

THUMBNAIL_PX = 256
_FORMATS: dict[str, OutputFormat] = {
    "image/png": "png",
    "image/jpeg": "jpeg",
    "image/webp": "webp",
}


@dataclass(frozen=True)
class Thumbnail:
    data: bytes
    width: int
    height: int


@dataclass(frozen=True)
class CleanedAd:
    image: LocalizedImage
    watermark: dict[str, Any] | None
    """What was looked for and found; None when the step was not asked for."""
    warnings: tuple[str, ...]
    thumbnail: Thumbnail


@dataclass(frozen=True)
class MarkScan:
    data: bytes | None
    """The cleaned image, or None when no mark was found (the input stands)."""
    found: list[str]
    engine: str | None


def scan_for_marks(
    data: bytes, content_type: str, marks: list[MarkTemplate], inpainter: Inpainter
) -> MarkScan:
    """Try each template in turn on the image (in a child process)."""
    fmt = _FORMATS.get(content_type, "png")
    found: list[str] = []
    engine: str | None = None
    current: bytes | None = None
    for mark in marks:
        params = RemoveWatermarkParams(template=mark.name, output_format=fmt)
        cleaned = clean_image(current or data, params, mark, inpainter, OUTPUT_LIMITS)
        if cleaned.found:
            found.append(mark.name)
            current = cleaned.data
            engine = cleaned.engine
    return MarkScan(current, found, engine)


@dataclass(frozen=True)
class FinishedAd:
    scan: MarkScan | None
    """None when no scan was asked for, or it failed (``warning`` says why)."""
    warning: str | None
    thumbnail: Thumbnail


def finish_ad(
    data: bytes, content_type: str, marks: list[MarkTemplate], inpainter: Inpainter | None
) -> FinishedAd:
    """Known marks removed (when ``inpainter`` is given) and a thumbnail, in one trip to
    the CPU pool. A failed scan keeps the image as made, with a warning."""
    scan: MarkScan | None = None
    warning: str | None = None
    if inpainter is not None:
        try:
            scan = scan_for_marks(data, content_type, marks, inpainter)
        except PictorError as exc:
            warning = f"watermark removal failed ({exc.code}: {exc.message}); image kept as made"
        except Exception as exc:  # an unexpected failure here must not lose a paid image
            log.exception("watermark removal failed")
            warning = f"watermark removal failed ({type(exc).__name__}); image kept as made"
    final = scan.data if scan is not None and scan.data is not None else data
    return FinishedAd(scan, warning, thumbnail(final))


async def finish_localized(ctx: JobContext, image: LocalizedImage, remove_marks: bool) -> CleanedAd:
    """The ad after the watermark step, with its thumbnail."""
    marks = builtin_templates() if remove_marks else []
    inpainter = ctx.engines.inpainter("opencv-telea") if remove_marks else None
    done = await ctx.run_cpu(finish_ad, image.data, image.content_type, marks, inpainter)
    looked = [mark.name for mark in marks]
    report = None if not remove_marks else {"looked_for": looked, "found": None}
    warnings = () if done.warning is None else (done.warning,)
    scan = done.scan
    if scan is None:
        return CleanedAd(image, report, warnings, done.thumbnail)
    report = {"looked_for": looked, "found": scan.found}
    if scan.data is None:
        return CleanedAd(image, report, warnings, done.thumbnail)
    engine = f"{image.engine}+{scan.engine}" if scan.engine else image.engine
    cleaned = dataclasses.replace(image, data=scan.data, engine=engine)
    return CleanedAd(cleaned, report, warnings, done.thumbnail)


def thumbnail(data: bytes) -> Thumbnail:
    """A WebP of at most THUMBNAIL_PX on its long side."""
    decoded = decode_image(data, OUTPUT_LIMITS)
    scale = min(1.0, THUMBNAIL_PX / max(decoded.width, decoded.height))
    return Thumbnail(
        make_thumbnail(decoded.image, THUMBNAIL_PX),
        max(1, round(decoded.width * scale)),
        max(1, round(decoded.height * scale)),
    )
