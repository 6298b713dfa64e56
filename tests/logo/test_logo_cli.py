"""``pictor logo`` run as a user would: the installed console script in a subprocess."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from PIL import Image
from tests.cli.test_cli import run_pictor


def test_logo_command_writes_svgs_pngs_and_a_brand_kit(tmp_path: Path) -> None:
    out = tmp_path / "logos"
    args = ["logo", "Golden Crust", "--type", "bakery", "--style", "playful"]
    result = run_pictor(tmp_path, *args, "--color", "#e4572e", "-n", "2", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.glob("*.svg")) == ["logo-1.svg", "logo-2.svg"]
    image = Image.open(out / "logo-2-1024-white.png")
    assert max(image.size) == 1024
    kit = zipfile.ZipFile(io.BytesIO((out / "brand-kit.zip").read_bytes()))
    assert "variant-2/favicon-32.png" in kit.namelist()
    assert "contrast" in result.stdout

    again = run_pictor(tmp_path, *args, "--color", "#e4572e", "-n", "2", "-o", str(tmp_path / "b"))
    assert again.returncode == 0
    assert (tmp_path / "b" / "logo-1.svg").read_bytes() == (out / "logo-1.svg").read_bytes()


def test_logo_command_refuses_bad_input_naming_it(tmp_path: Path) -> None:
    for extra, word in ((["-n", "25"], "variants"), (["--color", "blurple"], "colors")):
        result = run_pictor(tmp_path, "logo", "Acme", "-o", str(tmp_path / "x"), *extra)
        assert result.returncode == 2
        assert word in result.stderr
