"""Decode and validate untrusted image bytes.

Order matters: byte size, then magic bytes, then the dimensions the header
declares, and only then the pixels. Nothing about the upload is trusted except
its bytes: neither its file name nor the content type the client sent.

A file given as a path is never read into memory whole (see ``source``): an
upload costs its decoded pixels, not its bytes on top.
"""

from __future__ import annotations

import io
import pathlib
import struct
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
from PIL import Image, ImageCms, UnidentifiedImageError

from pictor.errors import InvalidImage
from pictor.images.errors import (
    CorruptImage,
    DecompressionBomb,
    EmptyFile,
    FileTooLarge,
    ImageTooLarge,
    ImageTooSmall,
    TruncatedImage,
    UnsupportedFormat,
)
from pictor.images.limits import HARD_MAX_SIDE, ImageLimits
from pictor.images.source import HEAD_BYTES, ImageSource, ends_early, trailing_bytes

ImageFormat = Literal["jpeg", "png", "webp", "bmp"]

# Pillow's own bomb guard is a backstop behind our header check: no configurable
# limit allows more than HARD_MAX_SIDE**2 pixels, so Pillow may refuse anything past it.
Image.MAX_IMAGE_PIXELS = HARD_MAX_SIDE * HARD_MAX_SIDE

_PIL_FORMATS: dict[ImageFormat, list[str]] = {
    "jpeg": ["JPEG"],
    "png": ["PNG"],
    "webp": ["WEBP"],
    "bmp": ["BMP"],
}
# BITMAPCOREHEADER, BITMAPINFOHEADER and its later versions; the size field makes
# "BM" at the start of a text file distinguishable from a bitmap.
_BMP_DIB_SIZES = {12, 40, 52, 56, 64, 108, 124}
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_SUPPORTED = "JPEG, PNG, WebP or BMP"


class ImageHeader(NamedTuple):
    format: ImageFormat
    width: int
    height: int


@dataclass(frozen=True)
class DecodedImage:
    """A validated image, ready for work.

    ``image`` is RGB or RGBA with EXIF orientation applied and, when the file
    carried a usable ICC profile, converted to sRGB. ``has_alpha`` is true when
    the image has an alpha channel (even a fully opaque one).
    """

    image: Image.Image
    format: ImageFormat
    width: int
    height: int
    has_alpha: bool
    frames_dropped: int = 0
    warnings: tuple[str, ...] = ()


