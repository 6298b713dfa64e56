from __future__ import annotations

import io

import numpy as np
import pytest
from corpus import CorpusCase, corpus_cases, noise
from PIL import Image, ImageCms

from pictor.errors import InvalidInput
from pictor.images import (
    ImageLimits,
    alpha_to_mask_image,
    apply_alpha,
    composite_on_color,
    content_type_for,
    decode_image,
    encode_image,
    make_thumbnail,
    parse_color,
    trim_to_content,
)


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _case(name: str) -> CorpusCase:
    (case,) = [c for c in corpus_cases() if c.name == name]
    return case


# --- encode ------------------------------------------------------------------------------


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_png_round_trip_is_lossless(channels: int) -> None:
    rng = np.random.default_rng(channels)
    shape = (40, 30) if channels == 1 else (40, 30, channels)
    pixels = rng.integers(0, 256, shape, dtype=np.uint8)
    out = encode_image(pixels, "png")
    assert out.startswith(b"\x89PNG")
    assert np.array_equal(np.asarray(_open(out)), pixels)


@pytest.mark.parametrize("fmt", ["webp", "jpeg"])
def test_lossy_round_trip_is_close(fmt: str) -> None:
    smooth = np.zeros((64, 64, 3), dtype=np.uint8)
    smooth[..., 0] = np.arange(64, dtype=np.uint8)[None, :] * 4
    smooth[..., 2] = 180
    out = encode_image(Image.fromarray(smooth), fmt, quality=95)  # type: ignore[arg-type]
    decoded = np.asarray(_open(out).convert("RGB")).astype(int)
    assert _open(out).format == fmt.upper()
    assert np.abs(decoded - smooth).mean() < 3


def test_webp_keeps_alpha() -> None:
    rgba = np.zeros((50, 50, 4), dtype=np.uint8)
    rgba[10:40, 10:40] = (200, 10, 10, 255)
    reopened = np.asarray(_open(encode_image(rgba, "webp")))
    assert reopened.shape == (50, 50, 4)
    assert reopened[0, 0, 3] == 0 and reopened[25, 25, 3] == 255


def test_jpeg_flattens_transparency_onto_the_background() -> None:
    rgba = np.zeros((32, 32, 4), dtype=np.uint8)  # fully transparent
    white = np.asarray(_open(encode_image(rgba, "jpeg")))
    assert white.shape == (32, 32, 3) and white.min() >= 250
    black = np.asarray(_open(encode_image(rgba, "jpeg", jpeg_background=(0, 0, 0))))
    assert black.max() <= 5


def test_outputs_carry_no_metadata_even_when_the_image_did() -> None:
    exif = Image.Exif()
    exif[0x010F] = "PictorCam"
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 31.0, 12.0)})
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    image = noise(40, 40)
    image.info.update({"exif": exif.tobytes(), "icc_profile": srgb, "comment": b"secret"})
    for fmt in ("png", "webp", "jpeg"):
        out = encode_image(image, fmt)  # type: ignore[arg-type]
        reopened = _open(out)
        assert len(reopened.getexif()) == 0, fmt
        assert not {"exif", "icc_profile", "comment"} & set(reopened.info), fmt
        assert b"PictorCam" not in out, fmt


def test_gps_tagged_upload_is_stripped_from_every_output() -> None:
    data = _case("jpeg_gps_exif").data
    assert _open(data).getexif().get_ifd(0x8825)  # the input really carries GPS
    decoded = decode_image(data, ImageLimits())
    for fmt in ("png", "webp", "jpeg"):
        out = encode_image(decoded.image, fmt)  # type: ignore[arg-type]
        assert len(_open(out).getexif()) == 0
        assert b"PictorCam" not in out


def test_content_types_and_unknown_format() -> None:
    assert content_type_for("png") == "image/png"
    assert content_type_for("webp") == "image/webp"
    assert content_type_for("jpeg") == "image/jpeg"
    with pytest.raises(InvalidInput) as caught:
        content_type_for("gif")
    assert caught.value.code == "invalid_output_format"
    with pytest.raises(InvalidInput):
        encode_image(np.zeros((4, 4, 3), np.uint8), "tiff")  # type: ignore[arg-type]


def test_encode_refuses_bad_quality_and_bad_arrays() -> None:
    with pytest.raises(ValueError, match="quality"):
        encode_image(np.zeros((4, 4, 3), np.uint8), "webp", quality=0)
    with pytest.raises(ValueError, match="uint8"):
        encode_image(np.zeros((4, 4, 3), np.float32), "png")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="H x W"):
        encode_image(np.zeros((4, 4, 2), np.uint8), "png")


def test_thumbnail_is_a_webp_within_max_side_keeping_aspect_and_alpha() -> None:
    big = np.zeros((500, 1000, 4), dtype=np.uint8)
    big[:, 500:, 3] = 255  # left half transparent
    thumb = _open(make_thumbnail(big))
    assert thumb.format == "WEBP"
    assert thumb.size == (256, 128)
    assert thumb.mode == "RGBA"
    alpha = np.asarray(thumb)[..., 3]
    assert alpha[:, :120].max() == 0 and alpha[:, 136:].min() == 255
    small = _open(make_thumbnail(noise(100, 60), max_side=256))
    assert small.size == (100, 60)  # never upscaled


