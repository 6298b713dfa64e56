"""Why an image was refused. Each class has a stable ``code`` clients can branch on."""

from __future__ import annotations

from pictor.errors import InvalidImage, InvalidInput


class EmptyFile(InvalidImage):
    code = "empty_file"


class FileTooLarge(InvalidImage):
    code = "file_too_large"


class UnsupportedFormat(InvalidImage):
    """Anything that is not JPEG, PNG, WebP or BMP: GIF, TIFF, SVG, HEIC, text, ..."""

    code = "unsupported_format"


class ImageTooSmall(InvalidImage):
    code = "image_too_small"


class ImageTooLarge(InvalidImage):
    """A side is longer than the configured ``max_side``."""

    code = "image_too_large"


class DecompressionBomb(InvalidImage):
    """The header declares more pixels than ``max_pixels``; refused before decoding."""

    code = "decompression_bomb"


class TruncatedImage(InvalidImage):
    code = "truncated_image"


class CorruptImage(InvalidImage):
    code = "corrupt_image"


class InvalidColor(InvalidInput):
    code = "invalid_color"


class InvalidOutputFormat(InvalidInput):
    code = "invalid_output_format"
