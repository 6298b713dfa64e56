"""Edge-aware alpha refinement: the guided filter (He, Sun and Tang, 2010).

``refine_alpha`` uses the colour-guided form: a local linear model of alpha in the
R, G and B of the image, which separates product from backdrop where their
lightness is alike but their colours are not (the grey form cannot), and follows
textured backdrops better. Large images are filtered at a reduced scale (the "fast
guided filter", He and Sun 2015), so 12 MP stays within a fraction of a second.

Memory: at 12 MP one float32 plane is 46 MB and an RGB one 137 MB. The reduced-scale
guide is built one channel at a time, and the full-resolution step (upsample the
coefficients, apply them to the image) runs in bands of ``BAND_ROWS`` rows, so no
full-size float32 RGB array is ever held: the output is the only full-size array made.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

F32 = NDArray[np.float32]

BAND_ROWS = 128
"""Rows per band of the full-resolution step (~6 MB of float32 RGB at 4000 px wide)."""


def _box(x: F32, radius: int) -> F32:
    size = 2 * radius + 1
    out = cv2.boxFilter(x, ddepth=-1, ksize=(size, size), borderType=cv2.BORDER_REFLECT)
    return np.asarray(out, np.float32)


def guided_filter(guide: F32, src: F32, radius: int, eps: float) -> F32:
    """Grey-guide guided filter; ``guide`` and ``src`` are H x W float32 in [0, 1]."""
    mean_i = _box(guide, radius)
    mean_p = _box(src, radius)
    cov_ip = _box(guide * src, radius) - mean_i * mean_p
    var_i = _box(guide * guide, radius) - mean_i * mean_i
    a = (cov_ip / (var_i + np.float32(eps))).astype(np.float32)
    b = (mean_p - a * mean_i).astype(np.float32)
    out: F32 = _box(a, radius) * guide + _box(b, radius)
    return out


def _colour_coefficients(guide: F32, src: F32, radius: int, eps: float) -> tuple[F32, F32]:
    """Per-pixel linear model ``alpha = A . rgb + b`` fitted in each window (box-averaged)."""
    mean_i = _box(guide, radius)
    mean_p = _box(src, radius)
    cov = _box(guide * src[..., None], radius) - mean_i * mean_p[..., None]
    var = {
        (i, j): _box(guide[..., i] * guide[..., j], radius) - mean_i[..., i] * mean_i[..., j]
        for i, j in ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2))
    }
    e = np.float32(eps)
    a00, a11, a22 = var[0, 0] + e, var[1, 1] + e, var[2, 2] + e
    a01, a02, a12 = var[0, 1], var[0, 2], var[1, 2]
    # Inverse of the symmetric 3 x 3 window covariance, by cofactors, for all pixels at once.
    i00, i01, i02 = a11 * a22 - a12 * a12, a02 * a12 - a01 * a22, a01 * a12 - a02 * a11
    i11, i12, i22 = a00 * a22 - a02 * a02, a02 * a01 - a00 * a12, a00 * a11 - a01 * a01
    det = a00 * i00 + a01 * i01 + a02 * i02
    c0, c1, c2 = cov[..., 0], cov[..., 1], cov[..., 2]
    coef = np.stack(
        [
            (i00 * c0 + i01 * c1 + i02 * c2) / det,
            (i01 * c0 + i11 * c1 + i12 * c2) / det,
            (i02 * c0 + i12 * c1 + i22 * c2) / det,
        ],
        axis=-1,
    ).astype(np.float32)
    b = (mean_p - np.einsum("ijk,ijk->ij", coef, mean_i)).astype(np.float32)
    return _box(coef, radius), _box(b, radius)


def refine_alpha(
    image: NDArray[np.uint8],
    alpha: F32,
    *,
    radius: int | None = None,
    eps: float = 1e-3,
) -> F32:
    """Refine a coarse alpha against the full-resolution RGB image.

    ``radius`` defaults to 1/80 of the long side: coarse masks come from working
    resolutions of a few hundred pixels, so their edges are off by about that much
    at full size. The coefficients are computed at a reduced scale when the radius
    is large and applied at full resolution.
    """
    h, w = alpha.shape
    if radius is None:
        radius = max(2, round(max(h, w) / 80))
    scale = max(1, radius // 4)
    if scale == 1:
        rgb = image.astype(np.float32)
        rgb /= np.float32(255.0)
        coef, b = _colour_coefficients(rgb, alpha.astype(np.float32), radius, eps)
        out = np.einsum("ijk,ijk->ij", coef, rgb)
        out += b
        refined: F32 = np.clip(out, 0.0, 1.0, out=out)
        return refined
    small = (max(1, w // scale), max(1, h // scale))
    p_small = np.asarray(cv2.resize(alpha, small, interpolation=cv2.INTER_AREA), np.float32)
    coef, b = _colour_coefficients(_guide_small(image, small), p_small, radius // scale, eps)
    return _apply_upsampled(image, coef, b)


def _guide_small(image: NDArray[np.uint8], small: tuple[int, int]) -> F32:
    """The image as float32 RGB in [0, 1], area-averaged to ``small``, a channel at a time.

    One full-size float32 channel at a time (46 MB at 12 MP) instead of all three.
    """
    channels = []
    for k in range(3):
        plane = image[..., k].astype(np.float32)
        plane /= np.float32(255.0)
        channels.append(cv2.resize(plane, small, interpolation=cv2.INTER_AREA))
        del plane
    return np.asarray(cv2.merge(channels), np.float32)


def _row_taps(h: int, h_small: int) -> tuple[NDArray[np.intp], NDArray[np.intp], F32, F32]:
    """Source rows and weights of a bilinear resize from ``h_small`` rows to ``h``.

    The same mapping as ``cv2.resize(..., INTER_LINEAR)``: pixel centres aligned,
    float32 weights, rows clamped at the edges.
    """
    fy = (np.arange(h, dtype=np.float64) + 0.5) * (h_small / h) - 0.5
    sy = np.floor(fy)
    w1 = (fy - sy).astype(np.float32)
    w0 = (np.float32(1.0) - w1).astype(np.float32)
    y0 = np.clip(sy.astype(np.intp), 0, h_small - 1)
    y1 = np.clip(sy.astype(np.intp) + 1, 0, h_small - 1)
    return y0, y1, w0, w1


def _apply_upsampled(image: NDArray[np.uint8], coef: F32, b: F32) -> F32:
    """``clip(up(coef) . rgb / 255 + up(b), 0, 1)`` at full size, ``up`` being a bilinear resize.

    The resize is separable: the coefficients are widened to full width at their
    small height once, by OpenCV, and each band's rows are then blended from a few of
    those rows with the same weights OpenCV uses, as one small matrix product.
    """
    h, w = image.shape[:2]
    h_small = coef.shape[0]
    wide = np.asarray(cv2.resize(coef, (w, h_small), interpolation=cv2.INTER_LINEAR), np.float32)
    wide *= np.float32(1.0 / 255.0)  # folded here, so the image is used as 0..255 below
    wide_rows = wide.reshape(h_small, w * 3)
    wide_b = np.asarray(cv2.resize(b, (w, h_small), interpolation=cv2.INTER_LINEAR), np.float32)
    y0, y1, w0, w1 = _row_taps(h, h_small)
    ones = np.ones(3, np.float32)
    out = np.empty((h, w), np.float32)
    buffer = np.empty((min(BAND_ROWS, h), w * 3), np.float32)
    for start in range(0, h, BAND_ROWS):
        stop = min(h, start + BAND_ROWS)
        n, first = stop - start, int(y0[start])
        # Row i of the band is w0 * row y0 + w1 * row y1 of ``wide``: a band x k matrix.
        blend = np.zeros((n, int(y1[stop - 1]) + 1 - first), np.float32)
        blend[np.arange(n), y0[start:stop] - first] = w0[start:stop]
        blend[np.arange(n), y1[start:stop] - first] += w1[start:stop]
        rows = np.matmul(blend, wide_rows[first : first + blend.shape[1]], out=buffer[:n])
        np.multiply(rows, image[start:stop].reshape(n, w * 3), out=rows)
        band = out[start:stop]
        np.matmul(rows.reshape(n, w, 3), ones, out=band)
        band += blend @ wide_b[first : first + blend.shape[1]]
    refined: F32 = np.clip(out, 0.0, 1.0, out=out)
    return refined
