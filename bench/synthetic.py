"""A synthetic background-removal test set with exact alpha, made here (no downloads).

Product-like foregrounds (bottles, boxes, shoes/blobs, mugs with handles) are drawn
from signed distance functions, so every edge is anti-aliased and the alpha used to
composite them is known exactly. They are shaded, carry specular highlights, labels
and textures, and some have thin parts. Backgrounds come in four families:

- ``solid``: studio backdrops (mostly near white), sometimes a faint contact shadow;
- ``gradient``: studio sweeps and vignettes with soft drop shadows;
- ``textured``: wood grain, woven fabric, noise patterns and tiles or bricks;
- ``photo``: blurred multi-scale noise scenes with a table edge and bokeh.

``generate(seed, size)`` is deterministic: the same seed and size give the same image.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
from numpy.typing import NDArray

F32 = NDArray[np.float32]
FAMILIES = ("solid", "gradient", "textured", "photo")
Part = tuple[F32, F32]  # (alpha of the part, RGB colour of the part)


def generate(
    seed: int, size: tuple[int, int] = (640, 480), family: str | None = None
) -> tuple[NDArray[np.uint8], NDArray[np.float32], str]:
    """Return ``(image RGB uint8 HxWx3, true alpha float32 HxW, family)``.

    ``size`` is ``(width, height)``; ``family`` defaults to ``FAMILIES[seed % 4]``.
    """
    rng = np.random.default_rng(seed)
    fam = family or FAMILIES[seed % len(FAMILIES)]
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    bg = _BACKGROUNDS[fam](rng, w, h, xx, yy)
    alpha, colour = _product(rng, w, h, xx, yy, bg)
    shadow = _shadow(rng, fam, alpha, xx, yy)
    bg = bg * (1.0 - shadow[..., None])
    img = colour * alpha[..., None] + bg * (1.0 - alpha[..., None])
    img += rng.normal(0.0, 1.2 / 255.0, img.shape).astype(np.float32)  # sensor noise
    out = np.clip(img * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return out, alpha.astype(np.float32), fam


# --- noise and colour helpers -------------------------------------------------------


def _noise(rng: np.random.Generator, w: int, h: int, cells: int) -> F32:
    """Smooth value noise in [0, 1]: random cells upsampled with a cubic kernel."""
    cw = max(2, cells)
    ch = max(2, round(cells * h / max(w, 1)))
    small = rng.random((ch, cw)).astype(np.float32)
    out: F32 = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    return np.clip(out, 0.0, 1.0)


def _fractal(rng: np.random.Generator, w: int, h: int, base: int, octaves: int) -> F32:
    acc = np.zeros((h, w), np.float32)
    amp, total = 1.0, 0.0
    for i in range(octaves):
        acc += amp * _noise(rng, w, h, base * 2**i)
        total += amp
        amp *= 0.5
    return acc / np.float32(total)


def _hsv(h: float, s: float, v: float) -> F32:
    px = np.array([[[h * 179.0, s * 255.0, v * 255.0]]], np.float32).astype(np.uint8)
    rgb = cv2.cvtColor(px, cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32) / 255.0
    return rgb


def _lab(c: F32) -> F32:
    px = c.reshape(1, 1, 3).astype(np.float32)
    return cv2.cvtColor(px, cv2.COLOR_RGB2LAB)[0, 0]


def _ramp(a: F32, c0: F32, c1: F32) -> F32:
    return (c0 + (c1 - c0) * a[..., None]).astype(np.float32)


# --- backgrounds --------------------------------------------------------------------


def _bg_solid(rng: np.random.Generator, w: int, h: int, xx: F32, yy: F32) -> F32:
    if rng.random() < 0.7:
        c = np.full(3, rng.uniform(0.9, 1.0), np.float32)
    else:
        c = _hsv(rng.random(), rng.uniform(0.1, 0.6), rng.uniform(0.5, 0.95))
    return np.broadcast_to(c, (h, w, 3)).astype(np.float32).copy()


def _bg_gradient(rng: np.random.Generator, w: int, h: int, xx: F32, yy: F32) -> F32:
    hue = rng.random()
    c0 = _hsv(hue, rng.uniform(0.0, 0.35), rng.uniform(0.75, 1.0))
    c1 = _hsv(hue + rng.uniform(-0.05, 0.05), rng.uniform(0.0, 0.45), rng.uniform(0.35, 0.7))
    if rng.random() < 0.5:  # studio sweep: light floor fading to a darker wall
        t = np.clip(1.0 - yy / h + rng.uniform(-0.2, 0.2), 0.0, 1.0) ** 1.5
    else:  # radial vignette around a spotlight
        cx, cy = w * rng.uniform(0.3, 0.7), h * rng.uniform(0.3, 0.7)
        t = np.clip(np.hypot(xx - cx, yy - cy) / (0.8 * max(w, h)), 0.0, 1.0)
    return _ramp(t.astype(np.float32), c0, c1)


def _bg_textured(rng: np.random.Generator, w: int, h: int, xx: F32, yy: F32) -> F32:
    kind = rng.integers(4)
    c0 = _hsv(rng.random(), rng.uniform(0.2, 0.7), rng.uniform(0.3, 0.8))
    c1 = _hsv(rng.random(), rng.uniform(0.1, 0.6), rng.uniform(0.4, 0.95))
    s = max(w, h)
    if kind == 0:  # wood grain: warped stripes
        c0, c1 = _hsv(0.07, 0.6, 0.45), _hsv(0.08, 0.5, rng.uniform(0.65, 0.85))
        warp = _fractal(rng, w, h, 3, 3) * rng.uniform(20.0, 60.0)
        t = 0.5 + 0.5 * np.sin((yy + warp + 0.05 * xx) * (2 * np.pi / rng.uniform(0.02, 0.05) / s))
        t = t**2 * 0.8 + 0.2 * _fractal(rng, w, h, 40, 2)
    elif kind == 1:  # woven fabric: crossed fine sine threads
        f = 2 * np.pi / rng.uniform(4.0, 9.0)
        t = 0.5 + 0.25 * np.sin(xx * f) * np.sign(np.sin(yy * f / 2)) + 0.25 * np.sin(yy * f)
        t = 0.7 * t + 0.3 * _fractal(rng, w, h, 6, 3)
    elif kind == 2:  # noise pattern: speckle over blotches
        t = 0.6 * _fractal(rng, w, h, 8, 5) + 0.4 * rng.random((h, w)).astype(np.float32)
    else:  # tiles or bricks: shaded tiles in running bond, with contrasting grout
        th = s * rng.uniform(0.04, 0.1)
        tw = th * rng.uniform(1.0, 2.5)
        row = np.floor(yy / th)
        xo = xx + (row % 2) * tw * 0.5
        tile = np.floor(xo / tw) * 7.0 + row * 13.0
        shade = 0.25 + 0.5 * (np.sin(tile * 12.9898) * 43758.5453 % 1.0)
        gx, gy = np.abs(xo % tw - tw / 2) > tw / 2 - 1.5, np.abs(yy % th - th / 2) > th / 2 - 1.5
        t = np.where(gx | gy, rng.uniform(0.0, 1.0), shade) + 0.1 * _fractal(rng, w, h, 30, 2)
    return _ramp(np.clip(t, 0.0, 1.0).astype(np.float32), c0, c1)


def _bg_photo(rng: np.random.Generator, w: int, h: int, xx: F32, yy: F32) -> F32:
    palette = [_hsv(rng.random(), rng.uniform(0.1, 0.7), rng.uniform(0.2, 0.95)) for _ in range(4)]
    img = _ramp(_fractal(rng, w, h, 3, 4), palette[0], palette[1])
    blend = _fractal(rng, w, h, 2, 3)[..., None]
    img = img * (1 - blend) + _ramp(_fractal(rng, w, h, 5, 3), palette[2], palette[3]) * blend
    table_y = h * rng.uniform(0.55, 0.8)  # a table top the product stands on
    table = np.clip((yy - table_y) / 3.0, 0.0, 1.0)[..., None]
    top = _ramp(
        _fractal(rng, w, h, 4, 3), _hsv(rng.random(), 0.3, 0.5), _hsv(rng.random(), 0.2, 0.8)
    )
    img = img * (1 - table) + top * table
    bokeh = np.zeros((h, w, 3), np.float32)
    for _ in range(int(rng.integers(5, 25))):
        c = (int(rng.integers(w)), int(rng.integers(int(table_y))))
        r = int(rng.uniform(0.01, 0.05) * max(w, h)) + 1
        col = _hsv(rng.random(), rng.uniform(0.0, 0.5), 1.0) * rng.uniform(0.2, 0.5)
        cv2.circle(bokeh, c, r, tuple(float(v) for v in col), -1, cv2.LINE_AA)
    img = img + bokeh * (1 - table)
    sigma = max(w, h) / 300.0
    img = cv2.GaussianBlur(img.astype(np.float32), (0, 0), sigma)
    return np.clip(img, 0.0, 1.0).astype(np.float32)


_BACKGROUNDS: dict[str, Callable[[np.random.Generator, int, int, F32, F32], F32]] = {
    "solid": _bg_solid,
    "gradient": _bg_gradient,
    "textured": _bg_textured,
    "photo": _bg_photo,
}


def _shadow(rng: np.random.Generator, fam: str, alpha: F32, xx: F32, yy: F32) -> F32:
    """Darkening of the background by the product's soft drop / contact shadow."""
    h, w = alpha.shape
    if fam == "gradient" or (fam == "solid" and rng.random() < 0.4):
        strength = rng.uniform(0.2, 0.4) if fam == "gradient" else rng.uniform(0.1, 0.25)
        dx, dy = rng.uniform(-0.04, 0.06) * w, rng.uniform(0.01, 0.05) * h
        m = np.float32([[1, 0, dx], [0, 1, dy]])
        shifted = cv2.warpAffine(alpha, m, (w, h))
        sigma = max(w, h) * rng.uniform(0.01, 0.03)
        drop = cv2.GaussianBlur(shifted, (0, 0), sigma)
        return np.clip(drop * strength, 0.0, 0.9).astype(np.float32)
    return np.zeros_like(alpha)


