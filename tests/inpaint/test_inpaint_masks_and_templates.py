"""Mask rules and reverse alpha on synthetic images (no server)."""

from __future__ import annotations

import numpy as np
import pytest
from tests.inpaint.synthetic import textured

from pictor.engines.inpaint.mask import (
    MaskSizeMismatch,
    fill_with_feather,
    fit_mask,
    grow,
    mask_from_image,
    polygon_area,
    rasterize,
)
from pictor.engines.inpaint.opencv import OpenCvInpainter
from pictor.engines.inpaint.reverse_alpha import blend, locate, psnr, restore
from pictor.engines.inpaint.templates import (
    MarkTemplate,
    alpha_from_capture,
    builtin_templates,
    decode_alpha,
    encode_alpha,
)

SAMPLE = builtin_templates()[0]


def test_white_is_removed_unless_the_mask_has_transparency() -> None:
    rgb = np.zeros((4, 4, 3), np.uint8)
    rgb[0, 0] = 255
    assert mask_from_image(rgb)[0, 0] == 255 and mask_from_image(rgb).sum() == 255
    rgba = np.dstack([np.full((4, 4, 3), 255, np.uint8), np.full((4, 4), 255, np.uint8)])
    assert mask_from_image(rgba).all(), "opaque white everywhere: all removed"
    rgba[1, 1, 3] = 0
    transparent = mask_from_image(rgba)
    assert transparent[1, 1] == 255 and transparent.sum() == 255, "transparency wins"


def test_a_mask_of_another_size_is_refused_or_resized_nearest() -> None:
    small = np.zeros((10, 20), np.uint8)
    small[2:4, 2:4] = 255
    with pytest.raises(MaskSizeMismatch):
        fit_mask(small, 40, 20, resize=False)
    resized = fit_mask(small, 40, 20, resize=True)
    assert resized.shape == (20, 40) and set(np.unique(resized)) == {0, 255}
    assert resized[4:8, 4:8].all()


def test_shapes_are_rasterized_and_clipped_to_the_frame() -> None:
    mask = rasterize(10, 10, rects=[(8, 8, 5, 5)], polygons=[[(0, 0), (4, 0), (0, 4)]])
    assert mask[8:, 8:].all() and mask.shape == (10, 10)
    assert mask[0, 0] == 255 and mask[4, 4] == 0
    assert polygon_area([(0, 0), (4, 0), (0, 4)]) == 8.0
    assert polygon_area([(1, 1), (5, 5), (9, 9)]) == 0.0
    grown = grow(rasterize(21, 21, rects=[(10, 10, 1, 1)]), 3) > 0
    ys, xs = np.nonzero(grown)
    assert (ys.min(), ys.max(), xs.min(), xs.max()) == (7, 13, 7, 13), "3 px each way"
    assert not grown[7, 7], "a round brush leaves the corners"


def test_feather_blends_a_soft_edge_outside_the_mask_only() -> None:
    image = textured(80, 80)
    image[30:50, 30:50] = 0
    mask = rasterize(80, 80, rects=[(30, 30, 20, 20)])
    hard = fill_with_feather(image, mask, 0, OpenCvInpainter().inpaint)
    soft = fill_with_feather(image, mask, 4, OpenCvInpainter().inpaint)
    assert np.array_equal(hard[mask == 0], image[mask == 0])
    far = grow(mask, 8) == 0
    assert np.array_equal(soft[far], image[far]), "pixels past the feather are kept"
    assert not np.array_equal(
        soft[(grow(mask, 4) > 0) & (mask == 0)], image[(grow(mask, 4) > 0) & (mask == 0)]
    )


def test_reverse_alpha_restores_the_original_and_finds_nothing_on_a_clean_image() -> None:
    clean = textured(300, 400)
    x, y, _, _ = SAMPLE.expected_box(400, 300)
    marked = blend(clean, SAMPLE, x - 5, y + 4)
    hit = locate(marked, SAMPLE)
    assert hit.found and (hit.x, hit.y) == (x - 5, y + 4)
    restored = restore(marked, SAMPLE, hit)
    assert not restored.residue.any()
    assert psnr(restored.image, clean) >= 40.0
    assert psnr(marked, clean) < 40.0
    assert not locate(clean, SAMPLE).found


def test_opaque_and_saturated_pixels_are_left_as_residue() -> None:
    clean = textured(300, 400)
    opaque = MarkTemplate(
        "opaque", np.clip(SAMPLE.alpha * 2, 0, 1).astype(np.float32), placements=SAMPLE.placements
    )
    x, y, _, _ = opaque.expected_box(400, 300)
    marked = blend(clean, opaque, x, y)
    restored = restore(marked, opaque, locate(marked, opaque))
    residue = restored.residue > 0
    assert residue.any()
    assert (opaque.alpha_for(400, 300) >= 0.95).sum() <= residue.sum()
    assert psnr(restored.image, clean, ~residue) >= 40.0


def test_alpha_survives_a_capture_and_storage() -> None:
    frame = np.zeros((120, 160, 3), np.uint8)
    gold = (255, 200, 40)
    captured = blend(frame, MarkTemplate("c", SAMPLE.alpha[::2, ::2].copy(), gold), 100, 60)
    alpha, box = alpha_from_capture(captured, gold)
    assert box[0] >= 100 and box[1] >= 60
    assert abs(float(alpha.max()) - float(SAMPLE.alpha.max())) < 0.01
    assert np.abs(decode_alpha(encode_alpha(SAMPLE.alpha)) - SAMPLE.alpha).max() < 1e-4
