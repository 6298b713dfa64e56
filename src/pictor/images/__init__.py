"""Untrusted image input and clean image output.

``decode_image`` validates and decodes uploads (size, magic bytes, declared
dimensions, then pixels); ``encode_image`` writes metadata-free outputs; the
``alpha`` module holds pure numpy alpha operations.
"""

from pictor.images.alpha import (
    alpha_to_mask_image,
    apply_alpha,
    composite_on_color,
    parse_color,
    trim_to_content,
)
from pictor.images.decode import (
    DecodedImage,
    ImageFormat,
    ImageHeader,
    decode_image,
    decode_image_header,
    sniff_format,
)
from pictor.images.encode import OutputFormat, content_type_for, encode_image, make_thumbnail
from pictor.images.limits import HARD_MAX_SIDE, ImageLimits

__all__ = [
    "HARD_MAX_SIDE",
    "DecodedImage",
    "ImageFormat",
    "ImageHeader",
    "ImageLimits",
    "OutputFormat",
    "alpha_to_mask_image",
    "apply_alpha",
    "composite_on_color",
    "content_type_for",
    "decode_image",
    "decode_image_header",
    "encode_image",
    "make_thumbnail",
    "parse_color",
    "sniff_format",
    "trim_to_content",
]
