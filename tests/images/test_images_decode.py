from __future__ import annotations

import io
import pathlib
import struct
import tracemalloc

import numpy as np
import pytest
from corpus import CorpusCase, corpus_cases, noise, raw_png, save
from PIL import Image, ImageCms

from pictor.errors import InvalidImage
from pictor.images import (
    HARD_MAX_SIDE,
    ImageLimits,
    decode_image,
    decode_image_header,
    sniff_format,
)

CASES = corpus_cases()


def test_corpus_is_large_and_names_are_unique() -> None:
    names = [case.name for case in CASES]
    assert len(names) >= 20
    assert len(set(names)) == len(names)
    assert sum(case.expected_code is None for case in CASES) >= 10


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_corpus_case_decodes_as_expected(case: CorpusCase) -> None:
    if case.expected_code is not None:
        with pytest.raises(InvalidImage) as caught:
            decode_image(case.data, ImageLimits())
        assert caught.value.code == case.expected_code, caught.value.message
        assert caught.value.message
        assert "object at 0x" not in caught.value.message
    else:
        decoded = decode_image(case.data, ImageLimits())
        assert case.check is not None
        case.check(decoded)


def _case(name: str) -> CorpusCase:
    (case,) = [c for c in CASES if c.name == name]
    return case


def test_bomb_is_refused_from_its_header_before_pixels_are_read() -> None:
    # The 30000x30000 case carries only 8 rows of pixel data: had decoding begun,
    # the refusal would have been truncated_image, and our message says megapixels.
    with pytest.raises(InvalidImage, match="megapixels") as caught:
        decode_image(_case("png_bomb_declared_30000x30000").data, ImageLimits())
    assert caught.value.code == "decompression_bomb"
    assert caught.value.details["max_pixels"] == 4096 * 4096


def test_real_bomb_decodes_under_a_high_limit_and_is_refused_under_the_default() -> None:
    data = _case("png_bomb_5000x5000_zeros").data
    assert len(data) < 100_000
    roomy = ImageLimits(max_side=HARD_MAX_SIDE)
    assert decode_image(data, roomy).image.size == (5000, 5000)
    with pytest.raises(InvalidImage, match=r"25\.0 megapixels") as caught:
        decode_image(data, ImageLimits())
    assert caught.value.code == "decompression_bomb"


def test_oversized_path_is_refused_from_its_size_alone(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "huge.png"
    with path.open("wb") as f:
        f.truncate(3_000_000_000)  # sparse: takes no disk, would take 3 GB to read
    tracemalloc.start()
    try:
        with pytest.raises(InvalidImage) as caught:
            decode_image(path, ImageLimits())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.code == "file_too_large"
    assert "3000.0 MB" in caught.value.message and "10.0 MB" in caught.value.message
    assert peak < 1_000_000


def test_image_decodes_from_a_path(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "photo.webp"
    path.write_bytes(save(Image.new("RGB", (70, 60), (0, 200, 0)), "WEBP", lossless=True))
    decoded = decode_image(path, ImageLimits())
    assert (decoded.format, decoded.width, decoded.height) == ("webp", 70, 60)


def test_too_large_message_names_size_and_limit() -> None:
    data = raw_png(9000, 300, 8, 0, b"")  # refused from the header; no pixels needed
    with pytest.raises(InvalidImage) as caught:
        decode_image(data, ImageLimits())
    assert caught.value.code == "image_too_large"
    assert caught.value.message == "image is 9000x300; the longest side allowed is 4096 px"
    assert caught.value.details == {"width": 9000, "height": 300, "max_side": 4096}


def test_too_small_message_names_size_and_limit() -> None:
    with pytest.raises(InvalidImage) as caught:
        decode_image(save(Image.new("RGB", (300, 20)), "PNG"), ImageLimits())
    assert caught.value.code == "image_too_small"
    assert caught.value.message == "image is 300x20; the shortest side allowed is 50 px"


def test_configured_limits_are_applied() -> None:
    png = save(Image.new("RGB", (100, 100)), "PNG")
    with pytest.raises(InvalidImage) as caught:
        decode_image(png, ImageLimits(max_pixels=5000))
    assert caught.value.code == "decompression_bomb"
    with pytest.raises(InvalidImage) as caught:
        decode_image(png, ImageLimits(max_bytes=len(png) - 1))
    assert caught.value.code == "file_too_large"
    with pytest.raises(InvalidImage) as caught:
        decode_image(png, ImageLimits(min_side=101))
    assert caught.value.code == "image_too_small"
    assert decode_image(png, ImageLimits(min_side=100, max_side=100)).width == 100


def test_max_side_may_be_raised_to_8192() -> None:
    data = raw_png(6000, 50, 8, 0, b"")
    with pytest.raises(InvalidImage) as caught:
        decode_image(data, ImageLimits(max_side=HARD_MAX_SIDE))
    # past the size checks: the empty pixel stream is what fails now
    assert caught.value.code in ("truncated_image", "corrupt_image")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_side": 8193},
        {"max_side": 40, "min_side": 50},
        {"min_side": 0},
        {"max_bytes": 0},
        {"max_pixels": 4096 * 4096 + 1},
        {"max_pixels": 0},
    ],
)
def test_invalid_limits_are_refused(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        ImageLimits(**kwargs)


def test_pixel_limit_defaults_to_max_side_squared() -> None:
    assert ImageLimits().pixel_limit == 4096 * 4096
    assert ImageLimits(max_side=1000, max_pixels=50_000).pixel_limit == 50_000


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "png"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "webp"),
        (b"BM" + bytes(12) + struct.pack("<I", 40), "bmp"),
        (b"BM" + bytes(12) + struct.pack("<I", 41), None),
        (b"RIFF\x10\x00\x00\x00WAVEfmt ", None),
        (b"GIF89a", None),
        (b"II*\x00", None),
        (b"<svg", None),
        (b"", None),
        (b"\xff\xd8", None),
    ],
)
def test_format_is_sniffed_from_magic_bytes(head: bytes, expected: str | None) -> None:
    assert sniff_format(head) == expected


