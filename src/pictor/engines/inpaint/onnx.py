"""Inpainting with a LaMa-style model file the user brings (``.onnx``).

The model takes an image and a mask and returns the filled image, as the LaMa exports
do (e.g. ``lama_fp32.onnx``: ``image`` 1 x 3 x H x W in [0, 1], ``mask`` 1 x 1 x H x W in
{0, 1}, output 1 x 3 x H x W). Which input is which is read from the channel count
(3 for the image, 1 for the mask), else from the names. The output may be in [0, 1]
or [0, 255]: metadata ``pictor.output_range`` (``"1"`` or ``"255"``) says which, else
a maximum above 2 means [0, 255].

Each part of the mask is filled in a window with ``margin`` px of context around it
(the crop strategy), resized to the model's fixed input size when it has one, or
padded to a multiple of 8 (capped at ``max_side``) when its size is dynamic. Only the
masked pixels of the model's answer are pasted back.
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
from pictor.engines.inpaint.base import Mask, RGBImage, check_pair
from pictor.engines.inpaint.crops import inpaint_by_windows
from pictor.engines.onnx_session import (
    InvalidModel,
    LoadedSession,
    available_providers,
    check_model_file,
    choose_providers,
    load_session,
)
from pictor.errors import PictorError

SETTING = "PICTOR_INPAINT_MODEL"
META_OUTPUT_RANGE = "pictor.output_range"
MULTIPLE = 8


@dataclass(frozen=True)
class ModelIO:
    image: str
    mask: str
    output: str
    #: Fixed (height, width) of the inputs, or None when dynamic.
    size: tuple[int, int] | None


class OnnxInpainter:
    """An ``Inpainter`` running a local ONNX model; cheap to build and picklable."""

    def __init__(
        self,
        model_path: Path,
        *,
        margin: int = 128,
        max_side: int = 1024,
        providers: Sequence[str] | None = None,
    ) -> None:
        self._path = Path(model_path)
        self.margin = margin
        self.max_side = max_side
        self._providers = tuple(providers) if providers else None

    @property
    def engine_id(self) -> str:
        """``"onnx:"`` and the model's file name, e.g. ``"onnx:lama_fp32.onnx"``."""
        return f"onnx:{self._path.name}"

    def availability(self) -> Availability:
        """Whether the file looks like a model and onnxruntime can run; loads nothing."""
        try:
            check_model_file(self._path, setting=SETTING)
            providers = choose_providers(self._providers, available_providers(), setting=SETTING)
        except PictorError as exc:
            return Availability.missing(exc.message)
        return Availability.ok(f"{self._path} (providers: {', '.join(providers)})")

    def session(self) -> LoadedSession:
        return load_session(self._path, self._providers, setting=SETTING)

    def inpaint(self, image: RGBImage, mask: Mask) -> RGBImage:
        """Fill the pixels where ``mask`` is 255 with the model's answer."""
        check_pair(image, mask)
        loaded = self.session()
        io = model_io(loaded)
        binary = np.where(mask > 0, 255, 0).astype(np.uint8)

        def fill(crop: RGBImage, crop_mask: Mask) -> RGBImage:
            return self._fill(loaded, io, crop, crop_mask)

        return inpaint_by_windows(image, binary, self.margin, fill)

    def _fill(self, loaded: LoadedSession, io: ModelIO, crop: RGBImage, mask: Mask) -> RGBImage:
        height, width = mask.shape
        if io.size is not None:
            model_h, model_w = io.size
            image_in, mask_in = _resize_pair(crop, mask, model_w, model_h)
        else:
            scale = min(1.0, self.max_side / max(height, width))
            model_w, model_h = max(1, round(width * scale)), max(1, round(height * scale))
            image_in, mask_in = _resize_pair(crop, mask, model_w, model_h)
            # Dynamic models want sides divisible by 8: pad (mirrored), never stretch.
            pad_h, pad_w = _round_up(model_h) - model_h, _round_up(model_w) - model_w
            image_in = np.pad(image_in, ((0, pad_h), (0, pad_w), (0, 0)), mode="reflect")
            mask_in = np.pad(mask_in, ((0, pad_h), (0, pad_w)))
        pixels = self._run(loaded, io, image_in, mask_in)[:model_h, :model_w]
        if (model_h, model_w) != (height, width):
            pixels = np.asarray(
                cv2.resize(pixels, (width, height), interpolation=cv2.INTER_CUBIC),
                dtype=np.float32,
            )
        out: RGBImage = np.clip(np.rint(pixels), 0, 255).astype(np.uint8)
        return out

    def _run(
        self, loaded: LoadedSession, io: ModelIO, image: RGBImage, mask: Mask
    ) -> NDArray[np.float32]:
        """The model's answer as H x W x 3 float in [0, 255]."""
        feeds = {
            io.image: (image.astype(np.float32) / 255.0).transpose(2, 0, 1)[None],
            io.mask: (mask > 0).astype(np.float32)[None, None],
        }
        try:
            raw = np.asarray(loaded.session.run([io.output], feeds)[0], dtype=np.float32)
        except Exception as exc:  # onnxruntime's errors share no base class
            raise InvalidModel(
                f"{loaded.path.name} failed on a {image.shape[1]} x {image.shape[0]} input: {exc}",
                details={"setting": SETTING},
            ) from exc
        if raw.ndim != 4 or raw.shape[:2] != (1, 3) or raw.shape[2:] != mask.shape:
            raise InvalidModel(
                f"{loaded.path.name} returned {list(raw.shape)}; expected 1 x 3 x H x W",
                details={"setting": SETTING},
            )
        pixels = raw[0].transpose(1, 2, 0)
        if _output_scale(loaded, pixels) == 1.0:
            pixels = pixels * np.float32(255.0)
        return np.ascontiguousarray(pixels)


