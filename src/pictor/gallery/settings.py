"""Settings of the gallery (``PICTOR_GALLERY_*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class GallerySettings(BaseModel):
    trash_days: int = Field(default=30, ge=1, description="Trash empties itself after this.")
    thumbnail_px: int = Field(default=256, ge=32, le=1024)
    purge_interval_s: float = Field(
        default=3600.0, gt=0, description="How often items older than trash_days are purged."
    )
    purge_batch: int = Field(
        default=200, ge=1, le=10_000, description="Items removed per purge transaction."
    )