def sniff_format(head: bytes) -> ImageFormat | None:
    """The format named by the magic bytes at the start of ``head``, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if len(head) >= 18 and head[:2] == b"BM":
        (dib_size,) = struct.unpack_from("<I", head, 14)
        if dib_size in _BMP_DIB_SIZES:
            return "bmp"
    return None


def describe_unsupported(head: bytes) -> str:
    """A human name for a format we refuse, for error messages."""
    text = head[:512].lstrip().lower()
    known = [
        (head.startswith((b"GIF87a", b"GIF89a")), "GIF"),
        (head.startswith((b"II*\x00", b"MM\x00*")), "TIFF"),
        (head[4:8] == b"ftyp" and head[8:12] in (b"avif", b"avis"), "AVIF"),
        (head[4:8] == b"ftyp", "HEIC/HEIF"),
        (head.startswith(b"%PDF"), "PDF"),
        (head.startswith(b"PK\x03\x04"), "ZIP"),
        (b"<svg" in text, "SVG"),
        (text.startswith((b"<!doctype html", b"<html")), "HTML"),
    ]
    for matched, name in known:
        if matched:
            return name
    return "an unrecognised format"


def decode_image_header(head: bytes) -> ImageHeader | None:
    """Format and declared size from the first bytes of a file, without Pillow.

    Raises UnsupportedFormat when the magic bytes are not ours; returns None when
    ``head`` is too short (or too odd) to find the dimensions in.
    """
    return _read_header(ImageSource.from_bytes(head))


def _read_header(source: ImageSource) -> ImageHeader | None:
    head = source.head
    fmt = sniff_format(head)
    if fmt is None:
        raise UnsupportedFormat(
            f"file is {describe_unsupported(head)}; send a {_SUPPORTED} image",
            details={"supported": ["jpeg", "png", "webp", "bmp"]},
        )
    try:
        # A JPEG's frame header may sit past the head (large EXIF or ICC segments):
        # its reader walks the segments through the whole source.
        size = _jpeg_size(source) if fmt == "jpeg" else _HEADER_READERS[fmt](head)
    except struct.error:
        return None
    return None if size is None else ImageHeader(fmt, *size)


def _png_size(head: bytes) -> tuple[int, int] | None:
    if head[12:16] != b"IHDR":
        return None
    width, height = struct.unpack_from(">II", head, 16)
    return width, height


def _jpeg_size(source: ImageSource) -> tuple[int, int] | None:
    pos = 2
    start, window = 0, source.head  # a HEAD_BYTES window, moved forward as the walk goes
    while pos + 4 <= source.size:
        if pos + 9 > start + len(window) and start + len(window) < source.size:
            start, window = pos, source.read_at(pos, HEAD_BYTES)
        segment = window[pos - start : pos - start + 9]
        if segment[0] != 0xFF:
            return None
        marker = segment[1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length field
            pos += 2
            continue
        if marker == 0xDA:  # start of scan: no frame header seen
            return None
        (length,) = struct.unpack_from(">H", segment, 2)
        if marker in _JPEG_SOF:
            height, width = struct.unpack_from(">HH", segment, 5)
            return width, height
        pos += 2 + length
    return None


def _webp_size(head: bytes) -> tuple[int, int] | None:
    chunk = head[12:16]
    if chunk == b"VP8X":
        w = int.from_bytes(head[24:27], "little") + 1
        h = int.from_bytes(head[27:30], "little") + 1
        return w, h
    if chunk == b"VP8L" and head[20:21] == b"\x2f":
        (bits,) = struct.unpack_from("<I", head, 21)
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and head[23:26] == b"\x9d\x01\x2a":
        w, h = struct.unpack_from("<HH", head, 26)
        return w & 0x3FFF, h & 0x3FFF
    return None


def _bmp_size(head: bytes) -> tuple[int, int] | None:
    (dib_size,) = struct.unpack_from("<I", head, 14)
    if dib_size == 12:
        w, h = struct.unpack_from("<HH", head, 18)
        return w, h
    w, h = struct.unpack_from("<ii", head, 18)
    return abs(w), abs(h)  # negative height means top-down rows


_HEADER_READERS = {"png": _png_size, "webp": _webp_size, "bmp": _bmp_size}


#: Declared raw pixels per byte of file above which an oversized image is treated as a
#: decompression bomb rather than an honest large photo (real photos compress ~5-20x).
BOMB_RATIO = 100


def check_dimensions(
    width: int, height: int, limits: ImageLimits, file_size: int | None = None
) -> None:
    """Refuse declared dimensions outside ``limits``.

    An image over the pixel limit whose file is tiny for its size (or whose file size is
    unknown) is a decompression bomb; an honest photo that is merely too big is
    ``image_too_large``, so its owner knows to resize it.
    """
    pixels = width * height
    details = {"width": width, "height": height}
    if pixels > limits.pixel_limit and (file_size is None or pixels * 3 > BOMB_RATIO * file_size):
        raise DecompressionBomb(
            f"image declares {width}x{height} ({pixels / 1e6:.1f} megapixels);"
            f" at most {limits.pixel_limit / 1e6:.1f} megapixels are allowed",
            details={**details, "max_pixels": limits.pixel_limit},
        )
    if max(width, height) > limits.max_side:
        raise ImageTooLarge(
            f"image is {width}x{height}; the longest side allowed is {limits.max_side} px",
            details={**details, "max_side": limits.max_side},
        )
    if pixels > limits.pixel_limit:
        raise ImageTooLarge(
            f"image is {width}x{height}; at most {limits.pixel_limit / 1e6:.1f} megapixels"
            " are allowed",
            details={**details, "max_pixels": limits.pixel_limit},
        )
    if min(width, height) < limits.min_side:
        raise ImageTooSmall(
            f"image is {width}x{height}; the shortest side allowed is {limits.min_side} px",
            details={**details, "min_side": limits.min_side},
        )


def _check_byte_size(size: int, limits: ImageLimits) -> None:
    if size == 0:
        raise EmptyFile("file is empty")
    if size > limits.max_bytes:
        raise FileTooLarge(
            f"file is {size / 1e6:.1f} MB; the largest allowed is {limits.max_bytes / 1e6:.1f} MB",
            details={"size": size, "max_bytes": limits.max_bytes},
        )


def decode_image(source: bytes | pathlib.Path, limits: ImageLimits) -> DecodedImage:
    """Validate and decode an untrusted image; every refusal is an InvalidImage subclass.

    A path is opened, never read whole, and closed before this returns or raises.
    """
    if isinstance(source, pathlib.Path):
        with ImageSource.open(source) as opened:
            return _decode(opened, limits)
    return _decode(ImageSource.from_bytes(bytes(source)), limits)


def _decode(source: ImageSource, limits: ImageLimits) -> DecodedImage:
    # the size alone refuses an oversized file before a byte of it is read
    _check_byte_size(source.size, limits)
    header = _read_header(source)
    fmt = header.format if header is not None else sniff_format(source.head)
    assert fmt is not None  # _read_header raised otherwise
    if header is not None:
        check_dimensions(header.width, header.height, limits, source.size)
    notes: list[str] = []
    try:
        image, frames = _open_and_load(source, fmt, limits)
        rgb = _to_rgb_or_rgba(image, notes)
        rgb = _apply_orientation(rgb, image, notes)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DecompressionBomb(f"image refused as a decompression bomb: {exc}") from exc
    except InvalidImage:
        raise
    except Exception as exc:
        # Pillow's plug-ins raise a zoo of types on hostile input (OSError, SyntaxError,
        # ValueError, struct.error, zlib.error, EOFError, MemoryError...). At this
        # boundary every one of them is the file's fault, never a server error.
        raise _classify_failure(exc, source, fmt) from exc
    trailing = trailing_bytes(source, fmt)
    if trailing:
        notes.append(f"ignored {trailing} bytes after the end of the {fmt.upper()} data")
    if frames > 1:
        notes.append(f"animated image: kept the first of {frames} frames")
    return DecodedImage(
        image=rgb,
        format=fmt,
        width=rgb.width,
        height=rgb.height,
        has_alpha=rgb.mode == "RGBA",
        frames_dropped=max(frames - 1, 0),
        warnings=tuple(notes),
    )


def _open_and_load(
    source: ImageSource, fmt: ImageFormat, limits: ImageLimits
) -> tuple[Image.Image, int]:
    # No warnings.catch_warnings() here: it is not thread-safe, and the check below
    # already refuses anything Pillow would warn about (see MAX_IMAGE_PIXELS above).
    # Pillow reads the file itself, in blocks (all at once for WebP: libwebp needs it).
    image = Image.open(source.file, formats=_PIL_FORMATS[fmt])
    # Pillow's reading of the header is authoritative when ours found nothing
    # (or disagrees): check again before touching pixels.
    check_dimensions(image.width, image.height, limits, source.size)
    frames = int(getattr(image, "n_frames", 1))
    image.load()  # decodes frame 0 only; LOAD_TRUNCATED_IMAGES stays off
    return image, frames


def _classify_failure(exc: Exception, source: ImageSource, fmt: ImageFormat) -> InvalidImage:
    text = str(exc).lower()
    if (
        ends_early(source, fmt)
        or isinstance(exc, EOFError)
        or "truncated" in text
        or "premature end" in text
    ):
        return TruncatedImage(f"the {fmt.upper()} file ends before its image data does")
    if isinstance(exc, UnidentifiedImageError):  # its message holds a useless object repr
        return CorruptImage(f"the file starts like a {fmt.upper()} but its header is invalid")
    return CorruptImage(f"the {fmt.upper()} file could not be decoded: {_short(exc)}")


def _short(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 200 else text[:200] + "..."


def _to_rgb_or_rgba(image: Image.Image, notes: list[str]) -> Image.Image:
    mode = image.mode
    if mode.startswith("I;16") or mode == "I":
        # Keep the high byte, as Pillow does for 16-bit RGB PNGs, so a grey 16-bit
        # file decodes to the same values whichever colour type it used.
        wide = np.asarray(image, dtype=np.int64)
        narrow = (np.clip(wide, 0, 65535) >> 8).astype(np.uint8)
        return Image.fromarray(narrow).convert("RGB")
    # "transparency" covers palette tRNS and colour-key tRNS on grey/RGB PNGs
    target = "RGBA" if ("A" in mode or "a" in mode or "transparency" in image.info) else "RGB"
    # CMYK goes through its ICC profile as CMYK; everything else becomes RGB(A) first.
    base = image if mode in (target, "CMYK") else image.convert(target)
    icc = image.info.get("icc_profile")
    if icc:
        return _to_srgb(base, icc, mode, notes)
    return base if base.mode == target else base.convert(target)


def _to_srgb(base: Image.Image, icc: bytes, original_mode: str, notes: list[str]) -> Image.Image:
    """Apply an embedded ICC profile so downstream pixels are sRGB."""
    target = "RGBA" if base.mode == "RGBA" else "RGB"
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        space = source.profile.xcolor_space.strip()
        if space == "GRAY" and original_mode in ("1", "L", "LA", "P", "PA"):
            # grey tone curves differ little from sRGB's; not worth a warning
            return base.convert(target)
        if space != ("CMYK" if base.mode == "CMYK" else "RGB"):
            raise ImageCms.PyCMSError(f"a {space} profile on {original_mode} pixels")
        srgb = ImageCms.createProfile("sRGB")
        result = ImageCms.profileToProfile(base, source, srgb, outputMode=target)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as exc:
        notes.append(f"embedded ICC profile ignored: {_short(exc)}")
        return base.convert(target)
    assert result is not None  # inPlace=False always returns an image
    return result


def _apply_orientation(rgb: Image.Image, original: Image.Image, notes: list[str]) -> Image.Image:
    try:
        orientation = original.getexif().get(0x0112, 1)
    except Exception as exc:  # hostile EXIF must not sink an otherwise good image
        notes.append(f"EXIF could not be read; orientation ignored: {_short(exc)}")
        return rgb
    if orientation not in (2, 3, 4, 5, 6, 7, 8):
        return rgb
    method = {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_270,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_90,
    }[orientation]
    return rgb.transpose(method)
