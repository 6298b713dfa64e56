"""Settings of webhook deliveries (``PICTOR_WEBHOOKS_*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class WebhooksSettings(BaseModel):
    retry_for_s: int = Field(default=24 * 3600, ge=60, description="Give up after this long.")
    progress_interval_s: float = Field(
        default=2.0, ge=0, description="At most one progress delivery per job this often."
    )
    backoff_base_s: float = Field(
        default=5.0, gt=0, description="Delay after the first failed attempt; doubles each time."
    )
    backoff_max_s: float = Field(
        default=3600.0, gt=0, description="Longest delay between two attempts."
    )
    rotation_grace_s: int = Field(
        default=24 * 3600,
        ge=0,
        description="After a rotation the previous secret also signs for this long.",
    )
    poll_interval_s: float = Field(
        default=1.0,
        ge=0,
        description="How often due deliveries are looked for; 0: this node sends none.",
    )
    concurrency: int = Field(default=8, ge=1, description="Deliveries sent at once.")
