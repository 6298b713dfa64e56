"""The inpainter Protocol and the array types it speaks."""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from pictor.engines.availability import Availability
from pictor.errors import InvalidImage

RGBImage = NDArray[np.uint8]
"""An H x W x 3 array, RGB order, uint8."""

Mask = NDArray[np.uint8]
"""An H x W array: 255 where pixels are to be filled, 0 where they are kept."""


class Inpainter(Protocol):
    @property
    def engine_id(self) -> str:
        """Recorded on every output, e.g. ``"opencv:telea"`` or ``"onnx:lama.onnx"``."""
        ...

    def availability(self) -> Availability:
        """Whether this engine can run here, and if not, why (named setting, missing file)."""
        ...

    def inpaint(self, image: RGBImage, mask: Mask) -> RGBImage:
        """Return ``image`` with the pixels where ``mask`` is 255 filled in.

        Pixels where ``mask`` is 0 come back unchanged; the result has the image's shape.
        """
        ...


def check_pair(image: RGBImage, mask: Mask) -> None:
    """Refuse arrays an engine cannot take, with a clear error instead of a cv2 assert."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise InvalidImage(
            f"expected an H x W x 3 uint8 RGB image, got {image.dtype} {list(image.shape)}",
            code="unsupported_image_layout",
        )
    if mask.shape != image.shape[:2] or mask.dtype != np.uint8:
        raise InvalidImage(
            f"the mask is {mask.dtype} {list(mask.shape)}, the image {list(image.shape[:2])}",
            code="mask_size_mismatch",
        )
