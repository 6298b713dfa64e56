"""Wire format of jobs: the create request (a union on ``kind``) and the job view."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, create_model, model_validator

from pictor.pipelines.spec import PipelineSpec
from pictor.registry import Registry


class ImageInput(BaseModel):
    """One image: an upload of yours, or a URL pictor fetches (public addresses only)."""

    model_config = ConfigDict(extra="forbid")

    upload_id: str | None = Field(None, examples=["art_01j9z..."])
    image_url: HttpUrl | None = Field(None, examples=["https://example.com/photo.jpg"])

    @model_validator(mode="after")
    def _exactly_one(self) -> ImageInput:
        if (self.upload_id is None) == (self.image_url is None):
            raise ValueError("give exactly one of upload_id or image_url")
        return self


class JobCreateBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    input: ImageInput | list[ImageInput] = Field(
        default_factory=list, description="The image(s); omit for kinds that take none."
    )
    webhook: HttpUrl | None = Field(None, description="Called when the job ends (signed).")
    webhook_events: list[Literal["start", "progress", "completed"]] | None = Field(
        None,
        description="Events POSTed to `webhook` besides the final one (always sent): "
        "start, progress (throttled), completed.",
    )

    @model_validator(mode="after")
    def _events_need_webhook(self) -> JobCreateBase:
        if self.webhook_events and self.webhook is None:
            raise ValueError("webhook_events needs a webhook URL")
        return self

    def input_list(self) -> list[ImageInput]:
        return self.input if isinstance(self.input, list) else [self.input]


def job_create_models(catalog: Registry[PipelineSpec]) -> list[type[JobCreateBase]]:
    """One create model per kind, each with its typed ``params``, for a discriminated union."""
    models: list[type[JobCreateBase]] = []
    for kind, spec in catalog.items():
        name = "".join(part.title() for part in kind.split("_")) + "JobCreate"
        models.append(
            create_model(
                name,
                __base__=JobCreateBase,
                kind=(Literal[kind], ...),  # type: ignore[arg-type]
                params=(spec.params_model, Field(default_factory=spec.params_model)),
            )
        )
    return models


class JobError(BaseModel):
    code: str
    message: str


class JobTimings(BaseModel):
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    queue_wait_s: float | None
    run_s: float | None


class JobOutput(BaseModel):
    id: str
    content_type: str
    width: int | None
    height: int | None
    size: int
    engine: str | None
    #: None while the output is in the gallery's trash (``deleted`` is then true).
    url: str | None
    deleted: bool = False


class JobOut(BaseModel):
    id: str
    object: Literal["job"] = "job"
    kind: str
    status: str
    progress: int
    stage: str
    attempts: int
    max_attempts: int
    cost: int
    input: list[dict[str, Any]]
    params: dict[str, Any]
    webhook: str | None
    engine: str | None
    error: JobError | None
    outputs: list[JobOutput]
    result: dict[str, Any]
    cancel_requested: bool
    timings: JobTimings
    created_at: datetime


class JobPage(BaseModel):
    object: Literal["list"] = "list"
    data: list[JobOut]
    next_cursor: str | None
    has_more: bool
