"""Background removal: accuracy and speed of the classical engine against plain GrabCut.

Run: ``.venv/bin/python bench/bench_remove_background.py [--quick]``

Accuracy is the mean IoU of ``alpha > 0.5`` against the true ``alpha > 0.5`` on the
synthetic set (``bench/synthetic.py``), per background family. The baseline is
plain GrabCut measured in the same run: rectangle init with a 5% margin, the same
working size, 5 iterations, mask upsampled. Timing is the median wall time of the
whole ``predict_alpha`` (refinement included) on 1 MP and 12 MP images.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from pictor.engines.segment.classical import WORK_PIXELS, ClassicalSegmenter
from synthetic import FAMILIES, generate

Predict = Callable[[NDArray[np.uint8]], NDArray[np.float32]]
SIZES = ((640, 480), (480, 640), (720, 540), (600, 600), (800, 450))
GOALS = {"solid": 0.97, "gradient": 0.97, "textured": 0.92, "photo": None}


def grabcut_baseline(image: NDArray[np.uint8]) -> NDArray[np.float32]:
    """Plain GrabCut: rect init with a 5% margin at the working size, 5 iterations."""
    h, w = image.shape[:2]
    scale = min(1.0, (WORK_PIXELS / float(h * w)) ** 0.5)
    size = (max(2, round(w * scale)), max(2, round(h * scale)))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA) if scale < 1 else image
    sw, sh = size
    rect = (round(0.05 * sw), round(0.05 * sh), round(0.9 * sw), round(0.9 * sh))
    mask = np.zeros((sh, sw), np.uint8)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)
    cv2.grabCut(small, mask, rect, bgd, fgd, 5, cv2.GC_INIT_WITH_RECT)
    fg = ((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)).astype(np.float32)
    up: NDArray[np.float32] = cv2.resize(fg, (w, h), interpolation=cv2.INTER_LINEAR)
    return (up > 0.5).astype(np.float32)


def iou(pred: NDArray[np.float32], truth: NDArray[np.float32]) -> float:
    p, t = pred > 0.5, truth > 0.5
    union = np.logical_or(p, t).sum()
    return float(np.logical_and(p, t).sum() / union) if union else 1.0


def accuracy(engines: dict[str, Predict], per_family: int) -> dict[str, dict[str, list[float]]]:
    scores: dict[str, dict[str, list[float]]] = {e: {f: [] for f in FAMILIES} for e in engines}
    for fi, fam in enumerate(FAMILIES):
        for i in range(per_family):
            seed = 1000 + i * len(FAMILIES) + fi
            image, truth, _ = generate(seed, SIZES[i % len(SIZES)], family=fam)
            for name, predict in engines.items():
                scores[name][fam].append(iou(predict(image), truth))
    return scores


def timing(engines: dict[str, Predict], runs: int) -> dict[str, dict[str, float]]:
    base, _, _ = generate(7, (1155, 866), family="gradient")
    images = {
        "1 MP": base,
        "12 MP": cv2.resize(base, (4000, 3000), interpolation=cv2.INTER_CUBIC),
    }
    out: dict[str, dict[str, float]] = {e: {} for e in engines}
    for name, predict in engines.items():
        for label, image in images.items():
            predict(image)  # warm-up
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                predict(image)
                times.append(time.perf_counter() - t0)
            out[name][label] = statistics.median(times)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few images, few timing runs")
    parser.add_argument("--per-family", type=int, default=None)
    args = parser.parse_args()
    per_family = args.per_family or (4 if args.quick else 16)
    runs = 3 if args.quick else 5
    seg = ClassicalSegmenter()
    engines: dict[str, Predict] = {
        "classical": lambda im: seg.predict_alpha(im),
        "grabcut": grabcut_baseline,
    }
    scores = accuracy(engines, per_family)
    print(f"mean IoU (alpha>0.5), {per_family} images per family")
    print(f"{'family':<10}" + "".join(f"{n:>12}" for n in engines) + f"{'goal':>8}")
    for fam in FAMILIES:
        row = "".join(f"{statistics.fmean(scores[n][fam]):>12.4f}" for n in engines)
        goal = GOALS[fam]
        print(f"{fam:<10}{row}{('>= ' + str(goal)) if goal else '-':>8}")
    worst = {f: round(min(scores["classical"][f]), 3) for f in FAMILIES}
    print(f"worst classical image IoU per family: {worst}", flush=True)
    times = timing(engines, runs)
    print(f"median predict time over {runs} runs (goal: 1 MP <= 0.3 s, 12 MP <= 3 s)")
    for name, row in times.items():
        print(f"{name:<10}" + "".join(f"{k:>8}: {v:6.3f} s" for k, v in row.items()))
    # The machine may be shared; the load says how much the timings can be trusted.
    print(f"load average during the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
