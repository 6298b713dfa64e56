"""Behaviour of the offline classical segmenter on generated product photos."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from pictor.engines.segment.base import Segmenter
from pictor.engines.segment.classical import ClassicalSegmenter
from pictor.errors import InvalidImage
from synthetic import generate


def _iou(pred: NDArray[np.float32], truth: NDArray[np.float32]) -> float:
    p, t = pred > 0.5, truth > 0.5
    return float(np.logical_and(p, t).sum() / np.logical_or(p, t).sum())


def _white_studio_sample(size: tuple[int, int]) -> tuple[NDArray[np.uint8], NDArray[np.float32]]:
    """The first solid-family sample whose backdrop is white (deterministic)."""
    for seed in range(100):
        image, alpha, _ = generate(seed, size, family="solid")
        if image[0, 0].min() >= 235:
            return image, alpha
    raise AssertionError("the generator made no white studio sample")


@pytest.fixture(scope="module")
def segmenter() -> ClassicalSegmenter:
    return ClassicalSegmenter()


def test_classical_segmenter_satisfies_the_segmenter_protocol() -> None:
    seg: Segmenter = ClassicalSegmenter()
    assert seg.engine_id == "classical"
    assert seg.availability().available


def test_product_on_white_studio_background_is_cut_out(segmenter: ClassicalSegmenter) -> None:
    image, truth = _white_studio_sample((320, 240))
    assert _iou(segmenter.predict_alpha(image), truth) >= 0.95


@pytest.mark.parametrize("seed", [1, 7, 9])
def test_product_on_gradient_sweep_with_drop_shadow_is_cut_out(
    segmenter: ClassicalSegmenter, seed: int
) -> None:
    image, truth, _ = generate(seed, (320, 240), family="gradient")
    assert _iou(segmenter.predict_alpha(image), truth) >= 0.95


def test_soft_floor_shadow_is_background(segmenter: ClassicalSegmenter) -> None:
    h, w = 240, 320
    product = np.zeros((h, w), np.float32)
    cv2.rectangle(product, (120, 60), (200, 170), 1.0, -1)
    shadow = cv2.GaussianBlur(np.roll(product, (14, 18), axis=(0, 1)), (0, 0), 7.0) * 0.4
    backdrop = np.full((h, w, 3), 245.0, np.float32) * (1.0 - shadow[..., None])
    colour = np.array([40.0, 90.0, 200.0], np.float32)
    image = colour * product[..., None] + backdrop * (1.0 - product[..., None])
    alpha = segmenter.predict_alpha(np.clip(image + 0.5, 0, 255).astype(np.uint8))
    shadow_only = (shadow > 0.1) & (product == 0)
    assert shadow_only.sum() > 500
    assert float((alpha[shadow_only] > 0.5).mean()) < 0.02
    assert _iou(alpha, product) >= 0.97


def test_alpha_is_float32_full_size_within_unit_range(segmenter: ClassicalSegmenter) -> None:
    image, _, _ = generate(3, (333, 211), family="textured")
    alpha = segmenter.predict_alpha(image)
    assert alpha.dtype == np.float32
    assert alpha.shape == (211, 333)
    assert float(alpha.min()) >= 0.0 and float(alpha.max()) <= 1.0


def test_refined_edges_are_soft_and_unrefined_edges_are_hard(
    segmenter: ClassicalSegmenter,
) -> None:
    image, truth, _ = generate(2, (320, 240), family="gradient")
    boundary = (truth > 0.01) & (truth < 0.99)
    soft = segmenter.predict_alpha(image, refine_edges=True)
    hard = segmenter.predict_alpha(image, refine_edges=False)
    between = (soft > 0.02) & (soft < 0.98)
    assert between[boundary].sum() >= 20
    assert set(np.unique(hard).tolist()) <= {0.0, 1.0}


def test_output_is_deterministic_across_instances_and_pickling() -> None:
    image, _, _ = generate(6, (300, 200), family="photo")
    first = ClassicalSegmenter().predict_alpha(image)
    clone = pickle.loads(pickle.dumps(ClassicalSegmenter()))
    np.testing.assert_array_equal(first, clone.predict_alpha(image))
    np.testing.assert_array_equal(first, ClassicalSegmenter().predict_alpha(image))


@pytest.mark.parametrize("size", [(200, 400), (50, 50), (1200, 90), (90, 1200)])
def test_odd_shapes_give_full_size_alpha(
    segmenter: ClassicalSegmenter, size: tuple[int, int]
) -> None:
    image, truth, _ = generate(4, size, family="solid")
    alpha = segmenter.predict_alpha(image)
    assert alpha.shape == (size[1], size[0])
    assert np.isfinite(alpha).all()
    assert float(alpha.min()) >= 0.0 and float(alpha.max()) <= 1.0
    if min(size) >= 200:
        assert _iou(alpha, truth) >= 0.9


def test_single_colour_image_is_all_background(segmenter: ClassicalSegmenter) -> None:
    image = np.full((120, 160, 3), (200, 30, 90), np.uint8)
    for refine in (True, False):
        alpha = segmenter.predict_alpha(image, refine_edges=refine)
        assert alpha.shape == (120, 160)
        assert float(alpha.max()) == 0.0


def test_non_rgb_input_is_refused(segmenter: ClassicalSegmenter) -> None:
    with pytest.raises(InvalidImage):
        segmenter.predict_alpha(np.zeros((10, 10), np.uint8))
    with pytest.raises(InvalidImage):
        segmenter.predict_alpha(np.zeros((10, 10, 3), np.float32))  # type: ignore[arg-type]
