"""After-generation steps of a localized ad: known visible marks removed, a thumbnail.

The watermark step looks for every built-in template (the visible marks pictor knows,
placed by their own rules) with the ``remove_watermark`` job's detector; a mark found is
undone by reverse alpha blending. Nothing is inpainted blindly: an ad without a known
mark comes back byte for byte. Invisible marks (SynthID in Gemini's images) are neither
visible nor removed. If the step fails the un-cleaned image is kept, with a warning.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from pictor.engines.inpaint.base import Inpainter, RGBImage
from pictor.engines.inpaint.mask import grow
from pictor.engines.inpaint.reverse_alpha import locate, restore
from pictor.engines.inpaint.templates import MarkTemplate, builtin_templates
from pictor.engines.localize.base import LocalizedImage, OutputFinish
from pictor.errors import PictorError
from pictor.images.decode import DecodedImage, decode_image
from pictor.images.encode import OutputFormat, encode_image, make_thumbnail
from pictor.jobs.context import JobContext
from pictor.pipelines.generate import OUTPUT_LIMITS
from pictor.pipelines.remove_watermark import RemoveWatermarkParams

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


@dataclass(frozen=True)
class Unmarked:
    pixels: RGBImage
    found: list[str]
    engine: str | None


def remove_marks(rgb: RGBImage, marks: list[MarkTemplate], inpainter: Inpainter) -> Unmarked:
    """Each template in turn, with the ``remove_watermark`` job's defaults, on the pixels."""
    found: list[str] = []
    engine: str | None = None
    out = rgb
    for mark in marks:
        params = RemoveWatermarkParams(template=mark.name)
        hit = locate(out, mark, threshold=params.threshold, search=params.search)
        if not hit.found:
            continue
        restored = restore(out, mark, hit)
        out, engine = restored.image, f"reverse-alpha:{mark.name}"
        residue = grow(restored.residue, params.dilate)
        if np.count_nonzero(residue):
            out = inpainter.inpaint(out, residue)
            engine = f"{engine}+{inpainter.engine_id}"
        found.append(mark.name)
    return Unmarked(out, found, engine)


def scan_decoded(
    decoded: DecodedImage, content_type: str, marks: list[MarkTemplate], inpainter: Inpainter
) -> tuple[MarkScan, Image.Image | NDArray[np.uint8]]:
    """Marks removed from decoded pixels; encoded again only when one was found."""
    unmarked = remove_marks(np.asarray(decoded.image.convert("RGB")), marks, inpainter)
    if not unmarked.found:
        return MarkScan(None, [], None), decoded.image
    pixels: NDArray[np.uint8] = unmarked.pixels
    if decoded.has_alpha:
        pixels = np.dstack([pixels, np.asarray(decoded.image.getchannel("A"))])
    data = encode_image(pixels, _FORMATS.get(content_type, "png"))
    return MarkScan(data, unmarked.found, unmarked.engine), pixels


@dataclass(frozen=True)
class FinishedAd:
    scan: MarkScan | None
    """None when no scan was asked for, or it failed (``warning`` says why)."""
    warning: str | None
    thumbnail: Thumbnail


def finish_decoded(
    decoded: DecodedImage,
    content_type: str,
    marks: list[MarkTemplate],
    inpainter: Inpainter | None,
) -> FinishedAd:
    """Known marks removed (when ``inpainter`` is given) and a thumbnail, from pixels
    decoded once (in the CPU pool). A failed scan keeps the image as made, with a warning."""
    scan: MarkScan | None = None
    warning: str | None = None
    final: Image.Image | NDArray[np.uint8] = decoded.image
    if inpainter is not None:
        try:
            scan, final = scan_decoded(decoded, content_type, marks, inpainter)
        except PictorError as exc:
            warning = f"watermark removal failed ({exc.code}: {exc.message}); image kept as made"
        except Exception as exc:  # an unexpected failure here must not lose a paid image
            log.exception("watermark removal failed")
            warning = f"watermark removal failed ({type(exc).__name__}); image kept as made"
    return FinishedAd(scan, warning, thumbnail(final, decoded.width, decoded.height))


def finisher(marks: list[MarkTemplate], inpainter: Inpainter | None) -> OutputFinish:
    """``finish_decoded`` bound to the job's choices: picklable, for an engine to run."""
    return functools.partial(finish_decoded, marks=marks, inpainter=inpainter)


def finish_ad(
    data: bytes, content_type: str, marks: list[MarkTemplate], inpainter: Inpainter | None
) -> FinishedAd:
    """``finish_decoded`` for an engine that did not run it: one decode, here."""
    return finish_decoded(decode_image(data, OUTPUT_LIMITS), content_type, marks, inpainter)


def job_marks(ctx: JobContext, remove_marks: bool) -> tuple[list[MarkTemplate], Inpainter | None]:
    """The templates looked for and the inpainter for residues; none when not asked."""
    if not remove_marks:
        return [], None
    return builtin_templates(), ctx.engines.inpainter("opencv-telea")


async def finish_localized(ctx: JobContext, image: LocalizedImage, remove_marks: bool) -> CleanedAd:
    """The ad after the watermark step, with its thumbnail: as the engine finished it in
    its own CPU trip (``LocalizeRequest.finish``), or here, in one trip to the pool."""
    marks, inpainter = job_marks(ctx, remove_marks)
    done: FinishedAd
    if isinstance(image.finished, FinishedAd):
        done = image.finished
    else:
        done = await ctx.run_cpu(finish_ad, image.data, image.content_type, marks, inpainter)
    image = dataclasses.replace(image, finished=None)
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


def thumbnail(pixels: Image.Image | NDArray[np.uint8], width: int, height: int) -> Thumbnail:
    """A WebP of at most THUMBNAIL_PX on its long side."""
    scale = min(1.0, THUMBNAIL_PX / max(width, height))
    return Thumbnail(
        make_thumbnail(pixels, THUMBNAIL_PX),
        max(1, round(width * scale)),
        max(1, round(height * scale)),
    )
