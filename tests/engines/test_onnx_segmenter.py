"""The ONNX segmenter end to end, on tiny real models run by a real onnxruntime session."""

from __future__ import annotations

import multiprocessing
import operator
import os
import pickle
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from onnx_models import brightness_model, garbage_file, truncated_model

from pictor.engines.onnx_session import (
    InvalidModel,
    ModelUnavailable,
    load_session,
)
from pictor.engines.segment.base import Segmenter
from pictor.engines.segment.onnx import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    OnnxSegmenter,
    normalize_saliency,
)
from pictor.errors import EngineUnavailable, InvalidImage


def bright_square() -> np.ndarray:
    """A 300 x 200 dark image with a bright 100 x 80 square in the middle."""
    image = np.full((200, 300, 3), 20, np.uint8)
    image[60:140, 100:200] = 240
    return image


def red_and_blue() -> np.ndarray:
    """Black, with a pure red square on the left and a pure blue one on the right."""
    image = np.zeros((120, 240, 3), np.uint8)
    image[30:90, 20:100] = (255, 0, 0)
    image[30:90, 140:220] = (0, 0, 255)
    return image


def region_means(alpha: np.ndarray) -> tuple[float, float]:
    return float(alpha[40:80, 30:90].mean()), float(alpha[40:80, 150:210].mean())


# --- the whole path -------------------------------------------------------------------


@pytest.mark.parametrize("refine_edges", [True, False])
def test_bright_square_is_foreground_at_full_resolution(tmp_path: Path, refine_edges: bool) -> None:
    segmenter = OnnxSegmenter(brightness_model(tmp_path / "bright.onnx"))

    alpha = segmenter.predict_alpha(bright_square(), refine_edges=refine_edges)

    assert alpha.shape == (200, 300)
    assert alpha.dtype == np.float32
    assert alpha[70:130, 110:190].min() > 0.9
    outside = np.ones((200, 300), bool)
    outside[50:150, 90:210] = False
    assert alpha[outside].max() < 0.1
    assert alpha.min() >= 0.0 and alpha.max() <= 1.0


def test_segmenter_satisfies_the_protocol_and_names_its_file(tmp_path: Path) -> None:
    segmenter: Segmenter = OnnxSegmenter(brightness_model(tmp_path / "isnet.onnx"))
    assert segmenter.engine_id == "onnx:isnet.onnx"


@pytest.mark.parametrize("output_rank", [3, 2])
def test_squeezed_saliency_outputs_are_accepted(tmp_path: Path, output_rank: int) -> None:
    model = brightness_model(tmp_path / f"rank{output_rank}.onnx", output_rank=output_rank)
    alpha = OnnxSegmenter(model).predict_alpha(bright_square(), refine_edges=False)
    assert alpha.shape == (200, 300)
    assert alpha[100, 150] > 0.9 and alpha[10, 10] < 0.1


def test_half_precision_model_is_fed_float16(tmp_path: Path) -> None:
    segmenter = OnnxSegmenter(brightness_model(tmp_path / "fp16.onnx", float16_input=True))
    alpha = segmenter.predict_alpha(bright_square(), refine_edges=False)
    assert segmenter.input_spec().dtype is np.float16
    assert alpha.dtype == np.float32
    assert alpha[100, 150] > 0.9 and alpha[10, 10] < 0.1


def test_constant_saliency_map_gives_no_nan(tmp_path: Path) -> None:
    # k = 0 makes the model answer Sigmoid(0) = 0.5 everywhere: nothing to min-max.
    model = brightness_model(tmp_path / "flat.onnx", k=0.0)
    alpha = OnnxSegmenter(model).predict_alpha(bright_square(), refine_edges=False)
    assert np.isfinite(alpha).all()
    np.testing.assert_allclose(alpha, 0.5, atol=1e-6)


def test_logit_outputs_are_squashed_before_min_max() -> None:
    logits = np.array([[-10.0, -8.0], [0.0, 10.0]], np.float32)
    out = normalize_saliency(logits)
    # A linear min-max would put -8 at 0.1; through a sigmoid it is background.
    assert out[0, 1] < 0.01
    assert abs(out[1, 0] - 0.5) < 0.01
    assert out[0, 0] == 0.0 and out[1, 1] == 1.0


def test_probabilities_are_stretched_to_the_full_range() -> None:
    out = normalize_saliency(np.array([[0.2, 0.4], [0.6, 0.6]], np.float32))
    np.testing.assert_allclose(out, [[0.0, 0.5], [1.0, 1.0]], atol=1e-6)


def test_non_rgb_image_is_refused(tmp_path: Path) -> None:
    segmenter = OnnxSegmenter(brightness_model(tmp_path / "m.onnx"))
    with pytest.raises(InvalidImage):
        segmenter.predict_alpha(np.zeros((20, 20, 4), np.uint8))