def _resize_pair(image: RGBImage, mask: Mask, width: int, height: int) -> tuple[RGBImage, Mask]:
    if image.shape[:2] == (height, width):
        return image, mask
    shrink = width * height < image.shape[0] * image.shape[1]
    small = cv2.resize(
        image, (width, height), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    )
    # Any coverage counts as hole: a resized mask must never lose thin strokes.
    soft = cv2.resize(mask, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.asarray(small, dtype=np.uint8), np.where(soft > 0, 255, 0).astype(np.uint8)


def model_io(loaded: LoadedSession) -> ModelIO:
    """Find the image input, the mask input and the output of an inpainting model."""
    inputs = loaded.session.get_inputs()
    name = loaded.path.name
    if len(inputs) != 2:
        raise InvalidModel(
            f"{name} has {len(inputs)} inputs; an inpainting model takes an image and a mask",
            details={"setting": SETTING},
        )
    by_channels: dict[Any, Any] = {}
    for item in inputs:
        shape = list(item.shape)
        if len(shape) != 4:
            raise InvalidModel(
                f"{name} input {item.name} is {shape}; expected N x C x H x W",
                details={"setting": SETTING},
            )
        by_channels[shape[1]] = item
    image, mask = by_channels.get(3), by_channels.get(1)
    if image is None or mask is None:
        named = {str(i.name).lower(): i for i in inputs}
        mask = next((i for n, i in named.items() if "mask" in n), None)
        image = next((i for i in inputs if i is not mask), None)
    if image is None or mask is None:
        raise InvalidModel(
            f"{name}: cannot tell the image input from the mask input",
            details={"setting": SETTING},
        )
    h, w = image.shape[2], image.shape[3]
    size = (h, w) if isinstance(h, int) and isinstance(w, int) and h > 0 and w > 0 else None
    return ModelIO(str(image.name), str(mask.name), loaded.output_names[0], size)


def _output_scale(loaded: LoadedSession, pixels: NDArray[np.float32]) -> float:
    declared = loaded.metadata.get(META_OUTPUT_RANGE)
    if declared is not None:
        return 255.0 if declared.strip() == "255" else 1.0
    return 255.0 if float(pixels.max(initial=0.0)) > 2.0 else 1.0


def _round_up(value: int) -> int:
    return -(-value // MULTIPLE) * MULTIPLE
