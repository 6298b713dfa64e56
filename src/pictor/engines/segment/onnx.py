"""Background removal with a saliency model file the user brings (``.onnx``).

Works with the "one image in, one saliency map out" family: U²-Net, ISNet (DIS),
BiRefNet, RMBG and their exports. How a model wants its input is taken, in order, from
the constructor (i.e. settings), then the model's own metadata, then its static input
shape, then defaults:

- input size: ``input_size`` / metadata ``pictor.input_size`` / static H x W / 1024;
- normalization: ``mean``, ``std`` / metadata ``pictor.mean``, ``pictor.std``
  (comma-separated floats, RGB order) / ImageNet (0.485, 0.456, 0.406), (0.229, 0.224, 0.225).

The defaults suit BiRefNet. Known exports differ: U²-Net and U²-Netp take 320 x 320 with
ImageNet normalization; ISNet (isnet-general-use) and RMBG-1.4 take 1024 x 1024 with
mean 0.5 and std 1.0. Set them in settings or stamp them into the model's metadata.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from pictor.engines.availability import Availability
from pictor.engines.onnx_session import (
    InvalidModel,
    LoadedSession,
    available_providers,
    check_model_file,
    choose_providers,
    load_session,
)
from pictor.engines.segment.base import Alpha, RGBImage
from pictor.engines.segment.refine import refine_alpha
from pictor.errors import InvalidImage, PictorError

SETTING = "PICTOR_SEGMENT_MODEL"
DEFAULT_INPUT_SIZE = 1024
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
META_INPUT_SIZE = "pictor.input_size"
META_MEAN = "pictor.mean"
META_STD = "pictor.std"

Triple = tuple[float, float, float]
_INPUT_DTYPES: dict[str, type[np.floating[Any]]] = {
    "tensor(float)": np.float32,
    "tensor(float16)": np.float16,
}


@dataclass(frozen=True)
class InputSpec:
    """How an image is turned into the model's input tensor."""

    height: int
    width: int
    mean: Triple
    std: Triple
    dtype: type[np.floating[Any]]


class OnnxSegmenter:
    """A ``Segmenter`` running a local ONNX saliency model.

    Construction only records settings, so it is cheap and the object pickles: a child
    process of a pool loads the session on its first ``predict_alpha`` (once per
    process, see ``load_session``).
    """

    def __init__(
        self,
        model_path: Path,
        *,
        input_size: int | None = None,
        mean: Triple | None = None,
        std: Triple | None = None,
        providers: Sequence[str] | None = None,
    ) -> None:
        if input_size is not None and input_size <= 0:
            raise ValueError(f"input_size must be positive, got {input_size}")
        self._path = Path(model_path)
        self._input_size = input_size
        self._mean = _triple(mean, "mean") if mean is not None else None
        self._std = _positive(_triple(std, "std"), "std") if std is not None else None
        self._providers = tuple(providers) if providers else None

    @property
    def engine_id(self) -> str:
        """``"onnx:"`` and the model's file name, e.g. ``"onnx:isnet.onnx"``."""
        return f"onnx:{self._path.name}"

    @property
    def model_path(self) -> Path:
        return self._path

    def availability(self) -> Availability:
        """Whether the file looks like a model and onnxruntime can run; loads nothing."""
        try:
            check_model_file(self._path, setting=SETTING)
            providers = choose_providers(self._providers, available_providers(), setting=SETTING)
        except PictorError as exc:
            return Availability.missing(exc.message)
        return Availability.ok(f"{self._path} (providers: {', '.join(providers)})")

    def session(self) -> LoadedSession:
        """The model's session in this process, loaded on first use."""
        return load_session(self._path, self._providers, setting=SETTING)

    @property
    def provider(self) -> str:
        """The execution provider the model runs on (loads the session)."""
        return self.session().provider

    def input_spec(self) -> InputSpec:
        """The input size, normalization and dtype this model will be fed."""
        return resolve_input_spec(
            self.session(), input_size=self._input_size, mean=self._mean, std=self._std
        )

    def predict_alpha(self, image: RGBImage, *, refine_edges: bool = True) -> Alpha:
        """Return the foreground alpha of ``image`` at its full resolution.

        The model's saliency map is min-max normalized (a constant map is kept as is),
        upsampled bilinearly, and with ``refine_edges`` refined against the image.
        """
        _check_image(image)
        loaded = self.session()
        spec = resolve_input_spec(
            loaded, input_size=self._input_size, mean=self._mean, std=self._std
        )
        saliency = normalize_saliency(_run(loaded, preprocess(image, spec)))
        height, width = image.shape[:2]
        upsampled = cv2.resize(saliency, (width, height), interpolation=cv2.INTER_LINEAR)
        alpha: Alpha = np.clip(upsampled, 0.0, 1.0).astype(np.float32)
        if refine_edges:
            alpha = refine_alpha(image, alpha)
        return alpha