# --- input size: settings, then metadata, then static shape, then default ---------------


def test_static_input_shape_is_used_without_settings(tmp_path: Path) -> None:
    segmenter = OnnxSegmenter(brightness_model(tmp_path / "s48.onnx", size=48))
    # onnxruntime refuses any other size for a static 48 x 48 input, so a result proves it.
    alpha = segmenter.predict_alpha(bright_square(), refine_edges=False)
    assert segmenter.input_spec().height == segmenter.input_spec().width == 48
    assert alpha[100, 150] > 0.9


def test_metadata_input_size_is_what_the_session_is_fed(tmp_path: Path) -> None:
    model = brightness_model(
        tmp_path / "meta40.onnx",
        size=None,
        requires_size=40,
        metadata={"pictor.input_size": "40"},
    )
    segmenter = OnnxSegmenter(model)
    alpha = segmenter.predict_alpha(bright_square(), refine_edges=False)
    assert alpha[100, 150] > 0.9
    assert (segmenter.input_spec().height, segmenter.input_spec().width) == (40, 40)


def test_configured_input_size_overrides_metadata(tmp_path: Path) -> None:
    model = brightness_model(
        tmp_path / "meta40.onnx",
        size=None,
        requires_size=56,
        metadata={"pictor.input_size": "40"},
    )
    with pytest.raises(InvalidModel):
        OnnxSegmenter(model).predict_alpha(bright_square())
    alpha = OnnxSegmenter(model, input_size=56).predict_alpha(bright_square())
    assert alpha[100, 150] > 0.9


def test_dynamic_model_without_hints_gets_the_default_size(tmp_path: Path) -> None:
    segmenter = OnnxSegmenter(brightness_model(tmp_path / "dyn.onnx", size=None))
    assert (segmenter.input_spec().height, segmenter.input_spec().width) == (1024, 1024)
    assert segmenter.input_spec().mean == IMAGENET_MEAN
    assert segmenter.input_spec().std == IMAGENET_STD


def test_configured_size_that_contradicts_a_static_shape_is_a_clear_error(
    tmp_path: Path,
) -> None:
    segmenter = OnnxSegmenter(brightness_model(tmp_path / "s48.onnx", size=48), input_size=320)
    with pytest.raises(InvalidModel, match="48 x 48") as caught:
        segmenter.predict_alpha(bright_square())
    assert caught.value.code == "invalid_model"


def test_malformed_metadata_is_reported_with_its_key(tmp_path: Path) -> None:
    model = brightness_model(tmp_path / "bad.onnx", metadata={"pictor.std": "0.5,0"})
    with pytest.raises(InvalidModel, match=r"pictor\.std"):
        OnnxSegmenter(model).predict_alpha(bright_square())


# --- normalization ----------------------------------------------------------------------


def test_normalization_from_settings_is_applied_per_rgb_channel(tmp_path: Path) -> None:
    model = brightness_model(tmp_path / "mean.onnx", k=3.0)
    zero = (0.0, 0.0, 0.0)
    # The model averages channels, so dividing one channel by a small std makes that
    # colour the brightest: which square wins shows the std reached the right channel.
    red_wins = OnnxSegmenter(model, mean=zero, std=(0.25, 1.0, 1.0))
    blue_wins = OnnxSegmenter(model, mean=zero, std=(1.0, 1.0, 0.25))

    red, blue = region_means(red_wins.predict_alpha(red_and_blue(), refine_edges=False))
    assert red > blue + 0.3
    red, blue = region_means(blue_wins.predict_alpha(red_and_blue(), refine_edges=False))
    assert blue > red + 0.3


def test_image_reaches_the_model_in_rgb_channel_order(tmp_path: Path) -> None:
    red_is_foreground = brightness_model(tmp_path / "red.onnx", channel_weights=(1.0, 0.0, 0.0))
    alpha = OnnxSegmenter(red_is_foreground).predict_alpha(red_and_blue(), refine_edges=False)
    red, blue = region_means(alpha)
    assert red > 0.9
    assert blue < 0.1


def test_normalization_from_model_metadata_is_applied(tmp_path: Path) -> None:
    model = brightness_model(
        tmp_path / "meta_norm.onnx",
        k=3.0,
        metadata={"pictor.mean": "0,0,0", "pictor.std": "1, 1, 0.25"},
    )
    red, blue = region_means(OnnxSegmenter(model).predict_alpha(red_and_blue(), refine_edges=False))
    assert blue > red + 0.3
    # Settings still win over the model's own metadata.
    overridden = OnnxSegmenter(model, std=(0.25, 1.0, 1.0))
    red, blue = region_means(overridden.predict_alpha(red_and_blue(), refine_edges=False))
    assert red > blue + 0.3


