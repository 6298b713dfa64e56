"""The OpenCV engine's choice of strategy per mask, and its promise: same pixels as cv2."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from tests.inpaint.synthetic import textured

from pictor.engines.inpaint.crops import CELL, Window, windows
from pictor.engines.inpaint.opencv import CALL_COST_PX, WINDOW_SHARE, OpenCvInpainter

Mask = NDArray[np.uint8]
FLAGS = {"telea": cv2.INPAINT_TELEA, "ns": cv2.INPAINT_NS}


def _mask(height: int, width: int, *boxes: tuple[int, int, int, int]) -> Mask:
    """A 0/255 mask with ``(x, y, w, h)`` boxes set."""
    mask = np.zeros((height, width), np.uint8)
    for x, y, w, h in boxes:
        mask[y : y + h, x : x + w] = 255
    return mask


def _masks() -> dict[str, Mask]:
    """Shapes that stress the windows: frame edges, nesting, near and far parts, specks."""
    rng = np.random.default_rng(11)
    blobs = (cv2.GaussianBlur(rng.random((300, 400)), (0, 0), 6) > 0.56).astype(np.uint8) * 255
    ring = _mask(300, 400, (100, 80, 120, 100))
    ring[95:165, 115:205] = 0
    ring[125:135, 155:165] = 255  # a dot inside the ring's hole
    specks = np.zeros((300, 400), np.uint8)
    specks[5:295:23, 3:398:29] = 255
    return {
        "block": _mask(300, 400, (150, 100, 80, 50)),
        "frame edges": _mask(300, 400, (0, 0, 40, 6), (390, 120, 10, 60), (0, 250, 3, 50)),
        "scratches": _mask(300, 400, (10, 40, 380, 3), (200, 0, 2, 300), (30, 200, 150, 4)),
        "near parts": _mask(300, 400, (50, 50, 30, 30), (100, 50, 30, 30)),  # 20 px apart
        "far parts": _mask(300, 400, (20, 20, 30, 30), (300, 220, 30, 30)),
        "ring and dot": ring,
        "specks": specks,
        "blobs": blobs,
    }


@pytest.mark.parametrize("method", ["telea", "ns"])
@pytest.mark.parametrize("strategy", ["auto", "crop"])
@pytest.mark.parametrize("name", sorted(_masks()))
def test_every_plan_gives_the_pixels_of_one_full_frame_cv2_call(
    method: str, strategy: str, name: str
) -> None:
    image = textured(300, 400)
    mask = _masks()[name]
    engine = OpenCvInpainter(method, strategy=strategy)  # type: ignore[arg-type]
    bare = cv2.inpaint(image, mask, float(engine.radius), FLAGS[method])
    assert np.array_equal(engine.inpaint(image, mask), bare)


@pytest.mark.parametrize("radius", [1, 3, 9])
def test_the_same_pixels_hold_for_other_radii_at_the_smallest_pad(radius: int) -> None:
    image = textured(300, 400)
    pad = 2 * radius + 2
    for mask in _masks().values():
        engine = OpenCvInpainter("telea", radius=radius, strategy="crop", pad=pad)
        bare = cv2.inpaint(image, mask, float(radius), cv2.INPAINT_TELEA)
        assert np.array_equal(engine.inpaint(image, mask), bare)


def test_any_non_zero_mask_value_is_filled_like_255() -> None:
    image = textured(300, 400)
    mask = _masks()["blobs"]
    engine = OpenCvInpainter("telea")
    assert np.array_equal(engine.inpaint(image, mask // 255), engine.inpaint(image, mask))


@pytest.mark.parametrize("seed", range(6))
def test_windows_are_disjoint_and_hold_every_masked_pixel_away_from_their_edges(
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    height, width, pad = 333, 517, 10
    mask = np.zeros((height, width), np.uint8)
    for _ in range(int(rng.integers(1, 60))):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        mask[y : y + int(rng.integers(1, 25)), x : x + int(rng.integers(1, 25))] = 255
    parts = windows(mask, pad)
    count = np.zeros((height, width), np.int32)
    for part in parts:
        count[part.y0 : part.y1, part.x0 : part.x1] += 1
        ys, xs = np.nonzero(part.of(mask))
        # pad px to every edge of the window, unless that edge is the frame's.
        assert part.y0 == 0 or ys.min() >= pad
        assert part.x0 == 0 or xs.min() >= pad
        assert part.y1 == height or (part.y1 - part.y0) - 1 - ys.max() >= pad
        assert part.x1 == width or (part.x1 - part.x0) - 1 - xs.max() >= pad
    assert count.max() == 1, "windows overlap"
    assert np.all(count[mask > 0] == 1), "a masked pixel is outside every window"


def test_a_small_mark_on_a_large_frame_is_filled_in_one_small_window() -> None:
    mask = _mask(3000, 4000, (3800, 2900, 120, 60))  # a corner watermark on 12 MP
    plan = OpenCvInpainter().plan(mask)
    assert not plan.full_frame and len(plan.windows) == 1
    assert plan.windows[0] == Window(2900 - 16, 2960 + 16, 3800 - 16, 3920 + 16)
    assert plan.cost_px < 0.01 * plan.full_frame_cost_px


def test_parts_far_apart_get_a_window_each_and_near_parts_share_one() -> None:
    far = OpenCvInpainter().plan(_mask(1000, 1000, (100, 100, 40, 40), (500, 600, 40, 40)))
    assert len(far.windows) == 2 and not far.full_frame
    near = OpenCvInpainter().plan(_mask(1000, 1000, (100, 100, 40, 40), (150, 100, 40, 40)))
    assert near.windows == (Window(84, 156, 84, 206),)


def test_a_mask_spread_over_the_frame_is_filled_in_one_full_frame_call() -> None:
    mask = np.zeros((600, 800), np.uint8)
    mask[::36, :] = 255  # scratches across the frame: their windows cover most of it
    plan = OpenCvInpainter().plan(mask)
    assert plan.full_frame and plan.windows == ()
    assert sum(w.area for w in windows(mask, 16)) > WINDOW_SHARE * mask.size
    # Scratches further apart get a window each, together under the share: windows win.
    sparse = np.zeros((600, 800), np.uint8)
    sparse[::75, :] = 255
    assert len(OpenCvInpainter().plan(sparse).windows) == 8


def test_many_separate_specks_share_one_enclosing_window_when_calls_would_cost_more() -> None:
    mask = np.zeros((2000, 2000), np.uint8)
    mask[400:1000:48, 400:1000:48] = 255  # 13 x 13 specks, each far from the others
    assert len(windows(mask, 16)) == 169
    plan = OpenCvInpainter().plan(mask)
    assert plan.windows == (Window(400 - 16, 977 + 16, 400 - 16, 977 + 16),)
    assert plan.cost_px < 169 * CALL_COST_PX


def test_specks_all_over_the_frame_are_filled_full_frame() -> None:
    mask = np.zeros((1000, 1000), np.uint8)
    mask[10::48, 10::48] = 255
    assert OpenCvInpainter().plan(mask).full_frame


def test_an_empty_mask_plans_nothing_and_returns_the_image_unchanged() -> None:
    image = textured(60, 80)
    engine = OpenCvInpainter()
    empty = np.zeros((60, 80), np.uint8)
    assert engine.plan(empty).empty
    out = engine.inpaint(image, empty)
    assert np.array_equal(out, image) and out is not image


def test_the_full_strategy_never_uses_windows() -> None:
    plan = OpenCvInpainter(strategy="full").plan(_mask(1000, 1000, (10, 10, 5, 5)))
    assert plan.full_frame and plan.windows == ()


def test_a_pad_too_small_for_the_same_pixels_is_refused() -> None:
    with pytest.raises(ValueError, match="pad"):
        OpenCvInpainter(radius=5, pad=11)
    with pytest.raises(ValueError, match="strategy"):
        OpenCvInpainter(strategy="tiles")  # type: ignore[arg-type]


def test_windows_follow_the_grid_cell_they_are_found_on() -> None:
    # Parts closer than 2 * pad share a window whatever the grid; this pair is further
    # apart than 2 * (pad + CELL), so no cell rounding can join them.
    gap = 2 * (16 + CELL) + 1
    mask = _mask(200, 400, (10, 10, 20, 20), (30 + gap, 10, 20, 20))
    assert len(windows(mask, 16)) == 2