# --- alpha -------------------------------------------------------------------------------


def test_apply_alpha_scales_clips_and_stacks() -> None:
    rgb = np.full((2, 3, 3), 7, dtype=np.uint8)
    alpha = np.array([[0.0, 0.5, 1.0], [-1.0, 2.0, np.nan]], dtype=np.float32)
    rgba = apply_alpha(rgb, alpha)
    assert rgba.dtype == np.uint8 and rgba.shape == (2, 3, 4)
    assert rgba[..., 3].tolist() == [[0, 128, 255], [0, 255, 0]]
    assert (rgba[..., :3] == 7).all()
    with pytest.raises(ValueError, match="shape"):
        apply_alpha(rgb, np.zeros((3, 2), np.float32))


def test_alpha_to_mask_image_is_uint8() -> None:
    mask = alpha_to_mask_image(np.array([[0.0, 0.25], [0.999, 1.0]], dtype=np.float32))
    assert mask.dtype == np.uint8
    assert mask.tolist() == [[0, 64], [255, 255]]


def _over(fg: tuple[int, int, int, int], bg: tuple[int, int, int, int]) -> list[int]:
    rgba = np.array([[fg]], dtype=np.uint8)
    result: list[int] = composite_on_color(rgba, bg)[0, 0].tolist()
    return result


def test_composite_over_opaque_colour() -> None:
    assert _over((10, 20, 30, 255), (255, 255, 255, 255)) == [10, 20, 30, 255]
    assert _over((10, 20, 30, 0), (255, 255, 255, 255)) == [255, 255, 255, 255]
    # half-transparent red over white: a = 128/255, g = b = 255 * (1 - a) = 127
    assert _over((255, 0, 0, 128), (255, 255, 255, 255)) == [255, 127, 127, 255]


def test_composite_respects_colour_alpha() -> None:
    assert _over((10, 20, 30, 77), (0, 0, 0, 0)) == [10, 20, 30, 77]
    assert _over((10, 20, 30, 0), (0, 0, 0, 0)) == [0, 0, 0, 0]
    # red a=128/255 over blue a=128/255: a_out = .502 + .502 * .498 = .752
    # r = .502 / .752 = .668 -> 170; b = .502 * .498 / .752 = .332 -> 85
    assert _over((255, 0, 0, 128), (0, 0, 255, 128)) == [170, 0, 85, 192]


def _canvas() -> np.ndarray:
    rgba = np.zeros((100, 80, 4), dtype=np.uint8)
    rgba[10:30, 20:60] = (1, 2, 3, 255)
    rgba[50, 5] = (9, 9, 9, 8)  # at the threshold: not content
    return rgba


def test_trim_crops_to_content_and_pads_with_transparency() -> None:
    trimmed = trim_to_content(_canvas(), padding=0)
    assert trimmed.shape == (20, 40, 4)
    assert (trimmed == (1, 2, 3, 255)).all()
    padded = trim_to_content(_canvas(), padding=5)
    assert padded.shape == (30, 50, 4)
    assert (padded[5:25, 5:45] == (1, 2, 3, 255)).all()
    border = np.ones(padded.shape[:2], dtype=bool)
    border[5:25, 5:45] = False
    assert (padded[border] == 0).all()


def test_trim_threshold_decides_what_counts_as_content() -> None:
    rgba = _canvas()
    rgba[50, 5, 3] = 9  # now just above the default threshold
    assert trim_to_content(rgba, padding=0).shape == (41, 55, 4)
    assert trim_to_content(rgba, padding=0, threshold=9).shape == (20, 40, 4)


def test_trim_of_a_fully_transparent_image_returns_it_unchanged() -> None:
    empty = np.zeros((30, 20, 4), dtype=np.uint8)
    result = trim_to_content(empty, padding=10)
    assert result.shape == (30, 20, 4) and not result.any()
    assert result is not empty
    with pytest.raises(ValueError, match="padding"):
        trim_to_content(_canvas(), padding=-1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#fff", (255, 255, 255, 255)),
        ("#0f08", (0, 255, 0, 136)),
        ("#FF8000", (255, 128, 0, 255)),
        ("#11223344", (0x11, 0x22, 0x33, 0x44)),
        ("112233", (0x11, 0x22, 0x33, 255)),
        ("10,20,30", (10, 20, 30, 255)),
        (" 10, 20 ,30, 0 ", (10, 20, 30, 0)),
        ("rgb(1, 2, 3)", (1, 2, 3, 255)),
        ("rgba(1,2,3,4)", (1, 2, 3, 4)),
        ("White", (255, 255, 255, 255)),
        ("transparent", (0, 0, 0, 0)),
        ("grey", (128, 128, 128, 255)),
    ],
)
def test_parse_color_accepts(text: str, expected: tuple[int, int, int, int]) -> None:
    assert parse_color(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "#",
        "#ggg",
        "#12345",
        "fff",
        "256,0,0",
        "-1,0,0",
        "1,2",
        "1,2,3,4,5",
        "rgb(1,2,3",
        "blurple",
        "1.5,2,3",
    ],
)
def test_parse_color_refuses(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_color(text)
    assert caught.value.code == "invalid_color"
    assert repr(text) in caught.value.message
