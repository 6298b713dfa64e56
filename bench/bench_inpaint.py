"""Inpainting figures: pictor's erase against a bare ``cv2.inpaint`` call, same run.

1. ``erase`` on 1 MP and 4 MP images with a 4 % mask, two mask shapes:
   - ``block``: one compact region (a logo or a caption box);
   - ``strokes``: 40 thin strokes spread over the frame (text, scratches, wires);
   each timed as a bare full-frame ``cv2.inpaint`` (the baseline), pictor's OpenCV
   engine with its crop strategy, and pictor's whole ``erase`` (decode PNG, mask from
   rectangles, fill, encode PNG). Medians of interleaved runs.
2. Reverse-alpha removal of the built-in ``sample-star`` template from a synthetic
   watermarked image: PSNR to the original outside clamped pixels, and over the mark.

Run: ``.venv/bin/python bench/bench_inpaint.py``
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _p in (str(ROOT / "src"), str(ROOT)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from numpy.typing import NDArray  # noqa: E402

from pictor.engines.inpaint.opencv import DEFAULT_RADIUS, OpenCvInpainter  # noqa: E402
from pictor.engines.inpaint.reverse_alpha import blend, locate, psnr, restore  # noqa: E402
from pictor.engines.inpaint.templates import MarkTemplate, builtin_templates  # noqa: E402
from pictor.images.encode import encode_image  # noqa: E402
from pictor.images.limits import ImageLimits  # noqa: E402
from pictor.pipelines.erase import EraseParams, erase_image  # noqa: E402

Image = NDArray[np.uint8]


def photo(side: int, seed: int = 1) -> Image:
    """Smooth shading plus texture, like a photo; a fixed seed keeps runs comparable."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float32) / side
    base = np.dstack([90 + 120 * xx, 60 + 150 * yy, 140 + 60 * np.sin(6 * xx) * np.cos(4 * yy)])
    noise = cv2.GaussianBlur(rng.normal(0, 18, (side, side, 3)).astype(np.float32), (0, 0), 1.5)
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def block_rects(side: int) -> list[tuple[int, int, int, int]]:
    edge = round(side * 0.2)  # 0.2 x 0.2 = 4 % of the frame
    return [(side - edge - side // 20, side - edge - side // 20, edge, edge)]


def stroke_rects(side: int, seed: int = 3) -> list[tuple[int, int, int, int]]:
    rng = np.random.default_rng(seed)
    count, thick = 40, max(3, side // 200)
    length = int(0.04 * side * side / (count * thick))
    rects = []
    for _ in range(count):
        x = int(rng.integers(0, side - length))
        y = int(rng.integers(0, side - thick))
        rects.append((x, y, length, thick))
    return rects


def mask_of(side: int, rects: list[tuple[int, int, int, int]]) -> Image:
    mask = np.zeros((side, side), np.uint8)
    for x, y, w, h in rects:
        mask[y : y + h, x : x + w] = 255
    return mask


def timed_ms(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def bare_cv2(image: Image, mask: Image) -> Image:
    return np.asarray(cv2.inpaint(image, mask, float(DEFAULT_RADIUS), cv2.INPAINT_TELEA))


def time_case(
    image: Image, rects: list[tuple[int, int, int, int]], runs: int
) -> tuple[float, float, float, bool]:
    """(bare ms, pictor engine ms, pictor erase end-to-end ms, identical pixels)."""
    engine = OpenCvInpainter("telea")
    limits = ImageLimits(max_bytes=100_000_000, max_side=4096)
    mask = mask_of(image.shape[0], rects)
    png = encode_image(image, "png")
    params = EraseParams.model_validate(
        {"regions": [{"x": x, "y": y, "w": w, "h": h} for x, y, w, h in rects]}
    )
    same = np.array_equal(engine.inpaint(image, mask), bare_cv2(image, mask))
    bare: list[float] = []
    ours: list[float] = []
    for _ in range(runs):  # interleaved, so load changes hit both alike
        bare.append(timed_ms(lambda: bare_cv2(image, mask)))
        ours.append(timed_ms(lambda: engine.inpaint(image, mask)))
    e2e = statistics.median(
        timed_ms(lambda: erase_image(png, None, params, engine, limits)) for _ in range(3)
    )
    return statistics.median(bare), statistics.median(ours), e2e, same


def bench_erase() -> None:
    print("erase: 4 % mask, Telea radius", DEFAULT_RADIUS, "(median ms)")
    print(
        f"{'image':>6} {'mask':>8} {'cover':>6} {'bare cv2':>9} {'pictor':>8} {'ratio':>6}"
        f" {'erase e2e':>10}"
    )
    for side, runs in ((1000, 7), (2000, 5)):
        image = photo(side)
        for label, rects in (("block", block_rects(side)), ("strokes", stroke_rects(side))):
            bare, ours, e2e, same = time_case(image, rects, runs)
            cover = 100.0 * sum(w * h for _, _, w, h in rects) / (side * side)
            print(
                f"{side * side / 1e6:>4.0f}MP {label:>8} {cover:>5.1f}% {bare:>9.1f} {ours:>8.1f}"
                f" {ours / bare:>5.2f}x {e2e:>10.1f}   identical pixels: {same}"
            )


def bench_reverse_alpha() -> None:
    print("\nreverse alpha: built-in sample-star on a synthetic 1600 x 1200 photo")
    clean = photo(1600, seed=5)[:1200]
    sample = builtin_templates()[0]
    opaque = MarkTemplate(
        "opaque-star",
        np.clip(sample.alpha * 2.0, 0, 1).astype(np.float32),  # its centre fully opaque
        (255, 255, 255),
        sample.corner,
        sample.placements,
    )
    inpainter = OpenCvInpainter("telea")
    for template in (sample, opaque):
        x, y, w, h = template.expected_box(1600, 1200)
        marked = blend(clean, template, x, y)
        hit = locate(marked, template)
        restored = restore(marked, template, hit)
        out = restored.image
        if restored.residue.any():
            out = inpainter.inpaint(restored.image, restored.residue)
        box = np.zeros(clean.shape[:2], bool)
        box[y : y + h, x : x + w] = True
        outside_clamped = box & (restored.residue == 0)
        print(
            f"  {template.name}: found={hit.found} score={hit.score:.3f} at {hit.box()}"
            f" residue={int(np.count_nonzero(restored.residue))} px; PSNR in the mark box:"
            f" outside clamped {psnr(restored.image, clean, outside_clamped):.1f} dB,"
            f" all (residue inpainted) {psnr(out, clean, box):.1f} dB,"
            f" watermarked {psnr(marked, clean, box):.1f} dB"
        )
    clean_hit = locate(clean, sample)
    print(f"  clean image: found={clean_hit.found} score={clean_hit.score:.3f}")


if __name__ == "__main__":
    print(f"OpenCV {cv2.__version__}, threads {cv2.getNumThreads()}")
    bench_erase()
    bench_reverse_alpha()
