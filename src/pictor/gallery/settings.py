"""Settings of the gallery (``PICTOR_GALLERY_*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class GallerySettings(BaseModel):
    trash_days: int = Field(default=30, ge=1, description="Trash empties itself after this.")
    thumbnail_px: int = Field(default=256, ge=32, le=1024)