# --- sessions: loaded once, picklable engines, provider ---------------------------------


def test_session_is_loaded_once_per_process(tmp_path: Path) -> None:
    model = brightness_model(tmp_path / "once.onnx")
    first, second = OnnxSegmenter(model), OnnxSegmenter(model)
    first.predict_alpha(bright_square())
    second.predict_alpha(bright_square())
    assert first.session() is second.session()
    assert first.session() is load_session(model)
    # Naming the provider the cache would pick anyway is the same session, not a second load.
    assert load_session(model, ["CPUExecutionProvider"]) is first.session()


def test_replaced_model_file_gets_a_fresh_session(tmp_path: Path) -> None:
    model = brightness_model(tmp_path / "swap.onnx")
    before = load_session(model)
    stat = model.stat()
    os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    after = load_session(model)
    assert after is not before
    assert load_session(model) is after


def test_provider_is_reported(tmp_path: Path) -> None:
    segmenter = OnnxSegmenter(brightness_model(tmp_path / "p.onnx"))
    assert segmenter.provider == "CPUExecutionProvider"
    assert segmenter.session().provider == "CPUExecutionProvider"


def test_unavailable_requested_provider_is_refused_with_what_exists(tmp_path: Path) -> None:
    model = brightness_model(tmp_path / "p.onnx")
    segmenter = OnnxSegmenter(model, providers=["NoSuchExecutionProvider"])
    with pytest.raises(ModelUnavailable, match="CPUExecutionProvider"):
        segmenter.predict_alpha(bright_square())
    assert not segmenter.availability().available


def test_segmenter_pickles_before_and_after_use(tmp_path: Path) -> None:
    segmenter = OnnxSegmenter(
        brightness_model(tmp_path / "pickle.onnx"), input_size=64, mean=(0.5, 0.5, 0.5)
    )
    fresh = pickle.loads(pickle.dumps(segmenter))
    expected = segmenter.predict_alpha(bright_square())
    used = pickle.loads(pickle.dumps(segmenter))

    np.testing.assert_array_equal(fresh.predict_alpha(bright_square()), expected)
    np.testing.assert_array_equal(used.predict_alpha(bright_square()), expected)
    assert used.engine_id == segmenter.engine_id
    assert used.session() is segmenter.session()


def test_segmenter_runs_in_a_child_process(tmp_path: Path) -> None:
    segmenter = OnnxSegmenter(brightness_model(tmp_path / "child.onnx"))
    expected = segmenter.predict_alpha(bright_square())
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        alpha = pool.submit(segmenter.predict_alpha, bright_square()).result(timeout=60)
        provider = pool.submit(operator.attrgetter("provider"), segmenter).result(timeout=60)
        child_pid = pool.submit(os.getpid).result(timeout=60)
    assert child_pid != os.getpid()
    np.testing.assert_allclose(alpha, expected, atol=1e-6)
    assert provider == "CPUExecutionProvider"


# --- missing and broken files -----------------------------------------------------------


def test_missing_model_file_names_the_setting(tmp_path: Path) -> None:
    segmenter = OnnxSegmenter(tmp_path / "nowhere.onnx")
    with pytest.raises(EngineUnavailable, match="PICTOR_SEGMENT_MODEL") as caught:
        segmenter.predict_alpha(bright_square())
    assert caught.value.code == "engine_unavailable"


def test_availability_reports_a_missing_file_without_raising(tmp_path: Path) -> None:
    report = OnnxSegmenter(tmp_path / "nowhere.onnx").availability()
    assert not report.available
    assert "PICTOR_SEGMENT_MODEL" in report.detail
    assert "nowhere.onnx" in report.detail


def test_availability_of_a_present_model_lists_providers(tmp_path: Path) -> None:
    report = OnnxSegmenter(brightness_model(tmp_path / "ok.onnx")).availability()
    assert report.available
    assert "CPUExecutionProvider" in report.detail


@pytest.mark.parametrize("make", [garbage_file, truncated_model])
def test_broken_model_file_is_a_clear_error(tmp_path: Path, make: Callable[[Path], Path]) -> None:
    path = make(tmp_path / "broken.onnx")
    with pytest.raises(InvalidModel, match="PICTOR_SEGMENT_MODEL") as caught:
        OnnxSegmenter(path).predict_alpha(bright_square())
    assert caught.value.code == "invalid_model"
    assert isinstance(caught.value, EngineUnavailable)


def test_garbage_file_is_unavailable_without_loading(tmp_path: Path) -> None:
    report = OnnxSegmenter(garbage_file(tmp_path / "page.onnx")).availability()
    assert not report.available
    assert "not an ONNX model" in report.detail


def test_empty_model_file_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    with pytest.raises(InvalidModel):
        load_session(empty)
    assert not OnnxSegmenter(empty).availability().available
