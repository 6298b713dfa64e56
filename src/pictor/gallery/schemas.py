"""Wire format of the gallery."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class GalleryItemOut(BaseModel):
    id: str = Field(description="The output's artifact id (also valid on /v1/artifacts).")
    object: Literal["gallery_item"] = "gallery_item"
    job_id: str | None
    kind: str = Field(description="The job kind that made it.")
    prompt: str | None = Field(
        description="generate/edit: the prompt; logo: business name, type, description."
    )
    engine: str | None
    filename: str
    content_type: str
    size: int = Field(description="Bytes.")
    width: int | None
    height: int | None
    meta: dict[str, Any]
    created_at: datetime
    deleted_at: datetime | None = Field(description="Set while the item is in the trash.")
    purge_at: datetime | None = Field(description="When an item in the trash goes for good.")
    url: str | None = Field(description="Signed download URL; null while in the trash.")
    url_expires_at: datetime | None
    thumbnail_url: str | None = Field(
        description="Signed URL of the WebP thumbnail; null in the trash or for non-images."
    )


class GalleryPage(BaseModel):
    object: Literal["list"] = "list"
    data: list[GalleryItemOut]
    has_more: bool
    next_cursor: str | None
