"""Malformed, hostile and awkward images, generated at import-free call time.

Nothing binary is committed: every file is built with Pillow, numpy or byte
surgery. Each case names the code ``decode_image`` must refuse it with, or
(``expected_code=None``) a ``check`` the accepted result must pass. The HTTP
upload tests reuse this list, so each case also says the file name and the
content type a client would claim for it; neither is ever trusted.

Usage: ``from corpus import corpus_cases`` (pytest puts ``tests/images`` on
``sys.path`` for tests in this folder; other folders can do the same).
"""

from __future__ import annotations

import functools
import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from pictor.images import DecodedImage, encode_image

Check = Callable[[DecodedImage], None]


@dataclass(frozen=True)
class CorpusCase:
    name: str
    data: bytes
    expected_code: str | None  # None: the image must be accepted
    check: Check | None = None
    filename: str = "upload.bin"
    claimed_type: str = "application/octet-stream"

    def __repr__(self) -> str:  # keeps pytest ids and failure output readable
        return f"CorpusCase({self.name}, {len(self.data)} bytes, {self.expected_code})"


# --- building blocks -------------------------------------------------------------------


def save(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def noise(width: int, height: int, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


def png_chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def raw_png(width: int, height: int, depth: int, color_type: int, idat: bytes) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def jpeg_with_size(data: bytes, width: int, height: int) -> bytes:
    """Rewrite the frame header (SOF0) of a baseline JPEG to declare another size."""
    sof = data.index(b"\xff\xc0")
    return data[: sof + 5] + struct.pack(">HH", height, width) + data[sof + 9 :]


def no_exif_in_outputs(decoded: DecodedImage) -> None:
    for fmt in ("jpeg", "png", "webp"):
        out = encode_image(decoded.image, fmt)  # type: ignore[arg-type]
        reopened = Image.open(io.BytesIO(out))
        assert len(reopened.getexif()) == 0, fmt
        assert "exif" not in reopened.info, fmt
        assert b"Exif\x00\x00" not in out, fmt


def expect(
    *,
    fmt: str,
    size: tuple[int, int],
    alpha: bool = False,
    frames_dropped: int = 0,
    more: Check | None = None,
) -> Check:
    def check(decoded: DecodedImage) -> None:
        assert decoded.format == fmt
        assert (decoded.width, decoded.height) == size == decoded.image.size
        assert decoded.has_alpha is alpha
        assert decoded.image.mode == ("RGBA" if alpha else "RGB")
        assert decoded.frames_dropped == frames_dropped
        if more is not None:
            more(decoded)

    return check


def pixel_is(x: int, y: int, value: tuple[int, ...], tolerance: int = 0) -> Check:
    def check(decoded: DecodedImage) -> None:
        got = decoded.image.getpixel((x, y))
        assert isinstance(got, tuple)
        assert all(abs(a - b) <= tolerance for a, b in zip(got, value, strict=True)), got

    return check


def all_of(*checks: Check) -> Check:
    def check(decoded: DecodedImage) -> None:
        for one in checks:
            one(decoded)

    return check


# --- the cases -------------------------------------------------------------------------


def _refused() -> list[CorpusCase]:
    jpeg = save(noise(200, 150), "JPEG", quality=90)
    png = save(noise(200, 150), "PNG")
    tiny_png = save(Image.new("RGB", (60, 60), "red"), "PNG")
    # A real bomb: 25 megapixels of zeros deflate to a few kilobytes.
    bomb_rows = zlib.compress(bytes(5001 * 5000), 9)
    bad_crc = bytearray(tiny_png)
    bad_crc[29] ^= 0xFF  # last byte of the IHDR CRC
    idat = tiny_png.index(b"IDAT")
    idat_len = struct.unpack(">I", tiny_png[idat - 4 : idat])[0]
    garbage = np.random.default_rng(7).integers(0, 256, idat_len, dtype=np.uint8).tobytes()
    garbage_idat = tiny_png[: idat + 4] + garbage + tiny_png[idat + 4 + idat_len :]
    rng_bytes = b"\x00" + np.random.default_rng(3).integers(0, 256, 4095, np.uint8).tobytes()
    bmp_bomb = bytearray(save(Image.new("RGB", (60, 60)), "BMP"))
    bmp_bomb[18:26] = struct.pack("<ii", 40000, 40000)
    webp_vp8x = bytearray(save(Image.new("RGBA", (60, 60), (1, 2, 3, 100)), "WEBP"))
    assert webp_vp8x[12:16] == b"VP8X"
    webp_vp8x[24:30] = (16000 - 1).to_bytes(3, "little") * 2
    svg = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="100"'
    svg += b' height="100"><script>alert(1)</script><rect width="100" height="100"/></svg>'
    html = b"<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>"
    return [
        CorpusCase("empty_file", b"", "empty_file", filename="empty.png"),
        CorpusCase("random_bytes", rng_bytes, "unsupported_format", filename="noise.jpg"),
        CorpusCase("truncated_jpeg", jpeg[: len(jpeg) * 6 // 10], "truncated_image"),
        CorpusCase("truncated_png", png[: len(png) * 6 // 10], "truncated_image"),
        CorpusCase("truncated_png_after_ihdr", png[:33], "truncated_image"),
        CorpusCase(
            "png_bomb_declared_30000x30000",
            raw_png(30000, 30000, 8, 0, zlib.compress(bytes(30001 * 8))),
            "decompression_bomb",
        ),
        CorpusCase(
            "png_bomb_5000x5000_zeros", raw_png(5000, 5000, 8, 0, bomb_rows), "decompression_bomb"
        ),
        CorpusCase(
            "jpeg_declared_60000x60000", jpeg_with_size(jpeg, 60000, 60000), "decompression_bomb"
        ),
        CorpusCase("bmp_declared_40000x40000", bytes(bmp_bomb), "decompression_bomb"),
        CorpusCase("webp_declared_16000x16000", bytes(webp_vp8x), "decompression_bomb"),
        CorpusCase("too_small_10x10", save(Image.new("RGB", (10, 10)), "PNG"), "image_too_small"),
        CorpusCase(
            "too_large_side_5000x100", save(Image.new("L", (5000, 100)), "PNG"), "image_too_large"
        ),
        CorpusCase(
            "gif",
            save(Image.new("P", (60, 60)), "GIF"),
            "unsupported_format",
            filename="a.gif",
            claimed_type="image/gif",
        ),
        CorpusCase(
            "gif_named_png",
            save(Image.new("P", (60, 60)), "GIF"),
            "unsupported_format",
            filename="a.png",
            claimed_type="image/png",
        ),
        CorpusCase(
            "tiff",
            save(Image.new("RGB", (60, 60)), "TIFF"),
            "unsupported_format",
            filename="a.tiff",
            claimed_type="image/tiff",
        ),
        CorpusCase(
            "svg_with_script",
            svg,
            "unsupported_format",
            filename="a.svg",
            claimed_type="image/svg+xml",
        ),
        CorpusCase(
            "html_named_png",
            html,
            "unsupported_format",
            filename="photo.png",
            claimed_type="image/png",
        ),
        CorpusCase(
            "heic_ftyp",
            b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64),
            "unsupported_format",
            filename="a.heic",
            claimed_type="image/heic",
        ),
        CorpusCase(
            "pdf",
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
            "unsupported_format",
            filename="a.pdf",
        ),
        CorpusCase(
            "text_starting_with_bm",
            b"BMW and Mercedes are car makers." * 4,
            "unsupported_format",
            filename="a.bmp",
            claimed_type="image/bmp",
        ),
        CorpusCase("png_bad_ihdr_crc", bytes(bad_crc), "corrupt_image"),
        CorpusCase("png_idat_garbage", garbage_idat, "corrupt_image"),
        CorpusCase("over_max_bytes", tiny_png + bytes(10_000_001), "file_too_large"),
    ]


def _exif_cases() -> list[CorpusCase]:
    # Stored 120x80 with the left half red; orientation 6 means "rotate 90 degrees
    # clockwise to display", so the decoded 80x120 image has red on top.
    stored = Image.new("RGB", (120, 80), "blue")
    stored.paste((255, 0, 0), (0, 0, 60, 80))
    rotated = Image.Exif()
    rotated[0x0112] = 6
    gps = Image.Exif()
    gps[0x010F] = "PictorCam"
    gps.get_ifd(0x8825).update({1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 0.0)})
    big = Image.Exif()
    big[0x010E] = "x" * 60_000  # ImageDescription: a ~60 KB APP1 segment
    photo = noise(100, 100, seed=5)
    return [
        CorpusCase(
            "jpeg_exif_orientation_6",
            save(stored, "JPEG", exif=rotated, quality=95),
            None,
            expect(
                fmt="jpeg",
                size=(80, 120),
                more=all_of(
                    pixel_is(40, 10, (255, 0, 0), tolerance=30),
                    pixel_is(40, 110, (0, 0, 255), tolerance=30),
                ),
            ),
            filename="portrait.jpg",
            claimed_type="image/jpeg",
        ),
        CorpusCase(
            "jpeg_gps_exif",
            save(photo, "JPEG", exif=gps),
            None,
            expect(fmt="jpeg", size=(100, 100), more=no_exif_in_outputs),
        ),
        CorpusCase(
            "jpeg_60kb_exif",
            save(photo, "JPEG", exif=big),
            None,
            expect(fmt="jpeg", size=(100, 100), more=no_exif_in_outputs),
        ),
    ]


def _gray16(decoded: DecodedImage) -> None:
    values = np.asarray(decoded.image)[0, :4, 0].tolist()
    assert values == [0, 18, 128, 255], values


def _accepted() -> list[CorpusCase]:
    gray16 = np.full((60, 60), 0xFFFF, dtype=np.uint16)
    gray16[0, :3] = [0, 0x1234, 0x80FF]
    rgb16_rows = b"".join(
        b"\x00" + struct.pack(">" + "H" * 180, *([0x1234, 0xABCD, 0xFFFF] * 60)) for _ in range(60)
    )
    palette = Image.new("P", (60, 60), 1)
    palette.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    palette.paste(0, (0, 0, 30, 60))  # left half uses index 0, made transparent
    la = Image.fromarray(
        np.dstack(
            [np.full((60, 60), 200, np.uint8), np.tile(np.arange(60, dtype=np.uint8) * 4, (60, 1))]
        ),
        "LA",
    )
    frames = [Image.new("RGB", (64, 64), c) for c in ("red", "lime", "blue")]
    small_png = save(Image.new("RGB", (60, 60), (10, 20, 30)), "PNG")
    zip_tail = b"PK\x03\x04" + bytes(26) + b"payload.sh" + b"#!/bin/sh\necho owned\n"
    return [
        CorpusCase(
            "png_named_jpg",
            small_png,
            None,
            expect(fmt="png", size=(60, 60), more=pixel_is(5, 5, (10, 20, 30))),
            filename="photo.jpg",
            claimed_type="image/jpeg",
        ),
        CorpusCase(
            "cmyk_jpeg",
            save(Image.new("CMYK", (60, 60), (0, 255, 255, 0)), "JPEG"),
            None,
            expect(fmt="jpeg", size=(60, 60), more=pixel_is(30, 30, (255, 0, 0), tolerance=40)),
        ),
        CorpusCase(
            "png_gray_16bit",
            save(Image.fromarray(gray16), "PNG"),
            None,
            expect(fmt="png", size=(60, 60), more=_gray16),
        ),
        CorpusCase(
            "png_rgb_16bit",
            raw_png(60, 60, 16, 2, zlib.compress(rgb16_rows)),
            None,
            expect(fmt="png", size=(60, 60), more=pixel_is(7, 7, (0x12, 0xAB, 0xFF))),
        ),
        CorpusCase(
            "png_palette_trns",
            save(palette, "PNG", transparency=0),
            None,
            expect(
                fmt="png",
                size=(60, 60),
                alpha=True,
                more=all_of(pixel_is(10, 10, (0, 0, 0, 0)), pixel_is(50, 10, (255, 0, 0, 255))),
            ),
        ),
        CorpusCase(
            "png_gray_alpha_la",
            save(la, "PNG"),
            None,
            expect(fmt="png", size=(60, 60), alpha=True, more=pixel_is(10, 3, (200, 200, 200, 40))),
        ),
        CorpusCase(
            "png_rgb_colour_key_trns",
            save(_colour_key_image(), "PNG", transparency=(0, 0, 0)),
            None,
            expect(
                fmt="png",
                size=(60, 60),
                alpha=True,
                more=all_of(pixel_is(5, 5, (0, 0, 0, 0)), pixel_is(55, 5, (0, 90, 0, 255))),
            ),
        ),
        CorpusCase(
            "png_1bit",
            save(Image.new("1", (60, 60), 1), "PNG"),
            None,
            expect(fmt="png", size=(60, 60), more=pixel_is(1, 1, (255, 255, 255))),
        ),
        CorpusCase(
            "jpeg_grayscale",
            save(Image.new("L", (60, 60), 90), "JPEG"),
            None,
            expect(fmt="jpeg", size=(60, 60), more=pixel_is(1, 1, (90, 90, 90), 2)),
        ),
        CorpusCase(
            "apng_3_frames",
            save(frames[0], "PNG", save_all=True, append_images=frames[1:]),
            None,
            expect(fmt="png", size=(64, 64), frames_dropped=2, more=pixel_is(9, 9, (255, 0, 0))),
        ),
        CorpusCase(
            "webp_animated_3_frames",
            save(frames[0], "WEBP", save_all=True, append_images=frames[1:], lossless=True),
            None,
            expect(fmt="webp", size=(64, 64), frames_dropped=2, more=pixel_is(9, 9, (255, 0, 0))),
        ),
        CorpusCase(
            "webp_lossless_alpha",
            save(Image.new("RGBA", (60, 60), (1, 2, 3, 100)), "WEBP", lossless=True),
            None,
            expect(fmt="webp", size=(60, 60), alpha=True, more=pixel_is(0, 0, (1, 2, 3, 100))),
        ),
        CorpusCase(
            "bmp_24bit",
            save(Image.new("RGB", (60, 50), (9, 99, 199)), "BMP"),
            None,
            expect(fmt="bmp", size=(60, 50), more=pixel_is(59, 49, (9, 99, 199))),
        ),
        # Decision: a polyglot is accepted. Pillow stops at IEND, the trailing payload is
        # reported in warnings, and outputs are re-encoded from pixels so it never leaks.
        CorpusCase(
            "polyglot_png_then_zip",
            small_png + zip_tail,
            None,
            expect(fmt="png", size=(60, 60), more=_warns("bytes after the end")),
        ),
        CorpusCase(
            "jpeg_garbage_icc_profile",
            save(noise(60, 60), "JPEG", icc_profile=b"not an icc profile" * 10),
            None,
            expect(fmt="jpeg", size=(60, 60), more=_warns("ICC profile")),
        ),
    ]


def _colour_key_image() -> Image.Image:
    image = Image.new("RGB", (60, 60), (0, 90, 0))
    image.paste((0, 0, 0), (0, 0, 30, 60))  # the key colour: transparent once decoded
    return image


def _warns(fragment: str) -> Check:
    def check(decoded: DecodedImage) -> None:
        assert any(fragment in w for w in decoded.warnings), decoded.warnings

    return check


@functools.cache
def _all_cases() -> tuple[CorpusCase, ...]:
    return tuple(_refused() + _exif_cases() + _accepted())


def corpus_cases() -> list[CorpusCase]:
    """Every case, built once per process (the bombs take a moment to deflate)."""
    return list(_all_cases())