def resolve_input_spec(
    loaded: LoadedSession,
    *,
    input_size: int | None = None,
    mean: Triple | None = None,
    std: Triple | None = None,
) -> InputSpec:
    """Settings first, then the model's metadata, then its static shape, then defaults."""
    shape = loaded.input_shape
    name = loaded.path.name
    if len(shape) != 4 or (isinstance(shape[1], int) and shape[1] != 3):
        raise InvalidModel(
            f"{name} takes input {list(shape)}, not an N x 3 x H x W image; "
            f"{SETTING} must be a background-removal (saliency) model",
            details={"setting": SETTING, "input_shape": list(shape)},
        )
    dtype = _INPUT_DTYPES.get(loaded.input_type)
    if dtype is None:
        raise InvalidModel(
            f"{name} takes {loaded.input_type} input; only float32 and float16 are supported",
            details={"setting": SETTING},
        )
    size = input_size if input_size is not None else _meta_int(loaded, META_INPUT_SIZE)
    static_h, static_w = shape[2], shape[3]
    height = static_h if isinstance(static_h, int) and static_h > 0 else None
    width = static_w if isinstance(static_w, int) and static_w > 0 else None
    if size is not None and (height not in (None, size) or width not in (None, size)):
        raise InvalidModel(
            f"{name} has a fixed input of {static_h} x {static_w}, but the configured "
            f"input size is {size}",
            details={"setting": SETTING, "input_shape": list(shape)},
        )
    fallback = size if size is not None else DEFAULT_INPUT_SIZE
    return InputSpec(
        height=height or fallback,
        width=width or fallback,
        mean=mean or _meta_triple(loaded, META_MEAN) or IMAGENET_MEAN,
        std=std or _meta_triple(loaded, META_STD, positive=True) or IMAGENET_STD,
        dtype=dtype,
    )


def preprocess(image: RGBImage, spec: InputSpec) -> NDArray[Any]:
    """RGB uint8 H x W x 3 to a normalized 1 x 3 x h x w tensor of the model's dtype."""
    shrinking = spec.height * spec.width < image.shape[0] * image.shape[1]
    resized = cv2.resize(
        image,
        (spec.width, spec.height),
        interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR,
    )
    mean: NDArray[np.float32] = np.array(spec.mean, dtype=np.float32)
    std: NDArray[np.float32] = np.array(spec.std, dtype=np.float32)
    x: NDArray[np.float32] = (resized.astype(np.float32) / np.float32(255.0) - mean) / std
    return np.ascontiguousarray(x.transpose(2, 0, 1)[np.newaxis]).astype(spec.dtype)


def normalize_saliency(saliency: NDArray[Any]) -> NDArray[np.float32]:
    """Map a raw saliency map to [0, 1] the way rembg does: min-max over the map.

    A map outside [0, 1] is taken to be logits (BiRefNet exports end before their
    sigmoid) and squashed first; a constant map has no range to stretch and is clipped.
    """
    s = np.nan_to_num(saliency.astype(np.float32), nan=0.0)
    lo, hi = float(s.min()), float(s.max())
    if lo < 0.0 or hi > 1.0:
        s = (1.0 / (1.0 + np.exp(-np.clip(s, -60.0, 60.0)))).astype(np.float32)
        lo, hi = float(s.min()), float(s.max())
    if hi - lo < 1e-6:
        flat: NDArray[np.float32] = np.clip(s, 0.0, 1.0)
        return flat
    out: NDArray[np.float32] = (s - np.float32(lo)) / np.float32(hi - lo)
    return out


def _run(loaded: LoadedSession, tensor: NDArray[Any]) -> NDArray[Any]:
    name = loaded.path.name
    try:
        outputs = loaded.session.run([loaded.output_names[0]], {loaded.input_name: tensor})
    except Exception as exc:  # onnxruntime's errors share no base class but Exception
        raise InvalidModel(
            f"{name} failed on a {list(tensor.shape)} input: {exc}",
            details={"setting": SETTING},
        ) from exc
    out = np.asarray(outputs[0])
    if out.ndim == 4 and out.shape[1] == 1:
        out = out[0, 0]
    elif out.ndim == 3:
        out = out[0]
    if out.ndim != 2:
        raise InvalidModel(
            f"{name} returned {list(np.asarray(outputs[0]).shape)}; expected one saliency "
            "map (N x 1 x H x W, N x H x W or H x W)",
            details={"setting": SETTING},
        )
    return out


def _check_image(image: RGBImage) -> None:
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise InvalidImage(
            f"expected an H x W x 3 uint8 RGB image, got {image.dtype} {list(image.shape)}",
            code="unsupported_image_layout",
        )


def _meta_int(loaded: LoadedSession, key: str) -> int | None:
    raw = loaded.metadata.get(key)
    if raw is None:
        return None
    try:
        value = int(raw.strip())
    except ValueError:
        value = 0
    if value <= 0:
        raise InvalidModel(
            f"{loaded.path.name} metadata {key}={raw!r} is not a positive integer",
            details={"setting": SETTING, "metadata_key": key},
        )
    return value


def _meta_triple(loaded: LoadedSession, key: str, *, positive: bool = False) -> Triple | None:
    raw = loaded.metadata.get(key)
    if raw is None:
        return None
    try:
        values = _triple(tuple(float(v) for v in raw.split(",")), key)
        return _positive(values, key) if positive else values
    except ValueError as exc:
        kind = "positive numbers" if positive else "numbers"
        raise InvalidModel(
            f"{loaded.path.name} metadata {key}={raw!r} is not three comma-separated {kind}",
            details={"setting": SETTING, "metadata_key": key},
        ) from exc


def _triple(values: Sequence[float], what: str) -> Triple:
    if len(values) != 3:
        raise ValueError(f"{what} needs three values (R, G, B), got {list(values)}")
    return (float(values[0]), float(values[1]), float(values[2]))


def _positive(values: Triple, what: str) -> Triple:
    if min(values) <= 0.0:
        raise ValueError(f"{what} values must be positive, got {list(values)}")
    return values
