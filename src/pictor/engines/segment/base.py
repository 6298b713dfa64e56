"""The segmenter plug-in family."""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from pictor.engines.availability import Availability

RGBImage = NDArray[np.uint8]
"""An H x W x 3 array, RGB order, uint8."""

Alpha = NDArray[np.float32]
"""An H x W array of opacity in [0, 1]: 1 is foreground."""


class Segmenter(Protocol):
    @property
    def engine_id(self) -> str:
        """Recorded on every output, e.g. ``"classical"`` or ``"onnx:isnet.onnx"``."""
        ...

    def availability(self) -> Availability:
        """Whether this engine can run here, and if not, why (named setting, missing file)."""
        ...

    def predict_alpha(self, image: RGBImage, *, refine_edges: bool = True) -> Alpha:
        """Return the foreground alpha of ``image`` at its full resolution.

        With ``refine_edges`` the alpha is refined against the full-resolution image
        (soft edges, hair); without it the upsampled mask is returned as is.
        """
        ...
