"""Wire format of watermark templates."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pictor.engines.inpaint.templates import Corner


class PlacementRule(BaseModel):
    """Where the mark sits on images at least ``min_width`` x ``min_height`` px."""

    model_config = ConfigDict(extra="forbid")

    min_width: int = Field(0, ge=0, le=100_000)
    min_height: int = Field(0, ge=0, le=100_000)
    width: int | None = Field(
        None, ge=4, le=4096, description="Mark width on the image, px; null: as captured."
    )
    margin_x: int = Field(0, ge=0, le=10_000, description="From the left or right edge, px.")
    margin_y: int = Field(0, ge=0, le=10_000, description="From the top or bottom edge, px.")


class WatermarkTemplateOut(BaseModel):
    id: str
    object: Literal["watermark_template"] = "watermark_template"
    name: str
    builtin: bool
    logo_color: str
    corner: Corner
    width: int
    height: int
    placements: list[PlacementRule]
    created_at: datetime


class WatermarkTemplateList(BaseModel):
    object: Literal["list"] = "list"
    data: list[WatermarkTemplateOut]
