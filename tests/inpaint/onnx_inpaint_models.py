"""Tiny LaMa-shaped ONNX inpainting models built at test time.

A LaMa export takes ``image`` (1 x 3 x H x W, [0, 1]) and ``mask`` (1 x 1 x H x W, 1 =
fill) and returns the filled image (1 x 3 x H x W). ``mean_fill_model`` keeps known
pixels and fills the hole with the mean colour of the known ones: small, and a test can
compute exactly what it must answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
from onnx import TensorProto, helper, numpy_helper
from tests.engines.onnx_models import save_model


def mean_fill_model(
    path: Path,
    *,
    size: int | None = 64,
    scale_255: bool = False,
    metadata: Mapping[str, str] | None = None,
    mask_first: bool = False,
) -> Path:
    """Write the model; ``size=None`` gives dynamic H and W, ``scale_255`` a [0, 255] output."""
    h: int | str = size if size is not None else "height"
    w: int | str = size if size is not None else "width"
    inits = [
        numpy_helper.from_array(np.array(1.0, np.float32), "one"),
        numpy_helper.from_array(np.array(1e-6, np.float32), "eps"),
        numpy_helper.from_array(np.array(255.0 if scale_255 else 1.0, np.float32), "scale"),
    ]
    nodes = [
        helper.make_node("Sub", ["one", "mask"], ["keep"]),
        helper.make_node("Mul", ["image", "keep"], ["known"]),
        helper.make_node("ReduceMean", ["known"], ["known_mean"], axes=[2, 3], keepdims=1),
        helper.make_node("ReduceMean", ["keep"], ["keep_share"], axes=[2, 3], keepdims=1),
        helper.make_node("Add", ["keep_share", "eps"], ["keep_safe"]),
        helper.make_node("Div", ["known_mean", "keep_safe"], ["fill"]),
        helper.make_node("Mul", ["mask", "fill"], ["filled_hole"]),
        helper.make_node("Add", ["known", "filled_hole"], ["result"]),
        helper.make_node("Mul", ["result", "scale"], ["output"]),
    ]
    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, h, w])
    mask = helper.make_tensor_value_info("mask", TensorProto.FLOAT, [1, 1, h, w])
    graph = helper.make_graph(
        nodes,
        "mean_fill_inpaint",
        [mask, image] if mask_first else [image, mask],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, h, w])],
        initializer=inits,
    )
    return save_model(graph, path, metadata)


def one_input_model(path: Path) -> Path:
    """An image-to-image model with no mask input: not an inpainter."""
    graph = helper.make_graph(
        [helper.make_node("Identity", ["image"], ["output"])],
        "identity",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 32, 32])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, 32, 32])],
    )
    return save_model(graph, path, None)
