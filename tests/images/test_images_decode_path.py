"""decode_image from a path: same verdicts as from bytes, without holding the file."""

from __future__ import annotations

import io
import os
import pathlib
import tracemalloc

import numpy as np
import pytest
from corpus import CorpusCase, corpus_cases, jpeg_with_size, noise, save
from PIL import Image

from pictor.errors import InvalidImage
from pictor.images import ImageLimits, decode_image
from pictor.images.source import HEAD_BYTES, SCAN_BLOCK, ImageSource

CASES = corpus_cases()
MB = 1_000_000
ROOMY = ImageLimits(max_bytes=50 * MB)


def _outcome(source: bytes | pathlib.Path) -> tuple[str, str, tuple[str, ...]]:
    try:
        decoded = decode_image(source, ImageLimits())
    except InvalidImage as exc:
        return ("refused", f"{exc.code}: {exc.message}", ())
    return ("accepted", f"{decoded.format} {decoded.image.size}", decoded.warnings)


def _open_paths() -> set[str]:
    fds = pathlib.Path("/proc/self/fd")
    links = set()
    for fd in fds.iterdir():
        try:
            links.add(os.readlink(fd))
        except OSError:  # the fd listing the directory itself is gone by now
            continue
    return links


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_corpus_case_from_a_path_matches_bytes_and_leaves_no_file_open(
    case: CorpusCase, tmp_path: pathlib.Path
) -> None:
    path = tmp_path / case.filename
    path.write_bytes(case.data)
    from_path = _outcome(path)
    assert from_path == _outcome(case.data)
    assert from_path[0] == ("refused" if case.expected_code else "accepted")
    if case.expected_code is None:
        assert case.check is not None
        case.check(decode_image(path, ImageLimits()))
    assert str(path) not in _open_paths()


def _big_and_small(fmt: str, big_params: dict[str, object]) -> tuple[bytes, bytes]:
    """Two files of 4000x2500 pixels: incompressible noise, and one flat colour."""
    rng = np.random.default_rng(11)
    noisy = Image.fromarray(rng.integers(0, 256, (2500, 4000, 3), dtype=np.uint8))
    flat = Image.new("RGB", (4000, 2500), (9, 99, 199))
    return save(noisy, fmt, **big_params), save(flat, fmt)


def _traced_peak(path: pathlib.Path) -> int:
    tracemalloc.start()
    try:
        decoded = decode_image(path, ROOMY)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert decoded.image.size == (4000, 2500)
    return peak


# PNG: stored, not deflated, so the 30 MB file takes no time to write
@pytest.mark.parametrize(
    ("fmt", "big_params"), [("JPEG", {"quality": 95}), ("PNG", {"compress_level": 0})]
)
def test_decoding_a_big_file_from_a_path_does_not_hold_the_file(
    fmt: str, big_params: dict[str, object], tmp_path: pathlib.Path
) -> None:
    big, small = _big_and_small(fmt, big_params)
    assert len(big) > 10 * MB and len(small) < MB
    (tmp_path / "big").write_bytes(big)
    (tmp_path / "small").write_bytes(small)
    del big, small
    small_peak = _traced_peak(tmp_path / "small")
    big_peak = _traced_peak(tmp_path / "big")
    size = (tmp_path / "big").stat().st_size
    # Same pixels, 10+ MB more bytes: no copy of the file may appear in the peak.
    assert big_peak - small_peak < 2 * MB, (small_peak, big_peak)
    assert big_peak < size / 5, (big_peak, size)


def test_truncated_big_jpeg_from_a_path_is_refused(tmp_path: pathlib.Path) -> None:
    data = save(noise(1500, 1000), "JPEG", quality=95)
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) * 9 // 10])
    with pytest.raises(InvalidImage) as caught:
        decode_image(path, ImageLimits())
    assert caught.value.code == "truncated_image"
    assert str(path) not in _open_paths()


def test_bomb_declared_past_the_head_is_refused_from_the_header(tmp_path: pathlib.Path) -> None:
    # ~250 KB of ICC segments push the frame header far past the first HEAD_BYTES.
    honest = save(noise(200, 150), "JPEG", icc_profile=b"\x00" * 250_000)
    assert honest.index(b"\xff\xc0") > 3 * HEAD_BYTES
    bomb = jpeg_with_size(honest, 60000, 60000)
    path = tmp_path / "bomb.jpg"
    path.write_bytes(bomb)
    with pytest.raises(InvalidImage, match="declares 60000x60000") as caught:
        decode_image(path, ImageLimits())
    assert caught.value.code == "decompression_bomb"
    path.write_bytes(honest)
    assert decode_image(path, ImageLimits()).image.size == (200, 150)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_payload_after_the_image_is_counted_exactly_from_a_path(
    fmt: str, tmp_path: pathlib.Path
) -> None:
    # Longer than SCAN_BLOCK, with EOI-like bytes only before the image's own end.
    payload = b"\x00" * (SCAN_BLOCK + 12_345)
    data = save(noise(80, 60), fmt) + payload
    path = tmp_path / "polyglot"
    path.write_bytes(data)
    decoded = decode_image(path, ImageLimits())
    expected = f"ignored {len(payload)} bytes after the end of the {fmt} data"
    assert expected in decoded.warnings
    assert decode_image(data, ImageLimits()).warnings == decoded.warnings


# SCAN_BLOCK - 1: split across the seam of the two blocks scanned
@pytest.mark.parametrize("offset", [0, 1, SCAN_BLOCK - 1, SCAN_BLOCK, 2 * SCAN_BLOCK - 2])
def test_last_marker_is_found_wherever_it_sits(offset: int) -> None:
    data = bytearray(2 * SCAN_BLOCK)
    data[offset : offset + 2] = b"\xff\xd9"
    source = ImageSource.from_bytes(bytes(data))
    assert source.rfind(b"\xff\xd9") == offset
    assert ImageSource.from_bytes(b"abc").rfind(b"\xff\xd9") == -1


def test_reads_past_the_end_are_short_or_empty() -> None:
    source = ImageSource(io.BytesIO(b"0123456789"), 10)
    assert source.read_at(8, 5) == b"89"
    assert source.read_at(10, 5) == b""
    assert source.read_at(-3, 2) == b"01"
    assert source.tail(3) == b"789"
    assert source.tail(50) == b"0123456789"
    assert source.head == b"0123456789"