# --- products -----------------------------------------------------------------------


def _cover(d: F32) -> F32:
    """Anti-aliased coverage from a signed distance in pixels (negative inside)."""
    return np.clip(0.5 - d, 0.0, 1.0).astype(np.float32)


def _sd_box(xx: F32, yy: F32, cx: float, cy: float, hw: float, hh: float, r: float) -> F32:
    qx = np.abs(xx - cx) - (hw - r)
    qy = np.abs(yy - cy) - (hh - r)
    outside = np.hypot(np.maximum(qx, 0), np.maximum(qy, 0))
    return (outside + np.minimum(np.maximum(qx, qy), 0) - r).astype(np.float32)


def _sd_ellipse(xx: F32, yy: F32, cx: float, cy: float, a: float, b: float) -> F32:
    k = np.hypot((xx - cx) / a, (yy - cy) / b)
    return ((k - 1.0) * min(a, b)).astype(np.float32)


def _sd_segment(xx: F32, yy: F32, p: tuple[float, float], q: tuple[float, float], r: float) -> F32:
    px, py = xx - p[0], yy - p[1]
    vx, vy = q[0] - p[0], q[1] - p[1]
    t = np.clip((px * vx + py * vy) / max(vx * vx + vy * vy, 1e-6), 0.0, 1.0)
    return (np.hypot(px - t * vx, py - t * vy) - r).astype(np.float32)