def _header_samples() -> list[tuple[str, bytes]]:
    exif = Image.Exif()
    exif[0x010E] = "y" * 50_000
    rgba = Image.new("RGBA", (123, 77), (5, 5, 5, 5))
    return [
        ("png", save(Image.new("RGB", (123, 77)), "PNG")),
        ("jpeg", save(noise(123, 77), "JPEG")),
        ("jpeg_progressive", save(noise(123, 77), "JPEG", progressive=True)),
        ("jpeg_big_exif", save(noise(123, 77), "JPEG", exif=exif)),
        ("webp_vp8", save(noise(123, 77), "WEBP")),
        ("webp_vp8l", save(noise(123, 77), "WEBP", lossless=True)),
        ("webp_vp8x", save(rgba, "WEBP")),
        ("bmp", save(Image.new("RGB", (123, 77)), "BMP")),
        ("bmp_1bit", save(Image.new("1", (123, 77)), "BMP")),
    ]


@pytest.mark.parametrize(("label", "data"), _header_samples(), ids=lambda v: str(v)[:16])
def test_header_reader_agrees_with_pillow(label: str, data: bytes) -> None:
    header = decode_image_header(data)
    assert header is not None
    assert header.format == label.split("_")[0]
    assert (header.width, header.height) == Image.open(io.BytesIO(data)).size == (123, 77)


def test_header_reader_needs_enough_bytes_and_refuses_foreign_formats() -> None:
    assert decode_image_header(b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIH") is None
    with pytest.raises(InvalidImage, match="GIF") as caught:
        decode_image_header(b"GIF89a" + bytes(20))
    assert caught.value.code == "unsupported_format"


def test_embedded_srgb_profile_keeps_colours_without_warnings() -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = save(Image.new("RGB", (60, 60), (200, 100, 50)), "PNG", icc_profile=srgb)
    decoded = decode_image(data, ImageLimits())
    assert decoded.warnings == ()
    got = decoded.image.getpixel((5, 5))
    assert isinstance(got, tuple)
    assert all(abs(a - b) <= 2 for a, b in zip(got, (200, 100, 50), strict=True))


def test_profile_for_another_colour_space_is_ignored_with_a_warning() -> None:
    lab = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    data = save(Image.new("RGB", (60, 60), (200, 100, 50)), "PNG", icc_profile=lab)
    decoded = decode_image(data, ImageLimits())
    assert decoded.image.getpixel((5, 5)) == (200, 100, 50)
    assert any("ICC" in w for w in decoded.warnings)


def _mutants() -> list[bytes]:
    """Seeded byte flips and truncations of small valid files, one per format."""
    rng = np.random.default_rng(1234)
    seeds = [
        save(noise(64, 64), "JPEG"),
        save(noise(64, 64), "PNG"),
        save(noise(64, 64), "WEBP"),
        save(Image.new("RGBA", (64, 64), (9, 9, 9, 9)), "WEBP", lossless=True),
        save(noise(64, 64), "BMP"),
    ]
    out: list[bytes] = []
    for data in seeds:
        for cut in range(1, len(data), max(len(data) // 25, 1)):
            out.append(data[:cut])
        for _ in range(40):
            flipped = bytearray(data)
            for pos in rng.integers(2, len(data), size=int(rng.integers(1, 6))):
                flipped[pos] = int(rng.integers(0, 256))
            out.append(bytes(flipped))
    return out


def test_mangled_files_are_accepted_or_refused_with_a_code_never_crash() -> None:
    codes: set[str] = set()
    for data in _mutants():
        try:
            decoded = decode_image(data, ImageLimits())
        except InvalidImage as exc:
            codes.add(exc.code)
            assert "object at 0x" not in exc.message
        else:
            assert decoded.image.mode in ("RGB", "RGBA")
    assert {"truncated_image", "corrupt_image"} <= codes


def test_an_honest_photo_over_the_limits_is_too_large_not_a_bomb() -> None:
    rng = np.random.default_rng(3)
    noisy = Image.fromarray(rng.integers(0, 255, (600, 5000, 3), dtype=np.uint8))
    data = save(noisy, "PNG")  # incompressible: about as many bytes as pixels
    with pytest.raises(InvalidImage) as caught:
        decode_image(data, ImageLimits(max_bytes=50_000_000, max_side=4096, max_pixels=2_000_000))
    assert caught.value.code == "image_too_large"
