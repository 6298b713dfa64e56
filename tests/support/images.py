"""Small real images for tests, made on the fly."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def product_photo(width: int = 320, height: int = 240, fmt: str = "JPEG") -> bytes:
    """A red box on a light studio background: easy to check after cut-out."""
    rgb = np.full((height, width, 3), 238, np.uint8)
    y0, y1 = height // 4, 3 * height // 4
    x0, x1 = width // 3, 2 * width // 3
    rgb[y0:y1, x0:x1] = (190, 30, 40)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, fmt)
    return buf.getvalue()


def open_image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image
