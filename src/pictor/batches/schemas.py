"""Wire format of batches: the create request (two forms) and the batch view."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator

WebhookEvent = Literal["start", "progress", "completed"]


class BatchSpec(BaseModel):
    """A job spec without its input, applied to each of ``inputs``."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(examples=["remove_background"])
    params: dict[str, Any] = Field(default_factory=dict)


class BatchCreate(BaseModel):
    """Either ``items`` (job specs, each exactly a ``POST /v1/jobs`` body without
    ``webhook``) or ``spec`` + ``inputs`` (one spec, one job per upload)."""

    model_config = ConfigDict(extra="forbid")

    items: list[dict[str, Any]] | None = Field(
        None,
        description="Job specs: `{kind, input, params}` as for POST /v1/jobs (uploads only).",
        examples=[[{"kind": "remove_background", "input": {"upload_id": "art_01j9z..."}}]],
    )
    spec: BatchSpec | None = Field(None, description="One spec for every image of `inputs`.")
    inputs: list[str | list[str]] | None = Field(
        None,
        description="Upload ids, one job each (a list of ids for kinds taking several).",
        examples=[["art_01j9z...", "art_01j9y..."]],
    )
    webhook: HttpUrl | None = Field(None, description="Called about the batch (signed).")
    webhook_events: list[WebhookEvent] | None = Field(
        None, description="Events sent to `webhook` besides the final one."
    )

    @model_validator(mode="after")
    def _one_form(self) -> BatchCreate:
        if (self.items is None) == (self.spec is None):
            raise ValueError("give either items, or spec with inputs")
        if (self.spec is None) != (self.inputs is None):
            raise ValueError("spec and inputs go together")
        return self


class BatchCounts(BaseModel):
    queued: int = 0
    running: int = 0
    succeeded: int = 0
    failed: int = 0
    canceled: int = 0


class BatchOut(BaseModel):
    id: str
    object: Literal["batch"] = "batch"
    status: str = Field(description="queued, running, completed or canceled.")
    item_count: int
    counts: BatchCounts
    progress: float = Field(description="Mean progress of the items, 0-100 (ended items: 100).")
    discount: float
    list_price: int = Field(description="What the items would cost one by one.")
    total_cost: int = Field(description="What the batch reserved when it was created.")
    cost_so_far: int = Field(description="Charged so far (items that succeeded).")
    reserved: int = Field(description="Still reserved (items queued or running).")
    webhook: str | None
    webhook_events: list[str] | None
    cancel_requested: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    canceled_at: datetime | None
    results_url: str = Field(description="The outputs and a manifest as one ZIP.")


class BatchPage(BaseModel):
    object: Literal["list"] = "list"
    data: list[BatchOut]
    next_cursor: str | None
    has_more: bool


class BatchItem(BaseModel):
    index: int
    job_id: str
    kind: str
    status: str
    cost: int
    error: dict[str, str] | None


class BatchItemPage(BaseModel):
    object: Literal["list"] = "list"
    data: list[BatchItem]
    next_cursor: int | None
    has_more: bool
