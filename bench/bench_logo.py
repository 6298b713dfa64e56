"""Logo studio: 6 variants, SVG + PNGs, against rendering a plain text-only SVG.

Run: ``.venv/bin/python bench/bench_logo.py [--runs N]``

- **cold**: the first variant in a fresh process (fonts parsed, icons unzipped).
- **6 variants, SVG only**: ``ProceduralLogoDesigner.design`` x6, warm.
- **6 variants, SVG + 4 PNGs each** (512 and 1024 px, transparent and on white), one
  process, warm: what ``make_variant`` does for a job, minus favicons.
- **the same on 2 processes** (spawned pool, like the job's CPU pool), warm.
- **baseline, same run**: the business name outlined in one font, as a bare SVG, rendered to
  the same four PNGs, x6. That is the least any logo maker with real PNGs must do.
Figures are medians of ``--runs`` runs (wall time).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from pictor.engines.logo.base import LogoBrief
from pictor.engines.logo.brandkit import PNG_SIZES
from pictor.engines.logo.designer import ProceduralLogoDesigner
from pictor.engines.logo.fonts import outline_text
from pictor.engines.logo.render import render_png
from pictor.engines.logo.svg import document, element

BRIEF = LogoBrief("Golden Crust Bakery", "bakery", "", "playful", ("#e4572e",), 7)
DESIGNER = ProceduralLogoDesigner()
VARIANTS = 6


def variant_with_pngs(index: int) -> int:
    design = DESIGNER.design(BRIEF, index)
    total = 0
    for size in PNG_SIZES:
        for background in (None, "#ffffff"):
            total += len(render_png(design.svg, size, background))
    return total


def text_only(index: int) -> int:
    run = outline_text(BRIEF.business_name, "sans-semibold", 72.0)
    body = element("path", {"d": run.d, "fill": "#222222", "transform": "translate(24 96)"})
    svg = document(run.width + 48, 130, BRIEF.business_name, body)
    total = 0
    for size in PNG_SIZES:
        for background in (None, "#ffffff"):
            total += len(render_png(svg, size, background))
    return total


def median_s(work: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def cold_first_variant() -> float:
    start = time.perf_counter()
    DESIGNER.design(BRIEF, 0)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; {args.runs} runs")
    print(f"cold first variant (fonts + icons loaded): {cold_first_variant() * 1000:.0f} ms")
    svg_only = median_s(lambda: [DESIGNER.design(BRIEF, i) for i in range(VARIANTS)], args.runs)
    one_proc = median_s(lambda: [variant_with_pngs(i) for i in range(VARIANTS)], args.runs)
    base = median_s(lambda: [text_only(i) for i in range(VARIANTS)], args.runs)
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(variant_with_pngs, range(VARIANTS)))  # warm both children
        two_procs = median_s(lambda: list(pool.map(variant_with_pngs, range(VARIANTS))), args.runs)
    print(f"6 variants, SVG only:                      {svg_only * 1000:7.0f} ms")
    print(f"6 variants, SVG + 4 PNGs, 1 process:       {one_proc * 1000:7.0f} ms")
    print(f"6 variants, SVG + 4 PNGs, 2 processes:     {two_procs * 1000:7.0f} ms  (goal <= 1000)")
    print(f"baseline: 6 text-only SVGs + 4 PNGs, 1 p.: {base * 1000:7.0f} ms")
    print(f"ratio 1 process / baseline: {one_proc / base:.2f}x")


if __name__ == "__main__":
    main()
