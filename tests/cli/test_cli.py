"""The installed ``pictor`` console script, run as a user would: a real subprocess."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from tests.engines.onnx_models import brightness_model
from tests.support.images import product_photo

PICTOR = Path(sys.executable).with_name("pictor")


def run_pictor(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PICTOR_")}
    # Wide and colourless, so help text is not wrapped or cut by the terminal size.
    environ.update({"PICTOR_DATA_DIR": str(cwd / "data"), "COLUMNS": "200", "NO_COLOR": "1"})
    environ.update(env or {})
    return subprocess.run(
        [str(PICTOR), *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def bright_square_png() -> bytes:
    """A bright square on a dark background: what a "bright is foreground" model keeps."""
    rgb = np.full((160, 200, 3), 20, np.uint8)
    rgb[40:120, 60:140] = 235
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "PNG")
    return buf.getvalue()


def load(path: Path) -> Image.Image:
    image = Image.open(path)
    image.load()
    return image


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "photo.jpg"
    path.write_bytes(product_photo())
    return path


def test_console_script_is_installed() -> None:
    assert PICTOR.exists(), f"{PICTOR} missing: is the package installed in this venv?"


def test_remove_bg_writes_a_png_with_transparent_corners(tmp_path: Path, photo: Path) -> None:
    result = run_pictor(tmp_path, "remove-bg", "photo.jpg", "-o", "out.png")
    assert result.returncode == 0, result.stderr
    assert "out.png" in result.stdout and "classical" in result.stdout
    image = load(tmp_path / "out.png")
    assert image.format == "PNG" and image.mode == "RGBA"
    alpha = np.asarray(image)[:, :, 3]
    assert alpha.shape == (240, 320)
    for y, x in [(2, 2), (2, 317), (237, 2), (237, 317)]:
        assert alpha[y, x] < 20, f"corner {(y, x)} must be transparent"
    assert alpha[120, 160] > 235, "the product must stay opaque"


def test_a_folder_is_processed_and_a_bad_file_is_reported_by_its_code(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(product_photo())
    (folder / "b.png").write_bytes(product_photo(fmt="PNG"))
    (folder / "c.webp").write_bytes(product_photo(fmt="WEBP"))
    (folder / "x.jpg").write_text("these are not the pixels you are looking for\n")
    (folder / "notes.txt").write_text("ignored: not an image suffix\n")

    result = run_pictor(tmp_path, "remove-bg", "in", "-o", "out")

    assert result.returncode == 1, (result.stdout, result.stderr)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png", "b.png", "c.png"]
    for path in (tmp_path / "out").iterdir():
        assert load(path).mode == "RGBA"
    [bad_line] = [line for line in result.stderr.splitlines() if "x.jpg" in line]
    assert "(unsupported_format)" in bad_line
    assert "Traceback" not in result.stderr


def test_only_mask_writes_a_greyscale_mask(tmp_path: Path, photo: Path) -> None:
    result = run_pictor(tmp_path, "remove-bg", "photo.jpg", "-o", "mask.png", "--only-mask")
    assert result.returncode == 0, result.stderr
    mask = load(tmp_path / "mask.png")
    assert mask.mode == "L" and mask.size == (320, 240)
    pixels = np.asarray(mask)
    assert pixels[5, 5] < 20 and pixels[120, 160] > 235


def test_trim_crops_to_the_subject_with_padding(tmp_path: Path, photo: Path) -> None:
    result = run_pictor(
        tmp_path, "remove-bg", "photo.jpg", "-o", "trim.png", "--trim", "--padding", "4"
    )
    assert result.returncode == 0, result.stderr
    image = load(tmp_path / "trim.png")
    # The red box is 107 x 120 pixels; trimming keeps it plus 4 px on each side.
    width, height = image.size
    assert abs(width - (107 + 8)) <= 4 and abs(height - (120 + 8)) <= 4, image.size
    alpha = np.asarray(image)[:, :, 3]
    assert alpha[0, 0] == 0 and alpha[height // 2, width // 2] > 235


def test_output_format_webp_writes_webp_with_alpha(tmp_path: Path, photo: Path) -> None:
    result = run_pictor(tmp_path, "remove-bg", "photo.jpg", "-o", "out", "--output-format", "webp")
    assert result.returncode == 0, result.stderr
    image = load(tmp_path / "out" / "photo.webp")
    assert image.format == "WEBP" and image.mode == "RGBA"
    alpha = np.asarray(image)[:, :, 3]
    assert alpha[5, 5] < 20 and alpha[120, 160] > 235


def test_a_missing_input_exits_2_with_an_error_line(tmp_path: Path) -> None:
    result = run_pictor(tmp_path, "remove-bg", "nowhere.jpg", "-o", "out.png")
    assert result.returncode == 2
    assert result.stderr.startswith("error:"), result.stderr
    assert "nowhere.jpg" in result.stderr and "input_missing" in result.stderr
    assert not (tmp_path / "out.png").exists()


def test_onnx_engine_without_a_model_names_the_setting(tmp_path: Path, photo: Path) -> None:
    result = run_pictor(tmp_path, "remove-bg", "photo.jpg", "-o", "out.png", "--engine", "onnx")
    assert result.returncode == 2
    assert result.stderr.startswith("error:")
    assert "PICTOR_SEGMENT_MODEL" in result.stderr and "engine_unavailable" in result.stderr


def test_onnx_engine_with_a_model_follows_the_model(tmp_path: Path) -> None:
    model = brightness_model(tmp_path / "bright.onnx")
    (tmp_path / "square.png").write_bytes(bright_square_png())
    result = run_pictor(
        tmp_path,
        "remove-bg", "square.png", "-o", "cut.png", "--engine", "onnx",
        env={"PICTOR_SEGMENT_MODEL": str(model)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "onnx:bright.onnx" in result.stdout
    alpha = np.asarray(load(tmp_path / "cut.png"))[:, :, 3]
    assert alpha[80, 100] > 235, "the bright square is foreground for this model"
    assert alpha[5, 5] < 20 and alpha[150, 190] < 20, "the dark background is not"


def test_migrate_creates_the_sqlite_database(tmp_path: Path) -> None:
    result = run_pictor(tmp_path, "migrate")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "pictor.db").stat().st_size > 0
    again = run_pictor(tmp_path, "migrate")
    assert again.returncode == 0, again.stderr


def test_users_and_keys_are_managed_from_the_command_line(tmp_path: Path) -> None:
    created = run_pictor(tmp_path, "users", "create", "a@b.co")
    assert created.returncode == 0, created.stderr
    first_key = re.search(r"psk_[A-Za-z0-9_-]{30,}", created.stdout)
    assert first_key, created.stdout

    second = run_pictor(tmp_path, "keys", "create", "A@B.co", "--name", "laptop")
    assert second.returncode == 0, second.stderr
    second_key = second.stdout.strip()
    assert second_key.startswith("psk_") and second_key != first_key.group()

    listed = run_pictor(tmp_path, "keys", "list", "a@b.co")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert len(lines) == 2
    [laptop] = [line for line in lines if "laptop" in line]
    assert second_key[:10] in laptop and "active" in laptop
    assert second_key not in listed.stdout, "secrets are never shown again"
    key_id = laptop.split()[0]
    assert key_id.startswith("key_")

    revoked = run_pictor(tmp_path, "keys", "revoke", key_id)
    assert revoked.returncode == 0, revoked.stderr
    after = run_pictor(tmp_path, "keys", "list", "a@b.co").stdout.splitlines()
    [laptop_after] = [line for line in after if line.startswith(key_id)]
    assert "revoked" in laptop_after
    [other] = [line for line in after if not line.startswith(key_id)]
    assert "active" in other


def test_a_duplicate_email_is_refused(tmp_path: Path) -> None:
    assert run_pictor(tmp_path, "users", "create", "a@b.co").returncode == 0
    again = run_pictor(tmp_path, "users", "create", "A@b.co ")
    assert again.returncode == 2
    assert again.stderr.startswith("error:") and "email_taken" in again.stderr
    assert "psk_" not in again.stdout


def test_keys_of_an_unknown_user_are_an_error_not_an_empty_list(tmp_path: Path) -> None:
    assert run_pictor(tmp_path, "migrate").returncode == 0
    for args in (["keys", "list", "nobody@b.co"], ["keys", "create", "nobody@b.co"]):
        result = run_pictor(tmp_path, *args)
        assert result.returncode == 2, args
        assert "not_found" in result.stderr and "nobody@b.co" in result.stderr


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = run_pictor(tmp_path, "--help")
    assert result.returncode == 0, result.stderr
    for command in ("serve", "migrate", "users", "keys", "remove-bg"):
        assert re.search(rf"\b{command}\b", result.stdout), command


def test_serve_help_shows_its_options(tmp_path: Path) -> None:
    result = run_pictor(tmp_path, "serve", "--help")
    assert result.returncode == 0, result.stderr
    for option in ("--host", "--port", "--workers", "--no-worker"):
        assert option in result.stdout, option


def test_remove_bg_takes_the_output_format_from_the_suffix(tmp_path: Path) -> None:
    source = tmp_path / "photo.jpg"
    source.write_bytes(product_photo())
    result = run_pictor(tmp_path, "remove-bg", str(source), "-o", str(tmp_path / "cut.webp"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cut.webp").read_bytes()[8:12] == b"WEBP"
