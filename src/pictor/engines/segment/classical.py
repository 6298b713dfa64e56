"""The offline, no-weights segmenter: border background models, graph cut, guided filter.

The work is done at a small working resolution (at most ``WORK_PIXELS``):

1. background distance maps from models of the border strip (smooth surface and
   colour clusters, plain and shadow tolerant; see ``classical_bgmodel``);
2. a first mask by an adaptive threshold, minus whatever reaches the frame's
   background through soft edges only (cast shadows, spotlights, vignettes), cleaned
   with morphology, the product's components kept, enclosed holes filled unless they
   look like background (``classical_mask``);
3. GrabCut initialised from that mask (sure/probable labels, two iterations, at
   ``GRAPH_CUT_PIXELS``) so colour models of the product and its edges settle the cut;
4. boundary placed at half contrast, thin parts given back, bands that cut the
   product in two bridged (``classical_edges``);

then the mask is upsampled and refined against the full-resolution image with the
guided filter, which gives soft, edge-aware alpha.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from pictor.engines.availability import Availability
from pictor.engines.segment.base import Alpha, RGBImage
from pictor.engines.segment.classical_bgmodel import background_distance, border_mask
from pictor.engines.segment.classical_edges import (
    bridge_cut_bands,
    restore_thin_parts,
    snap_to_half_contrast,
)
from pictor.engines.segment.classical_mask import first_mask, graph_cut
from pictor.engines.segment.refine import refine_alpha
from pictor.errors import InvalidImage

WORK_PIXELS = 300_000
"""Upper bound on the pixel count of the working resolution."""

GRAPH_CUT_PIXELS = 40_000
"""Pixel count at which GrabCut runs (it is the costly step; the boundary is refined later)."""


class ClassicalSegmenter:
    """Background removal without model weights, tuned for product photos.

    Stateless apart from its settings, so it is cheap to build and pickles into the
    child processes of a process pool. Output is deterministic.

    An image with no foreground to find (one flat colour, or background only)
    yields an all-zero alpha: everything is background.
    """

    engine_id = "classical"

    def __init__(self, *, work_pixels: int = WORK_PIXELS, use_graph_cut: bool = True) -> None:
        self.work_pixels = work_pixels
        self.use_graph_cut = use_graph_cut

    def availability(self) -> Availability:
        """Always available: it needs only OpenCV and NumPy."""
        return Availability.ok("classical segmentation, no model weights")

    def predict_alpha(self, image: RGBImage, *, refine_edges: bool = True) -> Alpha:
        """Return the foreground alpha of ``image`` (float32, H x W, in [0, 1]).

        Without ``refine_edges`` the alpha is the upsampled mask thresholded to 0/1.
        """
        _check(image)
        h, w = image.shape[:2]
        small = _resize_to(image, self.work_pixels)
        mask = self.predict_mask_small(small)
        up = np.asarray(cv2.resize(mask, (w, h), interpolation=cv2.INTER_LINEAR), np.float32)
        if not refine_edges:
            return (up > 0.5).astype(np.float32)
        return refine_alpha(image, up)

    def predict_mask_small(self, small: RGBImage) -> NDArray[np.float32]:
        """The 0/1 foreground mask at the working resolution of ``small``."""
        h, w = small.shape[:2]
        rgb = small.astype(np.float32) / 255.0
        lab = np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB), np.float32)
        sigma = max(0.6, min(h, w) / 400.0)
        lab = np.asarray(cv2.GaussianBlur(lab, (0, 0), sigma), np.float32)
        border = border_mask(h, w)
        dist, dist_plain = background_distance(lab, border)
        first = first_mask(dist, dist_plain, lab, border)
        mask = first.mask
        if not mask.any():
            return mask.astype(np.float32)
        if self.use_graph_cut:
            mask = graph_cut(small, mask, dist, (first.low, first.high), GRAPH_CUT_PIXELS)
        mask = snap_to_half_contrast(mask, dist)
        mask = restore_thin_parts(mask, first.raw)
        mask = bridge_cut_bands(mask)
        return mask.astype(np.float32)


def _check(image: RGBImage) -> None:
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise InvalidImage(
            f"expected an RGB uint8 H x W x 3 array, got {image.dtype} {image.shape}",
            code="invalid_image",
        )
    if image.shape[0] < 2 or image.shape[1] < 2:
        raise InvalidImage("image is smaller than 2 x 2 pixels", code="image_too_small")


def _resize_to(image: RGBImage, max_pixels: int) -> RGBImage:
    h, w = image.shape[:2]
    scale = min(1.0, (max_pixels / float(h * w)) ** 0.5)
    if scale >= 1.0:
        return image
    size = (max(2, round(w * scale)), max(2, round(h * scale)))
    out = np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), np.uint8)
    return out
