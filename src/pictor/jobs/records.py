"""Plain, immutable views of rows, read with Core (no ORM identity map on the hot path)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Column, Table

from pictor.artifacts.models import Artifact
from pictor.jobs.models import Job

JOB_COLUMNS: tuple[Column[Any], ...] = tuple(cast(Table, Job.__table__).columns)
OUTPUT_COLUMNS: tuple[Column[Any], ...] = tuple(
    cast(Table, Artifact.__table__).c[name]
    for name in (
        "id",
        "owner_id",
        "content_type",
        "width",
        "height",
        "size",
        "engine",
        "deleted_at",
    )
)


@dataclass(frozen=True, slots=True)
class JobRecord:
    """Every column of one ``jobs`` row, by the same names as :class:`Job`."""

    id: str
    owner_id: str
    kind: str
    status: str
    inputs: list[dict[str, Any]]
    params: dict[str, Any]
    webhook_url: str | None
    idempotency_key: str | None
    request_hash: str | None
    cost: int
    progress: int
    stage: str
    attempts: int
    max_attempts: int
    error_code: str | None
    error_message: str | None
    result: dict[str, Any]
    engine: str | None
    event_seq: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    run_after: datetime | None
    lease_expires_at: datetime | None
    cancel_requested_at: datetime | None
    run_seconds: float | None
    batch_id: str | None = None
    priority: int = 0
    webhook_events: list[str] | None = None
    resent_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> JobRecord:
        return cls(**row)

    @classmethod
    def from_orm(cls, job: Job) -> JobRecord:
        return cls(**{f.name: getattr(job, f.name) for f in fields(cls)})

    def as_values(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class OutputRecord:
    """What a job view shows of one output artifact."""

    id: str
    owner_id: str
    content_type: str
    width: int | None
    height: int | None
    size: int
    engine: str | None
    #: Set when the output is in the gallery's trash: the job view gives no URL for it.
    deleted_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> OutputRecord:
        return cls(**row)

    @classmethod
    def from_orm(cls, artifact: Artifact) -> OutputRecord:
        return cls(**{f.name: getattr(artifact, f.name) for f in fields(cls)})
