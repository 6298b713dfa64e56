"""Per-variant renders and the brand kit ZIP (deterministic: fixed timestamps and order)."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field

from pictor.engines.logo.base import LogoBrief, LogoDesign
from pictor.engines.logo.designer import ProceduralLogoDesigner
from pictor.engines.logo.render import png_dimensions, render_png

PNG_SIZES = (512, 1024)
FAVICON_SIZES = (16, 32, 180, 512)
WHITE = "#ffffff"
_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Png:
    name: str  # e.g. "logo-1024-white"
    size: int
    width: int
    height: int
    background: str | None
    data: bytes


@dataclass(frozen=True)
class RenderedVariant:
    design: LogoDesign
    pngs: list[Png] = field(default_factory=list)
    favicons: list[Png] = field(default_factory=list)


def make_variant(designer: ProceduralLogoDesigner, brief: LogoBrief, index: int) -> RenderedVariant:
    """Design variant ``index`` and render it: the CPU work of one variant, run in a child."""
    design = designer.design(brief, index)
    pngs = []
    for size in PNG_SIZES:
        for background, suffix in ((None, "transparent"), (WHITE, "white")):
            data = render_png(design.svg, size, background)
            width, height = png_dimensions(data)
            pngs.append(Png(f"logo-{size}-{suffix}", size, width, height, background, data))
    favicons = [
        Png(f"favicon-{size}", size, size, size, None, render_png(design.favicon_svg, size))
        for size in FAVICON_SIZES
    ]
    return RenderedVariant(design, pngs, favicons)


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def brand_kit(brief: LogoBrief, variants: list[RenderedVariant], engine_id: str) -> bytes:
    """A ZIP: per variant its SVGs, PNGs, favicons; a palette.json and a README."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        summary = []
        for rendered in variants:
            design = rendered.design
            folder = f"variant-{design.index + 1}"
            _add(archive, f"{folder}/logo.svg", design.svg.encode())
            _add(archive, f"{folder}/icon.svg", design.favicon_svg.encode())
            for png in rendered.pngs + rendered.favicons:
                _add(archive, f"{folder}/{png.name}.png", png.data)
            summary.append({"folder": folder, **design.describe()})
        palettes = {"business_name": brief.business_name, "engine": engine_id, "variants": summary}
        _add(archive, "palette.json", json.dumps(palettes, indent=2, sort_keys=True).encode())
        _add(archive, "README.txt", _readme(brief, variants).encode())
    return buffer.getvalue()


def _readme(brief: LogoBrief, variants: list[RenderedVariant]) -> str:
    fonts = sorted(
        {f"{f['family']} {f['weight']} ({f['license']})" for v in variants for f in v.design.fonts}
    )
    return (
        f"Brand kit for {brief.business_name}\n\n"
        "Each variant-N folder holds logo.svg (text converted to outlines), PNGs at 512 and\n"
        "1024 px (transparent and on white), icon.svg and favicons at 16, 32, 180 and 512 px.\n"
        "palette.json lists the colours (hex) and fonts of every variant.\n\n"
        "Fonts: " + "; ".join(fonts) + "\n"
        "Icons: Lucide (ISC licence), https://lucide.dev\n"
    )
