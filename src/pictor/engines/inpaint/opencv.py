"""The weight-free inpainter: OpenCV's Telea (fast marching) and Navier-Stokes methods.

Both fill a hole from its border inwards, so they suit thin or small regions
(watermarks, captions, blemishes, wires) and smear large textured areas. With the crop
strategy (the default) each part of the mask is filled in a window padded by
``pad`` pixels, which gives the same pixels as a full-frame call (the methods only
read ``radius`` pixels around the hole) at a fraction of the cost on large images.
"""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np

from pictor.engines.availability import Availability
from pictor.engines.inpaint.base import Mask, RGBImage, check_pair
from pictor.engines.inpaint.crops import inpaint_by_windows

Method = Literal["telea", "ns"]
Strategy = Literal["crop", "full"]
_FLAGS = {"telea": cv2.INPAINT_TELEA, "ns": cv2.INPAINT_NS}
DEFAULT_RADIUS = 4


class OpenCvInpainter:
    """An ``Inpainter`` over ``cv2.inpaint``; cheap to build and picklable."""

    def __init__(
        self,
        method: Method = "telea",
        *,
        radius: int = DEFAULT_RADIUS,
        strategy: Strategy = "crop",
        pad: int | None = None,
    ) -> None:
        if method not in _FLAGS:
            raise ValueError(f"method must be telea or ns, got {method!r}")
        if not 1 <= radius <= 64:
            raise ValueError(f"radius must be 1 to 64 px, got {radius}")
        self.method: Method = method
        self.radius = radius
        self.strategy: Strategy = strategy
        # Both methods read `radius` px around the hole; a little more keeps the window's
        # own border out of every neighbourhood they look at.
        self.pad = pad if pad is not None else 2 * radius + 8

    @property
    def engine_id(self) -> str:
        """``"opencv:telea"`` or ``"opencv:ns"``."""
        return f"opencv:{self.method}"

    def availability(self) -> Availability:
        """Always available: OpenCV is a dependency and needs no weights."""
        return Availability.ok(f"OpenCV {cv2.__version__}, no weights")

    def inpaint(self, image: RGBImage, mask: Mask) -> RGBImage:
        """Fill the pixels where ``mask`` is 255; other pixels come back unchanged."""
        check_pair(image, mask)
        binary = np.where(mask > 0, 255, 0).astype(np.uint8)
        if self.strategy == "full":
            return self._fill(image, binary)
        return inpaint_by_windows(image, binary, self.pad, self._fill)

    def _fill(self, image: RGBImage, mask: Mask) -> RGBImage:
        filled = cv2.inpaint(image, mask, float(self.radius), _FLAGS[self.method])
        out: RGBImage = np.asarray(filled, dtype=np.uint8)
        return out
