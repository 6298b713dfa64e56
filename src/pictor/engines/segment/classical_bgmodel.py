"""Background colour models estimated from an image's borders.

Product photos are framed with background all around the product, so the border
strip is a sample of the background. Two models explain it:

- a smooth surface (quadratic in x and y, per Lab channel) for studio backdrops and
  sweeps, where the colour drifts slowly across the frame;
- a handful of k-means colour clusters for textured and busy backgrounds, where the
  colour varies but stays within a palette.

The per-pixel distance to the background is the smaller of the two, and it forgives
shadows: a pixel that is a darker version of the background colour (same
chromaticity, at least ``SHADOW_MIN_RATIO`` of its brightness) counts as near.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

F32 = NDArray[np.float32]

SHADOW_MIN_RATIO = 0.5
"""Darker than this fraction of the backdrop is an object, not a shadow on it."""

MIN_CLUSTER_SHARE = 0.01
"""Share of the border below which a colour cluster is not trusted as backdrop."""

_CLUSTERS = 6
_MAX_SAMPLES = 4000


def border_mask(h: int, w: int, frac: float = 0.03) -> NDArray[np.bool_]:
    """True on a strip of ``frac`` of the short side around the frame (at least 2 px)."""
    b = max(2, round(frac * min(h, w)))
    m = np.zeros((h, w), np.bool_)
    m[:b, :] = m[-b:, :] = True
    m[:, :b] = m[:, -b:] = True
    return m


def _design(xs: F32, ys: F32) -> F32:
    ones = np.ones_like(xs)
    return np.stack([ones, xs, ys, xs * xs, xs * ys, ys * ys], axis=-1).astype(np.float32)


def smooth_background(lab: F32, border: NDArray[np.bool_]) -> F32:
    """Fit a quadratic Lab surface to the border pixels and evaluate it everywhere.

    Two passes: the second drops the border pixels the first fit explains worst
    (a product touching the frame, a stray highlight).
    """
    h, w, _ = lab.shape
    ys, xs = np.nonzero(border)
    step = max(1, len(xs) // _MAX_SAMPLES)
    xs, ys = xs[::step], ys[::step]
    xn = (xs.astype(np.float32) / max(w - 1, 1)) - 0.5
    yn = (ys.astype(np.float32) / max(h - 1, 1)) - 0.5
    a = _design(xn, yn)
    target = lab[ys, xs]
    keep = np.ones(len(xs), np.bool_)
    coef = np.zeros((6, 3), np.float32)
    for _ in range(2):
        ak = a[keep].astype(np.float64)
        # Normal equations: a 6 x 6 solve, far cheaper than a general least-squares call.
        gram = ak.T @ ak + 1e-6 * np.eye(6)
        coef = np.linalg.solve(gram, ak.T @ target[keep]).astype(np.float32)
        err = np.linalg.norm(a @ coef - target, axis=1)
        keep = err <= np.percentile(err, 85) + 1.0
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
    grid = _design(gx / max(w - 1, 1) - 0.5, gy / max(h - 1, 1) - 0.5)
    # Clipped to the colours seen on the border: a quadratic fitted to a frame whose
    # top and bottom differ (a table edge) must not invent colours in the middle.
    lo, hi = target.min(axis=0), target.max(axis=0)
    out: F32 = np.clip(grid @ coef, lo, hi).astype(np.float32)
    return out


def border_clusters(lab: F32, border: NDArray[np.bool_]) -> F32:
    """K-means colour centres (K x 3, Lab) of the border pixels, deterministic.

    Clusters holding under ``MIN_CLUSTER_SHARE`` of the border are dropped: they are
    most often a product touching the frame, not backdrop.
    """
    pts = lab[border].reshape(-1, 3)
    step = max(1, len(pts) // _MAX_SAMPLES)
    pts = np.ascontiguousarray(pts[::step], dtype=np.float32)
    k = min(_CLUSTERS, len(pts))
    cv2.setRNGSeed(12345)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 15, 0.5)
    labels = np.zeros((len(pts), 1), np.int32)
    _, found, centres = cv2.kmeans(pts, k, labels, criteria, 1, cv2.KMEANS_PP_CENTERS)
    share = np.bincount(np.asarray(found).ravel(), minlength=k) / float(len(pts))
    out: F32 = np.asarray(centres, np.float32)[share >= MIN_CLUSTER_SHARE]
    return out


Channels = tuple[F32, F32, F32]


def _channels(lab: F32) -> Channels:
    return (
        np.ascontiguousarray(lab[..., 0]),
        np.ascontiguousarray(lab[..., 1]),
        np.ascontiguousarray(lab[..., 2]),
    )


def squared_distances(px: Channels, bg: Channels | F32) -> tuple[F32, F32]:
    """Squared Lab distances from pixels to a background: (shadow tolerant, plain).

    ``bg`` is either per-pixel channels or one Lab colour. When the pixel is darker
    than the background, the lightness difference is discounted as long as the ratio
    stays above ``SHADOW_MIN_RATIO`` and the chroma (a, b scaled by the lightness
    ratio) matches, which is what a shadow does.
    """
    big_l, big_a, big_b = px
    bl, ba, bb = (bg[0], bg[1], bg[2]) if isinstance(bg, tuple) else (*bg.tolist(),)
    dl = big_l - bl
    da, db = big_a - ba, big_b - bb
    plain = dl * dl + da * da + db * db
    shade = np.clip((big_l + 1.0) / (bl + 1.0), SHADOW_MIN_RATIO, 1.0)
    da = big_a - ba * shade
    db = big_b - bb * shade
    # Inside the tolerated shadow range only a fifth of the lightness drop counts;
    # beyond it the full excess counts, so black products stay far from white.
    excess = np.maximum(bl * SHADOW_MIN_RATIO - big_l, 0.0)
    dl_eff = np.where(dl < 0, 0.2 * dl + excess, dl)
    tolerant = dl_eff * dl_eff + da * da + db * db
    return tolerant.astype(np.float32), plain.astype(np.float32)


def background_distance(lab: F32, border: NDArray[np.bool_]) -> tuple[F32, F32]:
    """Per-pixel distance to the best border background model: (shadow tolerant, plain)."""
    px = _channels(lab)
    tol, plain = squared_distances(px, _channels(smooth_background(lab, border)))
    for colour in border_clusters(lab, border):
        t, p = squared_distances(px, colour)
        np.minimum(tol, t, out=tol)
        np.minimum(plain, p, out=plain)
    return np.sqrt(tol), np.sqrt(plain)
