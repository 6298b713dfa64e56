"""Inpainting engines on synthetic images: OpenCV (both methods, both strategies), ONNX."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests.conftest import make_settings
from tests.inpaint.onnx_inpaint_models import mean_fill_model, one_input_model
from tests.inpaint.synthetic import gradient, rect_mask

from pictor.engines.catalog import build_engines
from pictor.engines.inpaint.crops import windows
from pictor.engines.inpaint.onnx import OnnxInpainter
from pictor.engines.inpaint.opencv import OpenCvInpainter
from pictor.errors import EngineUnavailable, InvalidImage


def _error(a: np.ndarray, b: np.ndarray, where: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int32) - b.astype(np.int32))[where].mean())


@pytest.mark.parametrize("method", ["telea", "ns"])
def test_erasing_a_rectangle_drawn_on_a_gradient_restores_the_gradient(method: str) -> None:
    clean = gradient()
    drawn = clean.copy()
    drawn[100:130, 140:200] = (250, 10, 10)  # a red bar "object" on the ramp
    mask = rect_mask(240, 320, 140, 100, 60, 30)
    out = OpenCvInpainter(method).inpaint(drawn, mask)  # type: ignore[arg-type]
    hole = mask > 0
    assert _error(drawn, clean, hole) > 100, "the bar must differ from the ramp"
    assert _error(out, clean, hole) < 6.0, "the filled hole must be close to the ramp"
    assert np.array_equal(out[~hole], drawn[~hole]), "pixels outside the mask are kept"


def test_crop_strategy_gives_the_full_frame_result_in_the_masked_region() -> None:
    image = gradient(600, 800)
    mask = np.zeros((600, 800), np.uint8)
    mask[50:90, 60:180] = 255
    mask[400:460, 600:640] = 255
    mask[300:303, 10:700] = 255  # a long thin scratch across the frame
    crop = OpenCvInpainter("telea", strategy="crop").inpaint(image, mask)
    full = OpenCvInpainter("telea", strategy="full").inpaint(image, mask)
    diff = np.abs(crop.astype(np.int32) - full.astype(np.int32))
    assert diff.max() <= 1, f"crop and full frame differ by up to {diff.max()}"
    assert np.array_equal(crop[mask == 0], image[mask == 0])


def test_windows_cover_each_part_of_the_mask_once_with_padding() -> None:
    mask = np.zeros((200, 300), np.uint8)
    mask[10:20, 10:20] = 255
    mask[150:160, 250:260] = 255
    parts = windows(mask, pad=5)
    assert len(parts) == 2
    covered = np.zeros_like(mask, dtype=np.int32)
    for part in parts:
        covered[part.y0 : part.y1, part.x0 : part.x1] += part.of(mask) > 0
    assert np.array_equal(covered > 0, mask > 0) and covered.max() == 1
    first = min(parts, key=lambda p: p.y0)
    assert (first.y0, first.x0, first.y1, first.x1) == (5, 5, 25, 25)
    assert windows(np.zeros((10, 10), np.uint8), pad=5) == []


def test_an_image_of_the_wrong_layout_is_refused() -> None:
    with pytest.raises(InvalidImage) as info:
        OpenCvInpainter().inpaint(np.zeros((10, 10), np.uint8), np.zeros((10, 10), np.uint8))
    assert info.value.code == "unsupported_image_layout"
    with pytest.raises(InvalidImage) as info:
        OpenCvInpainter().inpaint(gradient(20, 30), np.zeros((30, 20), np.uint8))
    assert info.value.code == "mask_size_mismatch"


@pytest.mark.parametrize(
    ("size", "scale_255", "mask_first"),
    [(64, False, False), (None, False, True), (64, True, False)],
)
def test_onnx_inpainter_pastes_the_model_answer_into_the_hole(
    tmp_path: Path, size: int | None, scale_255: bool, mask_first: bool
) -> None:
    model = mean_fill_model(
        tmp_path / "lama.onnx", size=size, scale_255=scale_255, mask_first=mask_first
    )
    image = np.full((300, 400, 3), (30, 160, 90), np.uint8)
    image[120:150, 200:260] = (255, 255, 255)
    mask = rect_mask(300, 400, 200, 120, 60, 30)
    engine = OnnxInpainter(model, margin=32)
    assert engine.engine_id == "onnx:lama.onnx" and engine.availability().available
    out = engine.inpaint(image, mask)
    hole = mask > 0
    # The model fills with the mean of the known pixels of its window: the green backdrop.
    assert _error(out, np.full_like(image, (30, 160, 90)), hole) < 3.0
    assert np.array_equal(out[~hole], image[~hole])


def test_a_model_without_a_mask_input_is_refused_as_invalid(tmp_path: Path) -> None:
    engine = OnnxInpainter(one_input_model(tmp_path / "identity.onnx"))
    with pytest.raises(EngineUnavailable) as info:
        engine.inpaint(gradient(64, 64), rect_mask(64, 64, 5, 5, 10, 10))
    assert info.value.code == "invalid_model"


def test_catalog_names_the_setting_for_the_onnx_inpainter(tmp_path: Path) -> None:
    engines = build_engines(make_settings(tmp_path))
    assert engines.inpainter("opencv-telea").engine_id == "opencv:telea"
    assert engines.inpainter("opencv-ns").engine_id == "opencv:ns"
    with pytest.raises(EngineUnavailable) as info:
        engines.inpainter("onnx")
    assert "PICTOR_INPAINT_MODEL" in info.value.message
    ready = engines.readiness()
    assert ready["inpaint:opencv-telea"].available
    assert not ready["inpaint:onnx"].available

    model = mean_fill_model(tmp_path / "lama.onnx")
    configured = build_engines(make_settings(tmp_path, inpaint={"model": str(model)}))
    assert configured.inpainter("onnx").engine_id == "onnx:lama.onnx"
    assert configured.readiness()["inpaint:onnx"].available


def test_a_mask_of_many_specks_is_filled_like_full_frame() -> None:
    image = gradient(200, 300)
    mask = np.zeros((200, 300), np.uint8)
    mask[10:190:6, 10:290:6] = 255  # 900 one-pixel specks: past the merge limit
    crop = OpenCvInpainter("telea").inpaint(image, mask)
    full = OpenCvInpainter("telea", strategy="full").inpaint(image, mask)
    assert np.abs(crop.astype(np.int32) - full.astype(np.int32)).max() <= 1
