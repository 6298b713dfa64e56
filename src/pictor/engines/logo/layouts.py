"""Layouts: where the mark and the name go, and the size of the canvas."""

from __future__ import annotations

import random
from dataclasses import dataclass

from pictor.engines.logo.colors import RGB, to_hex
from pictor.engines.logo.fonts import TextRun, outline_text
from pictor.engines.logo.palettes import Palette
from pictor.engines.logo.svg import element, group, num

LAYOUTS = ("horizontal", "stacked", "badge", "icon_only", "wordmark")
PAD = 24.0
#: Names longer than this go on two lines in stacked and badge layouts.
SPLIT_AT = 16


@dataclass(frozen=True)
class Canvas:
    width: float
    height: float
    body: str
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class NameStyle:
    face: str
    tracking: float
    upper: bool

    def text(self, name: str) -> str:
        return name.upper() if self.upper else name


def split_name(name: str) -> list[str]:
    """One line, or two split at the space nearest the middle."""
    if len(name) <= SPLIT_AT or " " not in name:
        return [name]
    spaces = [i for i, c in enumerate(name) if c == " "]
    cut = min(spaces, key=lambda i: abs(i - len(name) / 2))
    return [name[:cut].strip(), name[cut + 1 :].strip()]


def _runs(lines: list[str], style: NameStyle, size: float, max_width: float) -> list[TextRun]:
    runs = [outline_text(style.text(line), style.face, size, style.tracking) for line in lines]
    widest = max(run.width for run in runs)
    if widest > max_width:  # shrink to fit rather than overflow the canvas
        size *= max_width / widest
        runs = [outline_text(style.text(line), style.face, size, style.tracking) for line in lines]
    return runs


def _path(run: TextRun, x: float, baseline: float, color: RGB) -> str:
    return element(
        "path",
        {"d": run.d, "fill": to_hex(color), "transform": f"translate({num(x)} {num(baseline)})"},
    )


def _missing(runs: list[TextRun]) -> tuple[str, ...]:
    return tuple(c for run in runs for c in run.missing)


def horizontal(mark: str, name: str, style: NameStyle, ink: RGB) -> Canvas:
    [run] = _runs([name], style, 72.0, 1100.0)
    mark_size = max(run.cap_height * 2.5, 96.0)
    gap = mark_size * 0.24
    width = PAD * 2 + mark_size + gap + run.width
    height = PAD * 2 + mark_size
    baseline = height / 2 + run.cap_height / 2
    body = group(mark, PAD, PAD, mark_size / 100) + _path(run, PAD + mark_size + gap, baseline, ink)
    return Canvas(width, height, body, run.missing)


def stacked(mark: str, name: str, style: NameStyle, ink: RGB) -> Canvas:
    runs = _runs(split_name(name), style, 64.0, 720.0)
    cap = runs[0].cap_height
    mark_size = max(cap * 3.4, 140.0)
    line_step = cap * 1.55
    width = PAD * 2 + max(mark_size, *(run.width for run in runs))
    height = PAD * 2 + mark_size + cap * 0.9 + cap + line_step * (len(runs) - 1) + runs[-1].descent
    body = group(mark, (width - mark_size) / 2, PAD, mark_size / 100)
    baseline = PAD + mark_size + cap * 0.9 + cap
    for run in runs:
        body += _path(run, (width - run.width) / 2, baseline, ink)
        baseline += line_step
    return Canvas(width, height, body, _missing(runs))


def wordmark(name: str, style: NameStyle, palette: Palette, rng: random.Random) -> Canvas:
    [run] = _runs([name], style, 96.0, 1400.0)
    cap = run.cap_height
    accent = rng.choice(("underline", "dot", "bar"))
    text_x = PAD + (cap * 0.45 if accent == "bar" else 0.0)
    width = text_x + run.width + PAD + (cap * 0.5 if accent == "dot" else 0.0)
    height = PAD * 2 + cap + run.descent + (cap * 0.35 if accent == "underline" else 0.0)
    baseline = PAD + cap
    body = _path(run, text_x, baseline, palette.ink)
    if accent == "underline":
        body += element(
            "rect",
            {
                "x": text_x,
                "y": baseline + run.descent * 0.6 + cap * 0.1,
                "width": run.width * 0.42,
                "height": cap * 0.12,
                "rx": cap * 0.06,
                "fill": to_hex(palette.secondary),
            },
        )
    elif accent == "dot":
        r = cap * 0.13
        body += element(
            "circle",
            {
                "cx": text_x + run.width + r * 2.2,
                "cy": baseline - r,
                "r": r,
                "fill": to_hex(palette.primary),
            },
        )
    else:
        body += element(
            "rect",
            {
                "x": PAD,
                "y": PAD,
                "width": cap * 0.16,
                "height": cap,
                "fill": to_hex(palette.primary),
            },
        )
    return Canvas(width, height, body, run.missing)


def badge(inner: str, name: str, style: NameStyle, palette: Palette, plate: str) -> Canvas:
    """A round seal or a rounded plate in the primary colour, the name knocked out of it."""
    size = 400.0
    runs = _runs(split_name(name), style, 44.0, 250.0 if plate == "circle" else 290.0)
    fg = to_hex(palette.on_primary)
    if plate == "circle":
        body = element("circle", {"cx": 200, "cy": 200, "r": 196, "fill": to_hex(palette.primary)})
        body += element(
            "circle",
            {"cx": 200, "cy": 200, "r": 178, "fill": "none", "stroke": fg, "stroke-width": 3},
        )
    else:
        body = element(
            "rect",
            {
                "x": 4,
                "y": 4,
                "width": 392,
                "height": 392,
                "rx": 64,
                "fill": to_hex(palette.primary),
            },
        )
        body += element(
            "rect",
            {
                "x": 20,
                "y": 20,
                "width": 360,
                "height": 360,
                "rx": 50,
                "fill": "none",
                "stroke": fg,
                "stroke-width": 3,
            },
        )
    body += group(inner, 140, 62, 1.2)
    cap = runs[0].cap_height
    step = cap * 1.5
    baseline = 250 - step * (len(runs) - 1) / 2 + cap / 2
    for run in runs:
        body += _path(run, (size - run.width) / 2, baseline, palette.on_primary)
        baseline += step
    rule_y = baseline - step + runs[-1].descent + 14
    body += element("rect", {"x": 170, "y": rule_y, "width": 60, "height": 3, "fill": fg})
    return Canvas(size, size, body, _missing(runs))


def icon_only(mark: str) -> Canvas:
    size = 400.0
    return Canvas(size, size, group(mark, 20, 20, 3.6))
