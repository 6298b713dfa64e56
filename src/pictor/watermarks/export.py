"""A template as a file: exported by the API, read by ``pictor remove-watermark``.

The file is JSON: the name, logo colour, corner and placement rules, and the alpha map
as the same 16-bit greyscale PNG the database keeps (base64), so a template used
locally removes the mark exactly as the server does.
"""

from __future__ import annotations

import base64
import binascii
import struct
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pictor.engines.inpaint.templates import Corner, MarkTemplate, Placement, decode_alpha
from pictor.images.alpha import parse_color
from pictor.images.errors import InvalidColor
from pictor.watermarks.errors import InvalidTemplate
from pictor.watermarks.schemas import PlacementRule

Format = Literal["pictor-watermark-template/1"]
FORMAT: Format = "pictor-watermark-template/1"
#: An alpha map is at most a few hundred KB; this bounds what a file may make us decode.
MAX_FILE_BYTES = 20_000_000
MAX_ALPHA_SIDE = 4096


class TemplateFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Format = FORMAT
    name: str = Field(..., min_length=1, max_length=64)
    logo_color: str
    corner: Corner
    placements: list[PlacementRule] = Field(..., min_length=1, max_length=50)
    alpha_png: str = Field(..., description="The alpha map: a 16-bit greyscale PNG, base64.")


def template_file(
    name: str, logo_color: str, corner: Corner, placements: list[PlacementRule], alpha_png: bytes
) -> TemplateFile:
    encoded = base64.b64encode(alpha_png).decode("ascii")
    return TemplateFile(
        name=name, logo_color=logo_color, corner=corner, placements=placements, alpha_png=encoded
    )


def _check_png_size(png: bytes) -> None:
    """Read the size from the PNG header before decoding (no bombs from a file)."""
    if len(png) < 24 or png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("the alpha map is not a PNG")
    width, height = struct.unpack(">II", png[16:24])
    if not (0 < width <= MAX_ALPHA_SIDE and 0 < height <= MAX_ALPHA_SIDE):
        raise ValueError(f"the alpha map is {width} x {height}; at most {MAX_ALPHA_SIDE} a side")


def mark_from_file(data: bytes) -> MarkTemplate:
    """The engine's template from an exported file; InvalidTemplate if it is not one."""
    if len(data) > MAX_FILE_BYTES:
        raise InvalidTemplate("the template file is too large to be an exported template")
    try:
        doc = TemplateFile.model_validate_json(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "file"
        raise InvalidTemplate(
            f"not a pictor watermark template file ({where}: {first['msg']}); export one "
            "with GET /v1/watermark-templates/{id}/export"
        ) from None
    try:
        r, g, b, _ = parse_color(doc.logo_color)
        png = base64.b64decode(doc.alpha_png, validate=True)
        _check_png_size(png)
        alpha = decode_alpha(png)
    except (InvalidColor, binascii.Error, ValueError) as exc:
        raise InvalidTemplate(f"the template file is damaged: {exc}") from None
    if alpha.size == 0 or float(alpha.max()) <= 0.0:
        raise InvalidTemplate("the template file's alpha map is empty")
    placements = tuple(Placement(**rule.model_dump()) for rule in doc.placements)
    return MarkTemplate(doc.name, alpha, (r, g, b), doc.corner, placements)
