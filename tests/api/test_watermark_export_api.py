"""A template registered on the server, exported as a file, used by the local CLI."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import numpy as np
from tests.api.test_watermark_api import SAMPLE, capture_on_black, register
from tests.cli.test_cli import run_pictor
from tests.conftest import User
from tests.inpaint.synthetic import png_bytes, png_pixels, textured

from pictor.engines.inpaint.reverse_alpha import blend, psnr
from pictor.engines.inpaint.templates import MarkTemplate, Placement
from pictor.watermarks.export import mark_from_file

GOLD = (255, 200, 40)


async def test_an_exported_template_removes_its_mark_with_the_cli(
    client: httpx.AsyncClient, user: User, other_user: User, tmp_path: Path
) -> None:
    small = SAMPLE.alpha[::2, ::2].copy()  # a 48 px star
    rules = [
        {"margin_x": 20, "margin_y": 15},
        {"min_width": 1025, "min_height": 1025, "width": 96, "margin_x": 64, "margin_y": 64},
    ]
    created = await register(
        client,
        user,
        "gold-rules",
        capture_on_black(small, GOLD),
        logo_color="#ffc828",
        corner="bottom-left",
        placements=json.dumps(rules),
    )
    assert created.status_code == 201, created.text
    url = f"/v1/watermark-templates/{created.json()['id']}/export"
    assert (await client.get(url, headers=other_user.headers)).status_code == 404
    exported = await client.get(url, headers=user.headers)
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-disposition"] == 'attachment; filename="gold-rules.json"'
    doc = exported.json()
    assert doc["format"] == "pictor-watermark-template/1" and doc["corner"] == "bottom-left"
    assert [r["width"] for r in doc["placements"]] == [None, 96]
    assert doc["logo_color"] == "#ffc828"
    (tmp_path / "gold-rules.json").write_bytes(exported.content)

    # The mark as the service that stamps it would place it: bottom-left, 20/15 px in.
    stamp = MarkTemplate(
        "stamp", small, GOLD, "bottom-left", (Placement(margin_x=20, margin_y=15),)
    )
    clean = textured(300, 400, seed=5)
    x, y, w, h = stamp.expected_box(400, 300)
    (tmp_path / "marked.png").write_bytes(png_bytes(blend(clean, stamp, x, y)))
    done = run_pictor(
        tmp_path, "remove-watermark", "marked.png", "--template-file", "gold-rules.json",
        "-o", "clean.png",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "(reverse-alpha:gold-rules" in done.stdout and ", found)" in done.stdout
    restored = png_pixels((tmp_path / "clean.png").read_bytes())
    assert psnr(restored[y : y + h, x : x + w], clean[y : y + h, x : x + w]) >= 40.0


async def test_a_built_in_template_exports_its_exact_alpha_map(
    client: httpx.AsyncClient, user: User
) -> None:
    exported = await client.get("/v1/watermark-templates/sample-star/export", headers=user.headers)
    assert exported.status_code == 200, exported.text
    mark = mark_from_file(exported.content)
    assert mark.name == "sample-star" and mark.placements == SAMPLE.placements
    assert np.abs(mark.alpha - SAMPLE.alpha).max() < 1e-4


def test_a_file_that_is_not_an_exported_template_is_refused(tmp_path: Path) -> None:
    (tmp_path / "photo.png").write_bytes(png_bytes(textured()))
    for name, text in (("empty.json", "{}"), ("broken.json", "not json"), ("photo.png", None)):
        if text is not None:
            (tmp_path / name).write_text(text)
        done = run_pictor(
            tmp_path, "remove-watermark", "photo.png", "--template-file", name, "-o", "o.png"
        )
        assert done.returncode == 2 and "invalid_template" in done.stderr, (name, done.stderr)
    assert not (tmp_path / "o.png").exists()