def _sd_polygon(xx: F32, yy: F32, pts: list[tuple[float, float]]) -> F32:
    """Convex polygon, vertices clockwise on screen (y down), as max of half planes."""
    d = np.full(xx.shape, -1e9, np.float32)
    for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1], strict=True):
        ex, ey = x1 - x0, y1 - y0
        n = np.hypot(ex, ey) + 1e-9
        d = np.maximum(d, ((yy - y0) * ex - (xx - x0) * ey) / n)
    return d


def _product_colour(rng: np.random.Generator, bg: F32) -> F32:
    """A product colour clearly distinct from the background's mean (as real shoots are)."""
    bg_lab = _lab(bg.reshape(-1, 3).mean(axis=0))
    c = _hsv(0, 0, 0)
    for _ in range(50):
        if rng.random() < 0.25:
            c = np.full(3, rng.uniform(0.05, 0.6), np.float32)
        else:
            c = _hsv(rng.random(), rng.uniform(0.3, 1.0), rng.uniform(0.25, 0.95))
        if np.linalg.norm(_lab(c) - bg_lab) > 35.0:
            break
    return c


def _shade(xx: F32, yy: F32, cx: float, hw: float, rng: np.random.Generator) -> F32:
    """Cylinder-like shading with a specular stripe; returns a per-pixel multiplier."""
    nx = np.clip((xx - cx) / max(hw, 1.0), -1.0, 1.0)
    light = rng.uniform(-0.5, 0.5)
    diffuse = 0.55 + 0.45 * np.cos((nx - light) * 1.2)
    spec = 0.5 * np.exp(-(((nx - light * 0.8) / 0.09) ** 2))
    return (diffuse + spec).astype(np.float32)


