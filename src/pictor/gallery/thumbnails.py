"""Gallery thumbnails: a small WebP of an output, made from its stored bytes."""

from __future__ import annotations

from pictor.engines.logo.render import render_png
from pictor.images.decode import decode_image
from pictor.images.encode import make_thumbnail
from pictor.images.limits import HARD_MAX_SIDE, ImageLimits

RASTER_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "image/bmp"})
SVG_TYPE = "image/svg+xml"

#: Outputs are our own files, not untrusted uploads: the widest limits pictor allows.
OUTPUT_LIMITS = ImageLimits(max_bytes=512 * 1024 * 1024, min_side=1, max_side=HARD_MAX_SIDE)


def can_thumbnail(content_type: str) -> bool:
    return content_type in RASTER_TYPES or content_type == SVG_TYPE


def thumbnail_key(owner_id: str, item_id: str) -> str:
    """One key per item: two racing makers write the same bytes to the same place."""
    return f"{owner_id}/thumbnails/{item_id}.webp"


def render_thumbnail(data: bytes, content_type: str, max_side: int) -> bytes:
    """A WebP of at most ``max_side`` px on its longest side (never upscaled).

    CPU work: call it off the event loop. ``content_type`` must pass ``can_thumbnail``.
    """
    if content_type == SVG_TYPE:
        # Only logo jobs make SVGs; rendered straight at thumbnail size.
        data = render_png(data.decode("utf-8"), max_side)
    elif content_type not in RASTER_TYPES:
        raise ValueError(f"no thumbnail for {content_type}")
    decoded = decode_image(data, OUTPUT_LIMITS)
    try:
        return make_thumbnail(decoded.image, max_side)
    finally:
        decoded.image.close()
