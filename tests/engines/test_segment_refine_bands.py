"""The banded full-resolution step of ``refine_alpha`` against a whole-image reference."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from pictor.engines.segment import refine
from pictor.engines.segment.refine import BAND_ROWS, refine_alpha


def _scene(h: int, w: int) -> tuple[NDArray[np.uint8], NDArray[np.float32]]:
    """A textured two-colour scene and a coarse (blocky, offset) mask of its disc."""
    rng = np.random.default_rng(h * 7 + w)
    yy, xx = np.mgrid[0:h, 0:w]
    disc = (yy - h / 2) ** 2 + (xx - w / 2) ** 2 < (min(h, w) / 3) ** 2
    image = np.where(disc[..., None], (200, 60, 40), (40, 90, 200)).astype(np.float32)
    image += rng.normal(0.0, 12.0, image.shape)
    image = np.clip(image, 0, 255).astype(np.uint8)
    coarse = cv2.resize(disc.astype(np.float32), (w // 16, h // 16), interpolation=cv2.INTER_AREA)
    alpha = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_LINEAR)
    return image, np.roll(alpha, 5, axis=1).astype(np.float32)


def _whole_image_reference(image: NDArray[np.uint8], alpha: NDArray[np.float32]) -> NDArray[Any]:
    """The fast guided filter with full-size arrays: resize the coefficients, then apply."""
    h, w = alpha.shape
    radius = max(2, round(max(h, w) / 80))
    scale = max(1, radius // 4)
    rgb = image.astype(np.float32) / np.float32(255.0)
    small = (w // scale, h // scale)
    g_small = cv2.resize(rgb, small, interpolation=cv2.INTER_AREA)
    p_small = cv2.resize(alpha, small, interpolation=cv2.INTER_AREA)
    coef, b = refine._colour_coefficients(g_small, p_small, radius // scale, 1e-3)
    coef = cv2.resize(coef, (w, h), interpolation=cv2.INTER_LINEAR)
    b = cv2.resize(b, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.clip(np.einsum("ijk,ijk->ij", coef, rgb) + b, 0.0, 1.0)


@pytest.mark.parametrize(
    "size",
    [
        (3 * BAND_ROWS, 1200),  # whole bands, integer row ratio
        (2 * BAND_ROWS + 37, 997),  # a partial last band, non-integer ratios
        (BAND_ROWS - 5, 1600),  # a single band
    ],
)
def test_banded_refinement_equals_whole_image_refinement(size: tuple[int, int]) -> None:
    image, alpha = _scene(*size)
    refined = refine_alpha(image, alpha)
    expected = _whole_image_reference(image, alpha)
    assert refined.dtype == np.float32 and refined.shape == alpha.shape
    assert float(np.abs(refined - expected).max()) < 1e-5
    # and the refinement did something: the blocky mask edge moved
    assert float(np.abs(refined - alpha).max()) > 0.1