def _label(
    xx: F32, yy: F32, rng: np.random.Generator, box: tuple[float, float, float, float]
) -> Part:
    cx, cy, hw, hh = box
    a = _cover(_sd_box(xx, yy, cx, cy, hw, hh, 0.0))
    col = _hsv(rng.random(), rng.uniform(0.0, 0.8), rng.uniform(0.3, 1.0))
    ink = 0.5 + 0.5 * np.sign(np.sin(xx * rng.uniform(0.3, 0.8)) * np.sin(yy * 0.25))
    rows = np.abs((yy - cy) / max(hh, 1.0)) < 0.5
    tint = np.where(rows, 0.75 + 0.25 * ink, 1.0).astype(np.float32)
    return a, (col * tint[..., None]).astype(np.float32)


def _product(
    rng: np.random.Generator, w: int, h: int, xx: F32, yy: F32, bg: F32
) -> tuple[F32, F32]:
    kind = int(rng.integers(4))
    base = _product_colour(rng, bg)
    size = min(w, h) * rng.uniform(0.45, 0.75)
    cx = w * rng.uniform(0.4, 0.6)
    cy = h * rng.uniform(0.45, 0.55)
    parts = _PRODUCTS[kind](rng, xx, yy, cx, cy, size, base)
    alpha = np.zeros_like(xx)
    colour = np.zeros((*xx.shape, 3), np.float32)
    for a, c in parts:  # paint parts back to front
        colour = colour * (1 - a[..., None]) + c * a[..., None]
        alpha = alpha * (1 - a) + a
    texture = 0.94 + 0.06 * _fractal(rng, w, h, 30, 2)
    colour = np.clip(colour / np.maximum(alpha, 1e-6)[..., None] * texture[..., None], 0, 1)
    return alpha.astype(np.float32), colour.astype(np.float32)


def _bottle(
    rng: np.random.Generator, xx: F32, yy: F32, cx: float, cy: float, s: float, base: F32
) -> list[Part]:
    hw, hh = s * rng.uniform(0.14, 0.22), s * 0.32
    by = cy + s * 0.15
    body = _sd_box(xx, yy, cx, by, hw, hh, hw * 0.25)
    shoulder = _sd_ellipse(xx, yy, cx, by - hh, hw, hw * 0.6)
    neck = _sd_box(xx, yy, cx, by - hh - hw * 0.9, hw * 0.35, hw * 0.7, 2.0)
    glass = _cover(np.minimum(np.minimum(body, shoulder), neck))
    shade = _shade(xx, yy, cx, hw, rng)
    cap_c = _hsv(rng.random(), rng.uniform(0.2, 0.9), rng.uniform(0.1, 0.9))
    cap = _cover(_sd_box(xx, yy, cx, by - hh - hw * 1.7, hw * 0.4, hw * 0.25, 2.0))
    label = _label(xx, yy, rng, (cx, by + hh * 0.1, hw * 0.999, hh * 0.4))
    lab_a = label[0] * glass
    return [
        (glass, base * shade[..., None]),
        (lab_a, label[1] * np.minimum(shade, 1.0)[..., None]),
        (cap, cap_c * shade[..., None]),
    ]


def _box(
    rng: np.random.Generator, xx: F32, yy: F32, cx: float, cy: float, s: float, base: F32
) -> list[Part]:
    hw, hh, dp = (
        s * rng.uniform(0.22, 0.35),
        s * rng.uniform(0.25, 0.4),
        s * rng.uniform(0.08, 0.15),
    )
    x0, x1, y0, y1 = cx - hw, cx + hw, cy - hh + dp / 2, cy + hh + dp / 2
    front = _cover(_sd_polygon(xx, yy, [(x0, y0), (x0, y1), (x1, y1), (x1, y0)]))
    top = _cover(_sd_polygon(xx, yy, [(x0, y0), (x1, y0), (x1 + dp, y0 - dp), (x0 + dp, y0 - dp)]))
    side = _cover(_sd_polygon(xx, yy, [(x1, y0), (x1, y1), (x1 + dp, y1 - dp), (x1 + dp, y0 - dp)]))
    label = _label(xx, yy, rng, (cx, cy + dp / 2, hw * 0.7, hh * 0.3))
    return [
        (front, np.broadcast_to(base * 0.95, (*xx.shape, 3)).astype(np.float32)),
        (top, np.broadcast_to(np.clip(base * 1.25, 0, 1), (*xx.shape, 3)).astype(np.float32)),
        (side, np.broadcast_to(base * 0.7, (*xx.shape, 3)).astype(np.float32)),
        (label[0] * front, label[1]),
    ]


