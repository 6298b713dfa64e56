"""Synthetic test images for inpainting: smooth, known, and cheap to make."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def gradient(height: int = 240, width: int = 320) -> NDArray[np.uint8]:
    """A smooth colour ramp: a good inpainter restores a hole in it almost exactly."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    image = np.dstack(
        [
            40 + 160 * xx / max(1, width - 1),
            30 + 180 * yy / max(1, height - 1),
            120 + 60 * np.sin(xx / width * np.pi) * np.cos(yy / height * np.pi),
        ]
    )
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def textured(height: int = 240, width: int = 320, seed: int = 7) -> NDArray[np.uint8]:
    """A gradient with fine noise, so correlation has texture to work with."""
    rng = np.random.default_rng(seed)
    noise = rng.integers(-18, 19, (height, width, 3))
    return np.clip(gradient(height, width).astype(np.int32) + noise, 0, 255).astype(np.uint8)


def rect_mask(height: int, width: int, x: int, y: int, w: int, h: int) -> NDArray[np.uint8]:
    mask = np.zeros((height, width), np.uint8)
    mask[y : y + h, x : x + w] = 255
    return mask


def png_bytes(pixels: NDArray[np.uint8]) -> bytes:
    """Encode pixels (H x W, H x W x 3 or x 4) as PNG."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def png_pixels(data: bytes) -> NDArray[np.uint8]:
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(data)))
