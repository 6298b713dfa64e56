"""Tiny ONNX models built at test time, shaped like the real ones.

A background-removal model takes one N x 3 x H x W float image and returns one saliency
map. ``brightness_model`` is the smallest such model that still means something:
saliency = Sigmoid(k * (mean over channels - c)), i.e. "bright is foreground", so a test
can draw an image and know which pixels the model must pick.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# Old enough for every onnxruntime pictor supports; ReduceMean still takes ``axes`` as
# an attribute here.
OPSET = 17
IR_VERSION = 8


def brightness_model(
    path: Path,
    *,
    size: int | None = 64,
    k: float = 4.0,
    c: float = 0.0,
    sigmoid: bool = True,
    output_rank: int = 4,
    metadata: Mapping[str, str] | None = None,
    requires_size: int | None = None,
    channel_weights: tuple[float, float, float] | None = None,
    float16_input: bool = False,
) -> Path:
    """Write a "bright is foreground" saliency model to ``path`` and return it.

    - ``size``: static H = W of the input and output, or ``None`` for dynamic dims.
    - ``sigmoid=False`` leaves the output as logits, like BiRefNet exports.
    - ``output_rank``: 4 (N x 1 x H x W), 3 (N x H x W) or 2 (H x W).
    - ``metadata``: custom ``metadata_props`` such as ``pictor.input_size``.
    - ``requires_size``: the declared dims stay as ``size`` says, but the graph adds a
      constant of shape 1 x 1 x S x S, so running it on any other size fails; this shows
      which size a session was actually fed.
    - ``channel_weights``: replace the channel mean by this weighted sum of (channel 0,
      1, 2), e.g. ``(1, 0, 0)`` for "red is foreground" when fed RGB.
    - ``float16_input``: declare the input as float16 (half-precision exports).
    """
    input_type = TensorProto.FLOAT16 if float16_input else TensorProto.FLOAT
    h: int | str = size if size is not None else "height"
    w: int | str = size if size is not None else "width"
    inits = [
        numpy_helper.from_array(np.array(c, np.float32), "c"),
        numpy_helper.from_array(np.array(k, np.float32), "k"),
    ]
    nodes = [helper.make_node("Cast", ["input"], ["image"], to=TensorProto.FLOAT)]
    if channel_weights is None:
        nodes.append(
            helper.make_node("ReduceMean", ["image"], ["brightness"], axes=[1], keepdims=1)
        )
    else:
        kernel = np.array(channel_weights, np.float32).reshape(1, 3, 1, 1)
        inits.append(numpy_helper.from_array(kernel, "channel_weights"))
        nodes.append(helper.make_node("Conv", ["image", "channel_weights"], ["brightness"]))
    last = "brightness"
    if requires_size is not None:
        probe = np.zeros((1, 1, requires_size, requires_size), np.float32)
        inits.append(numpy_helper.from_array(probe, "size_probe"))
        nodes.append(helper.make_node("Add", [last, "size_probe"], ["probed"]))
        last = "probed"
    nodes.append(helper.make_node("Sub", [last, "c"], ["centred"]))
    nodes.append(helper.make_node("Mul", ["centred", "k"], ["logits"]))
    last = "logits"
    if sigmoid:
        nodes.append(helper.make_node("Sigmoid", [last], ["saliency"]))
        last = "saliency"
    out_shape: list[int | str] = [1, 1, h, w]
    if output_rank < 4:
        squeeze_axes = [1] if output_rank == 3 else [0, 1]
        inits.append(numpy_helper.from_array(np.array(squeeze_axes, np.int64), "squeeze_axes"))
        nodes.append(helper.make_node("Squeeze", [last, "squeeze_axes"], ["squeezed"]))
        last = "squeezed"
        out_shape = out_shape[4 - output_rank :]
    nodes.append(helper.make_node("Identity", [last], ["mask"]))
    graph = helper.make_graph(
        nodes,
        "brightness_saliency",
        [helper.make_tensor_value_info("input", input_type, [1, 3, h, w])],
        [helper.make_tensor_value_info("mask", TensorProto.FLOAT, out_shape)],
        initializer=inits,
    )
    return save_model(graph, path, metadata)


def save_model(graph: onnx.GraphProto, path: Path, metadata: Mapping[str, str] | None) -> Path:
    """Check and write ``graph`` as a model loadable by any supported onnxruntime."""
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="pictor-tests",
    )
    model.ir_version = IR_VERSION
    if metadata:
        helper.set_model_props(model, dict(metadata))
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def garbage_file(path: Path) -> Path:
    """A file named like a model that is not one (a saved HTML error page, say)."""
    path.write_bytes(b"<html><body>404 Not Found</body></html>\n")
    return path


def truncated_model(path: Path) -> Path:
    """A real model cut in half: right header, unparseable body (an interrupted copy)."""
    full = brightness_model(path.with_name(path.stem + "-full.onnx"))
    data = full.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path
