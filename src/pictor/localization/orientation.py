"""The ad as it is displayed: EXIF orientation decides what "keep" the aspect ratio means.

A phone photo is often stored landscape with an EXIF tag saying "turn it a quarter":
its header size is not the size people see. An engine that sends the file as
uploaded must not trust that header for such a file.
"""

from __future__ import annotations

import io

from PIL import Image

from pictor.images.decode import ImageHeader, decode_image_header

#: EXIF tag 0x0112; 1 (or absent) means the stored pixels are upright.
ORIENTATION_TAG = 0x0112
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def exif_orientation(data: bytes) -> int:
    """The file's EXIF orientation (1-8); 1 when absent or unreadable. No pixels decoded."""
    if data.startswith(PNG_SIGNATURE) and b"eXIf" not in data:
        # Pillow's PNG getexif() decodes every pixel looking for an eXIf chunk after the
        # image data (~14 ms for a 1024 px photo, on the event loop, once per language).
        return 1
    try:
        with Image.open(io.BytesIO(data)) as image:
            value = image.getexif().get(ORIENTATION_TAG, 1)
    except Exception:  # hostile EXIF: decode_image ignores it too (and says so)
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def upright_header(data: bytes) -> ImageHeader | None:
    """The file's header when its stored pixels are what is displayed, else None.

    None for orientations 2-8 (turned or mirrored) and for headers that cannot be read:
    the caller then decodes (``decode_image`` applies the orientation) and re-encodes,
    so the size, the aspect ratio and the pixels sent all follow the displayed image.
    """
    header = decode_image_header(data)
    if header is None or exif_orientation(data) != 1:
        return None
    return header
