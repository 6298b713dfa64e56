"""Settings of batches (``PICTOR_BATCHES_*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class BatchesSettings(BaseModel):
    discount: float = Field(default=0.5, ge=0, lt=1, description="Share off each item's price.")
    max_items: int = Field(default=1000, ge=1, le=10_000)
    reserved_workers: int = Field(
        default=1,
        ge=0,
        le=64,
        description=(
            "Workers batch items never take, kept for interactive jobs (batch items still "
            "get one worker when PICTOR_WORKER_CONCURRENCY is not larger than this)."
        ),
    )
