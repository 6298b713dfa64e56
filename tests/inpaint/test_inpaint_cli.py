"""``pictor erase`` and ``pictor remove-watermark`` run as a user would: a subprocess."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tests.cli.test_cli import run_pictor
from tests.inpaint.synthetic import gradient, png_bytes, png_pixels, rect_mask, textured

from pictor.engines.inpaint.reverse_alpha import blend, psnr
from pictor.engines.inpaint.templates import builtin_templates


def test_erase_with_a_mask_file_and_with_rectangles(tmp_path: Path) -> None:
    clean = gradient()
    drawn = clean.copy()
    drawn[100:130, 140:200] = (250, 10, 10)
    (tmp_path / "photo.png").write_bytes(png_bytes(drawn))
    (tmp_path / "mask.png").write_bytes(png_bytes(rect_mask(240, 320, 140, 100, 60, 30)))
    done = run_pictor(tmp_path, "erase", "photo.png", "--mask", "mask.png", "-o", "a.png")
    assert done.returncode == 0, done.stderr
    assert "opencv:telea" in done.stdout and "1800 px erased" in done.stdout
    by_rect = run_pictor(
        tmp_path, "erase", "photo.png", "--rect", "140,100,60,30", "--method", "ns", "-o", "b.png"
    )
    assert by_rect.returncode == 0, by_rect.stderr
    for name in ("a.png", "b.png"):
        out = png_pixels((tmp_path / name).read_bytes())
        assert np.abs(out.astype(int) - clean.astype(int))[100:130, 140:200].mean() < 8


def test_erase_refuses_a_polygon_of_two_points_and_a_missing_mask(tmp_path: Path) -> None:
    (tmp_path / "photo.png").write_bytes(png_bytes(gradient()))
    two = run_pictor(tmp_path, "erase", "photo.png", "--polygon", "1,1,5,5", "-o", "x.png")
    assert two.returncode == 2 and "invalid_request" in two.stderr
    none = run_pictor(tmp_path, "erase", "photo.png", "-o", "x.png")
    assert none.returncode == 2 and "mask_missing" in none.stderr
    assert not (tmp_path / "x.png").exists()


def test_remove_watermark_on_many_files_with_the_built_in_template(tmp_path: Path) -> None:
    sample = builtin_templates()[0]
    clean = textured(300, 400)
    x, y, _, _ = sample.expected_box(400, 300)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "marked.png").write_bytes(png_bytes(blend(clean, sample, x, y)))
    (folder / "clean.png").write_bytes(png_bytes(clean))
    done = run_pictor(tmp_path, "remove-watermark", "in", "--template", "sample-star", "-o", "out")
    assert done.returncode == 0, done.stderr
    restored = png_pixels((tmp_path / "out" / "marked.png").read_bytes())
    assert psnr(restored, clean) >= 40.0
    untouched = png_pixels((tmp_path / "out" / "clean.png").read_bytes())
    assert np.array_equal(untouched, clean)
    unknown = run_pictor(tmp_path, "remove-watermark", "in", "--template", "nope", "-o", "o2")
    assert unknown.returncode == 2 and "template_not_found" in unknown.stderr
