"""The after-generation step of a localized ad: one decode for check, mark scan, thumbnail."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from pictor.engines.inpaint.onnx import OnnxInpainter
from pictor.engines.inpaint.opencv import OpenCvInpainter
from pictor.engines.inpaint.reverse_alpha import blend
from pictor.engines.inpaint.templates import MarkTemplate, builtin_templates
from pictor.engines.localize.gemini import check_output
from pictor.images.limits import ImageLimits
from pictor.pipelines.localize_watermark import FinishedAd, finish_ad, finisher
from pictor.pipelines.remove_watermark import RemoveWatermarkParams, clean_image

SAMPLE = builtin_templates()[0]
LIMITS = ImageLimits(max_bytes=50_000_000, min_side=16, max_side=8192, max_pixels=40_000_000)


def photo(side: int = 1024) -> np.ndarray:
    rng = np.random.default_rng(3)
    ramp = np.linspace(30, 220, side, dtype=np.float32)
    base = np.stack(np.broadcast_arrays(ramp[:, None], 120.0, ramp[None, :]), axis=-1)
    return np.clip(base + rng.normal(0, 6, base.shape), 0, 255).astype(np.uint8)


def png(pixels: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "PNG")
    return buf.getvalue()


def pixels_of(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def marked_photo() -> bytes:
    clean = photo()
    x, y, _, _ = SAMPLE.expected_box(clean.shape[1], clean.shape[0])
    return png(blend(clean, SAMPLE, x, y))


def test_a_known_mark_is_removed_exactly_as_the_remove_watermark_job_does() -> None:
    data = marked_photo()
    done = finish_ad(data, "image/png", [SAMPLE], OpenCvInpainter())

    assert done.scan is not None and done.scan.found == ["sample-star"]
    assert done.scan.data is not None and done.warning is None
    params = RemoveWatermarkParams(template=SAMPLE.name)
    reference = clean_image(data, params, SAMPLE, OpenCvInpainter(), LIMITS)
    assert np.array_equal(pixels_of(done.scan.data), pixels_of(reference.data))
    assert not np.array_equal(pixels_of(done.scan.data), pixels_of(data))


def test_an_ad_without_a_mark_is_kept_byte_for_byte_and_thumbnailed() -> None:
    done = finish_ad(png(photo()), "image/png", [SAMPLE], OpenCvInpainter())

    assert done.scan is not None and done.scan.found == [] and done.scan.data is None
    thumb = Image.open(io.BytesIO(done.thumbnail.data))
    assert thumb.format == "WEBP" and thumb.size == (256, 256)
    assert (done.thumbnail.width, done.thumbnail.height) == (256, 256)


def test_the_provider_check_runs_the_finish_on_the_same_decode_and_keeps_the_bytes() -> None:
    data = marked_photo()
    checked = check_output(data, "1K", "1:1", finisher([SAMPLE], OpenCvInpainter()))

    assert checked.data is data and checked.content_type == "image/png"
    assert isinstance(checked.finished, FinishedAd)
    assert checked.finished.scan is not None and checked.finished.scan.found == ["sample-star"]


def test_without_the_watermark_step_only_a_thumbnail_is_made() -> None:
    wide = png(photo(512)[:, :400])
    checked = check_output(wide, "1K", "1:1", finisher([], None))

    assert isinstance(checked.finished, FinishedAd) and checked.finished.scan is None
    assert (checked.finished.thumbnail.width, checked.finished.thumbnail.height) == (200, 256)
    assert len(checked.warnings) == 2  # too small for 1K, not 1:1


def test_a_failing_watermark_step_keeps_the_image_as_made_with_a_warning(tmp_path: Path) -> None:
    """A mark with opaque pixels leaves residue to inpaint, and the inpainter is a model
    file that cannot load: the ad is kept as made, not lost."""
    opaque = MarkTemplate(
        "opaque", np.clip(SAMPLE.alpha * 2, 0, 1).astype(np.float32), placements=SAMPLE.placements
    )
    clean = photo()
    x, y, _, _ = opaque.expected_box(clean.shape[1], clean.shape[0])
    data = png(blend(clean, opaque, x, y))
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"this is not an onnx model")
    done = finish_ad(data, "image/png", [opaque], OnnxInpainter(broken))

    assert done.scan is None, "no cleaned image may replace the original"
    assert done.warning is not None and "image kept as made" in done.warning
    assert done.thumbnail is not None
