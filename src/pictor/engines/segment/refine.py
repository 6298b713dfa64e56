"""Edge-aware alpha refinement: the guided filter (He, Sun and Tang, 2010)."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray


def _box(x: NDArray[Any], radius: int) -> NDArray[np.float32]:
    size = 2 * radius + 1
    out = cv2.boxFilter(x, ddepth=-1, ksize=(size, size), borderType=cv2.BORDER_REFLECT)
    return np.asarray(out, dtype=np.float32)


def guided_filter(
    guide: NDArray[np.float32], src: NDArray[np.float32], radius: int, eps: float
) -> NDArray[np.float32]:
    """Grey-guide guided filter; ``guide`` and ``src`` are H x W float32 in [0, 1]."""
    mean_i = _box(guide, radius)
    mean_p = _box(src, radius)
    cov_ip = _box(guide * src, radius) - mean_i * mean_p
    var_i = _box(guide * guide, radius) - mean_i * mean_i
    a = cov_ip / (var_i + np.float32(eps))
    b = mean_p - a * mean_i
    out: NDArray[np.float32] = _box(a, radius) * guide + _box(b, radius)
    return out


def refine_alpha(
    image: NDArray[np.uint8],
    alpha: NDArray[np.float32],
    *,
    radius: int | None = None,
    eps: float = 1e-4,
) -> NDArray[np.float32]:
    """Refine a coarse alpha against the full-resolution RGB image.

    The filter is computed at a reduced scale when the image is large (the "fast
    guided filter"), which keeps 12 MP images within a fraction of a second.
    """
    h, w = alpha.shape
    if radius is None:
        radius = max(2, round(max(h, w) / 400))
    scale = max(1, radius // 4)
    grey = np.asarray(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), dtype=np.float32) / np.float32(255)
    if scale > 1:
        small = (max(1, w // scale), max(1, h // scale))
        g_small = np.asarray(cv2.resize(grey, small, interpolation=cv2.INTER_AREA), np.float32)
        p_small = np.asarray(cv2.resize(alpha, small, interpolation=cv2.INTER_AREA), np.float32)
        r = max(1, radius // scale)
        mean_i = _box(g_small, r)
        mean_p = _box(p_small, r)
        cov = _box(g_small * p_small, r) - mean_i * mean_p
        var = _box(g_small * g_small, r) - mean_i * mean_i
        a = cov / (var + np.float32(eps))
        b = mean_p - a * mean_i
        mean_a = np.asarray(
            cv2.resize(_box(a, r), (w, h), interpolation=cv2.INTER_LINEAR), np.float32
        )
        mean_b = np.asarray(
            cv2.resize(_box(b, r), (w, h), interpolation=cv2.INTER_LINEAR), np.float32
        )
        refined = mean_a * grey + mean_b
    else:
        refined = guided_filter(grey, alpha.astype(np.float32), radius, eps)
    out: NDArray[np.float32] = np.clip(refined, 0.0, 1.0).astype(np.float32)
    return out
