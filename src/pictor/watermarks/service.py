"""The rules of watermark templates: register from a capture, find, list, delete.

Flushes; never commits (the caller owns the transaction).
"""

from __future__ import annotations

import re
from typing import cast

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from pictor.engines.inpaint.templates import (
    Corner,
    InvalidCapture,
    MarkTemplate,
    Placement,
    alpha_from_capture,
    decode_alpha,
    encode_alpha,
)
from pictor.images.alpha import parse_color
from pictor.images.decode import decode_image
from pictor.images.errors import InvalidColor
from pictor.images.limits import ImageLimits
from pictor.watermarks.builtins import to_hex
from pictor.watermarks.errors import (
    BuiltinTemplateReadOnly,
    InvalidTemplate,
    TemplateNameTaken,
    TemplateNotFound,
)
from pictor.watermarks.export import TemplateFile, template_file
from pictor.watermarks.models import WatermarkTemplate
from pictor.watermarks.repository import TemplateRepository
from pictor.watermarks.schemas import PlacementRule, WatermarkTemplateOut

_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
#: A capture whose strongest pixel is fainter than this has no usable alpha.
_MIN_PEAK_ALPHA = 0.02


def to_mark(row: WatermarkTemplate) -> MarkTemplate:
    """The engine's view of a stored template (what a pipeline needs, picklable)."""
    r, g, b, _ = parse_color(row.logo_color)
    return MarkTemplate(
        name=row.name,
        alpha=decode_alpha(row.alpha_png),
        logo=(r, g, b),
        corner=cast(Corner, row.corner),
        placements=tuple(Placement(**p) for p in row.placements) or (Placement(),),
    )


def to_out(row: WatermarkTemplate) -> WatermarkTemplateOut:
    return WatermarkTemplateOut(
        id=row.id,
        name=row.name,
        builtin=row.owner_id is None,
        logo_color=row.logo_color,
        corner=cast(Corner, row.corner),
        width=row.width,
        height=row.height,
        placements=[PlacementRule(**p) for p in row.placements],
        created_at=row.created_at,
    )


def to_file(row: WatermarkTemplate) -> TemplateFile:
    """The template as a file ``pictor remove-watermark --template-file`` reads."""
    rules = [PlacementRule(**p) for p in row.placements] or [PlacementRule()]
    return template_file(row.name, row.logo_color, cast(Corner, row.corner), rules, row.alpha_png)


class TemplateService:
    def __init__(self, session: AsyncSession) -> None:
        self.repo = TemplateRepository(session)

    async def find(self, owner_id: str, ref: str) -> WatermarkTemplate:
        """A template by id or name among the caller's own and the built-ins."""
        row = await self.repo.visible(owner_id, ref)
        if row is None:
            raise TemplateNotFound(f"no watermark template {ref!r}", field="params.template")
        return row

    async def visible_to(self, owner_id: str) -> list[WatermarkTemplate]:
        return await self.repo.list_visible(owner_id)

    async def delete(self, owner_id: str, template_id: str) -> None:
        row = await self.repo.visible(owner_id, template_id)
        if row is None or row.id != template_id:
            raise TemplateNotFound(f"no watermark template {template_id}")
        if row.owner_id is None:
            raise BuiltinTemplateReadOnly("built-in templates cannot be deleted")
        await self.repo.delete(row)

    async def register(
        self,
        owner_id: str,
        *,
        name: str,
        capture: bytes,
        limits: ImageLimits,
        logo_color: str = "#ffffff",
        corner: Corner = "bottom-right",
        margin_x: int | None = None,
        margin_y: int | None = None,
        placements: list[PlacementRule] | None = None,
    ) -> WatermarkTemplate:
        """Make a template from a capture of the mark on black.

        Margins default to where the mark sits in the capture (a full-size capture
        carries its own placement); ``placements`` replaces that single rule.
        """
        name = name.strip().lower()
        if not _NAME.fullmatch(name):
            raise InvalidTemplate(
                "name: 1-64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter"
                " or digit",
                field="name",
            )
        if await self.repo.owned_by_name(owner_id, name) is not None:
            raise TemplateNameTaken(f"you already have a template named {name!r}", field="name")
        try:
            r, g, b, _ = parse_color(logo_color)
        except InvalidColor as exc:
            raise InvalidColor(exc.message, field="logo_color") from None
        decoded = decode_image(capture, limits)
        pixels = np.asarray(decoded.image.convert("RGB"))
        alpha, (x, y, w, h) = alpha_from_capture(pixels, (r, g, b))
        if float(alpha.max()) < _MIN_PEAK_ALPHA:
            raise InvalidCapture("the mark in the capture is too faint to use", field="file")
        if placements is None:
            cap_h, cap_w = pixels.shape[:2]
            inferred_x = cap_w - (x + w) if corner.endswith("right") else x
            inferred_y = cap_h - (y + h) if corner.startswith("bottom") else y
            placements = [
                PlacementRule(
                    margin_x=inferred_x if margin_x is None else margin_x,
                    margin_y=inferred_y if margin_y is None else margin_y,
                )
            ]
        row = WatermarkTemplate(
            owner_id=owner_id,
            name=name,
            alpha_png=encode_alpha(alpha),
            width=int(alpha.shape[1]),
            height=int(alpha.shape[0]),
            logo_color=to_hex((r, g, b)),
            corner=corner,
            placements=[p.model_dump() for p in placements],
        )
        self.repo.add(row)
        await self.repo.session.flush()
        return row
