"""Gaps found in the issue-3 review: coloured marks on any background, capture corners."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests.cli.test_cli import run_pictor
from tests.inpaint.synthetic import png_bytes, png_pixels, textured

from pictor.engines.inpaint.reverse_alpha import blend, locate, psnr, restore
from pictor.engines.inpaint.templates import MarkTemplate, Placement, builtin_templates

SAMPLE = builtin_templates()[0]
GOLD = MarkTemplate("gold", SAMPLE.alpha, (255, 200, 40), SAMPLE.corner, SAMPLE.placements)


@pytest.mark.parametrize("shift", [-90, 0, 90], ids=["dark", "mid", "light"])
def test_a_coloured_mark_is_found_and_removed_on_dark_and_light_backgrounds(shift: int) -> None:
    # A gold mark darkens a light background and lightens a dark one: detection must
    # not depend on which.
    clean = np.clip(textured(300, 400).astype(np.int32) + shift, 0, 255).astype(np.uint8)
    x, y, _, _ = GOLD.expected_box(400, 300)
    marked = blend(clean, GOLD, x + 3, y - 2)
    hit = locate(marked, GOLD)
    assert hit.found and (hit.x, hit.y) == (x + 3, y - 2), hit
    restored = restore(marked, GOLD, hit)
    assert psnr(restored.image, clean, restored.residue == 0) >= 40.0
    assert not locate(clean, GOLD).found


def test_cli_capture_takes_its_margins_from_the_corner_given(tmp_path: Path) -> None:
    small = SAMPLE.alpha[::2, ::2].copy()
    top_left = MarkTemplate(
        "t", small, (255, 255, 255), "top-left", (Placement(0, 0, None, 12, 9),)
    )
    (tmp_path / "capture.png").write_bytes(
        png_bytes(blend(np.zeros((200, 300, 3), np.uint8), top_left, 12, 9))
    )
    clean = textured(300, 400, seed=3)
    (tmp_path / "marked.png").write_bytes(png_bytes(blend(clean, top_left, 12, 9)))
    done = run_pictor(
        tmp_path, "remove-watermark", "marked.png", "--capture", "capture.png",
        "--corner", "top-left", "-o", "out.png",
    )  # fmt: skip
    assert done.returncode == 0 and ", found)" in done.stdout, done.stdout + done.stderr
    restored = png_pixels((tmp_path / "out.png").read_bytes())
    assert psnr(restored[9:57, 12:60], clean[9:57, 12:60]) >= 40.0
    wrong = run_pictor(
        tmp_path, "remove-watermark", "marked.png", "--capture", "capture.png",
        "--corner", "middle", "-o", "x.png",
    )  # fmt: skip
    assert wrong.returncode == 2 and "invalid_request" in wrong.stderr


def test_placement_rules_choose_the_mark_size_and_margins_by_image_size() -> None:
    assert SAMPLE.expected_box(800, 600) == (800 - 32 - 48, 600 - 32 - 48, 48, 48)
    assert SAMPLE.expected_box(1200, 1100) == (1200 - 64 - 96, 1100 - 64 - 96, 96, 96)
    assert SAMPLE.expected_box(1200, 1000)[2] == 48, "both sides must pass the rule's minimum"
    clean = textured(1100, 1200, seed=9)
    x, y, w, h = SAMPLE.expected_box(1200, 1100)
    marked = blend(clean, SAMPLE, x, y)
    hit = locate(marked, SAMPLE)
    assert hit.found and (hit.x, hit.y, hit.w, hit.h) == (x, y, w, h)
    restored = restore(marked, SAMPLE, hit)
    assert psnr(restored.image[y : y + h, x : x + w], clean[y : y + h, x : x + w]) >= 40.0


def test_cli_erase_takes_the_mask_threshold(tmp_path: Path) -> None:
    (tmp_path / "photo.png").write_bytes(png_bytes(textured()))
    grey = np.zeros((240, 320), np.uint8)
    grey[50:80, 60:120] = 100  # a soft-brush mask: grey, not white
    (tmp_path / "mask.png").write_bytes(png_bytes(grey))
    default = run_pictor(tmp_path, "erase", "photo.png", "--mask", "mask.png", "-o", "a.png")
    assert default.returncode == 2 and "empty_mask" in default.stderr
    low = run_pictor(
        tmp_path, "erase", "photo.png", "--mask", "mask.png", "--threshold", "90", "-o", "b.png"
    )
    assert low.returncode == 0 and "1800 px erased" in low.stdout, low.stderr
