"""Tables: jobs and job_events."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pictor.db.base import Base, JSONType, UTCDateTime, utcnow
from pictor.ids import new_id


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED})


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("owner_id", "idempotency_key"),
        Index("ix_jobs_owner_created", "owner_id", "id"),
        Index("ix_jobs_status_run_after", "status", "run_after"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("job"))
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED)
    inputs: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    webhook_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), default=None)
    request_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    cost: Mapped[int] = mapped_column(Integer, default=0)

    progress: Mapped[int] = mapped_column(Integer, default=0)
    stage: Mapped[str] = mapped_column(String(200), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    error_code: Mapped[str | None] = mapped_column(String(64), default=None)
    error_message: Mapped[str | None] = mapped_column(Text, default=None)
    result: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    engine: Mapped[str | None] = mapped_column(String(200), default=None)
    event_seq: Mapped[int] = mapped_column(Integer, default=0)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    run_after: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    cancel_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Seconds spent running, summed over attempts (queue wait is derived from timestamps).
    run_seconds: Mapped[float | None] = mapped_column(default=None)
    #: The batch this job belongs to (None for an interactive job).
    batch_id: Mapped[str | None] = mapped_column(String(40), default=None, index=True)
    #: Lower runs later: interactive jobs are 0, batch items below.
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Which events go to ``webhook_url`` (None: the final one only).
    webhook_events: Mapped[list[str] | None] = mapped_column(JSONType, default=None)
    #: When the reconciler last sent this queued job's id to the broker again (distributed
    #: mode). The submit's own send is ``created_at``, a retry's delayed one ``run_after``.
    resent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class JobEvent(Base):
    __tablename__ = "job_events"
    __table_args__ = (UniqueConstraint("job_id", "seq"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