def _shoe(
    rng: np.random.Generator, xx: F32, yy: F32, cx: float, cy: float, s: float, base: F32
) -> list[Part]:
    """A shoe, or a free-form blob when the dice say so (organic, star-shaped outline)."""
    if rng.random() < 0.4:
        ang = np.arctan2(yy - cy, xx - cx)
        r = s * 0.35 * (1 + 0.12 * np.sin(3 * ang + rng.uniform(0, 6)) + 0.06 * np.sin(5 * ang))
        blob = _cover(np.hypot(xx - cx, yy - cy) - r)
        shade = 0.6 + 0.4 * np.clip(1 - np.hypot(xx - cx + s * 0.1, yy - cy + s * 0.1) / s, 0, 1)
        return [(blob, base * shade[..., None].astype(np.float32))]
    upper = np.minimum(
        _sd_ellipse(xx, yy, cx - s * 0.05, cy, s * 0.45, s * 0.18),
        _sd_ellipse(xx, yy, cx - s * 0.3, cy - s * 0.12, s * 0.15, s * 0.2),
    )
    sole_c = _hsv(0, 0, rng.uniform(0.85, 1.0)) if rng.random() < 0.5 else _hsv(0, 0, 0.15)
    sole = _cover(_sd_box(xx, yy, cx - s * 0.05, cy + s * 0.17, s * 0.47, s * 0.04, s * 0.03))
    shade = 0.6 + 0.4 * np.clip(1 - np.abs(yy - cy + s * 0.1) / (s * 0.35), 0, 1)
    parts: list[Part] = [
        (_cover(upper), (base * shade[..., None]).astype(np.float32)),
        (sole, np.broadcast_to(sole_c, (*xx.shape, 3)).astype(np.float32)),
    ]
    lace_c = _hsv(rng.random(), 0.3, 0.95)
    for i in range(4):  # laces: thin parts, 1.5-3 px wide
        x = cx - s * 0.12 + i * s * 0.06
        seg = _sd_segment(
            xx, yy, (x, cy - s * 0.2), (x + s * 0.05, cy - s * 0.1), rng.uniform(0.8, 1.5)
        )
        parts.append((_cover(seg), np.broadcast_to(lace_c, (*xx.shape, 3)).astype(np.float32)))
    return parts


def _mug(
    rng: np.random.Generator, xx: F32, yy: F32, cx: float, cy: float, s: float, base: F32
) -> list[Part]:
    hw, hh = s * rng.uniform(0.22, 0.3), s * rng.uniform(0.28, 0.36)
    cx -= s * 0.08
    body = _sd_box(xx, yy, cx, cy, hw, hh, s * 0.03)
    ring_r, thick = hh * 0.5, max(2.0, s * rng.uniform(0.025, 0.05))
    ring = np.abs(np.hypot(xx - (cx + hw), yy - cy) - ring_r) - thick
    handle = np.where(xx > cx + hw * 0.9, ring, 1e3).astype(np.float32)
    shade = _shade(xx, yy, cx, hw, rng)
    parts: list[Part] = [
        (_cover(np.minimum(body, handle)), (base * shade[..., None]).astype(np.float32))
    ]
    if rng.random() < 0.5:
        parts.append(_label(xx, yy, rng, (cx, cy, hw * 0.5, hh * 0.35)))
    if rng.random() < 0.5:  # a spoon handle: a thin slanted part sticking out of the top
        seg = _sd_segment(
            xx, yy, (cx, cy - hh), (cx - hw * 0.6, cy - hh - s * 0.2), rng.uniform(1.0, 2.5)
        )
        parts.insert(
            0, (_cover(seg), np.broadcast_to(_hsv(0, 0, 0.55), (*xx.shape, 3)).astype(np.float32))
        )
    return parts


_PRODUCTS = (_bottle, _box, _shoe, _mug)
