"""Settings of webhook deliveries (``PICTOR_WEBHOOKS_*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class WebhooksSettings(BaseModel):
    retry_for_s: int = Field(default=24 * 3600, ge=60, description="Give up after this long.")
    progress_interval_s: float = Field(
        default=2.0, ge=0, description="At most one progress delivery per job this often."
    )
