"""Gaps found in the issue-3 review: coloured marks on any background."""

from __future__ import annotations

import numpy as np
import pytest
from tests.inpaint.synthetic import textured

from pictor.engines.inpaint.reverse_alpha import blend, locate, psnr, restore
from pictor.engines.inpaint.templates import MarkTemplate, builtin_templates

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
