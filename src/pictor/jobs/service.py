"""The rules of jobs: submit (with idempotency) and cancel. Flushes; never commits."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from pictor.artifacts.repository import ArtifactRepository
from pictor.db.base import utcnow
from pictor.engines.catalog import Engines
from pictor.jobs.errors import (
    IdempotencyKeyReused,
    JobFinished,
    JobNotFound,
    UploadNotFound,
    WrongInputCount,
)
from pictor.jobs.events import record_event
from pictor.jobs.models import Job, JobStatus
from pictor.jobs.repository import JobRepository
from pictor.pipelines.spec import PipelineSpec
from pictor.registry import Registry


def request_hash(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Submission:
    kind: str
    upload_ids: list[str]
    params: BaseModel
    webhook_url: str | None = None
    idempotency_key: str | None = None
    request_hash: str | None = None


@dataclass(frozen=True)
class Submitted:
    job: Job
    created: bool


class JobService:
    def __init__(
        self,
        session: AsyncSession,
        catalog: Registry[PipelineSpec],
        engines: Engines,
        *,
        max_attempts: int,
    ) -> None:
        self.session = session
        self.jobs = JobRepository(session)
        self.artifacts = ArtifactRepository(session)
        self.catalog = catalog
        self.engines = engines
        self.max_attempts = max_attempts

    async def get(self, job_id: str, owner_id: str | None) -> Job:
        """A job of ``owner_id`` (or any job when ``owner_id`` is None, for admins)."""
        job = await (
            self.jobs.get(job_id) if owner_id is None else self.jobs.owned(job_id, owner_id)
        )
        if job is None:
            raise JobNotFound(f"no job {job_id}")
        return job

    async def replay(self, owner_id: str, sub: Submission) -> Job | None:
        """The job an earlier request with the same Idempotency-Key created, if any."""
        if sub.idempotency_key is None:
            return None
        existing = await self.jobs.by_idempotency_key(owner_id, sub.idempotency_key)
        if existing is not None and existing.request_hash != sub.request_hash:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was used with a different request body"
            )
        return existing

    async def submit(self, owner_id: str, sub: Submission) -> Submitted:
        existing = await self.replay(owner_id, sub)
        if existing is not None:
            return Submitted(existing, created=False)
        spec = self.catalog.get(sub.kind)
        count = len(sub.upload_ids)
        if not spec.min_inputs <= count <= spec.max_inputs:
            want = (
                f"{spec.min_inputs}"
                if spec.min_inputs == spec.max_inputs
                else f"{spec.min_inputs} to {spec.max_inputs}"
            )
            raise WrongInputCount(f"{sub.kind} takes {want} image(s), got {count}", field="input")
        for upload_id in sub.upload_ids:
            if await self.artifacts.owned(upload_id, owner_id) is None:
                raise UploadNotFound(f"no upload {upload_id}", field="input")
        if spec.check is not None:
            spec.check(sub.params, self.engines)
        job = Job(
            owner_id=owner_id,
            kind=sub.kind,
            status=JobStatus.QUEUED,
            inputs=[{"artifact_id": upload_id} for upload_id in sub.upload_ids],
            params=sub.params.model_dump(mode="json"),
            webhook_url=sub.webhook_url,
            idempotency_key=sub.idempotency_key,
            request_hash=sub.request_hash,
            cost=spec.cost,
            max_attempts=self.max_attempts if spec.retryable else 1,
        )
        try:
            async with self.session.begin_nested():
                self.session.add(job)
                await self.session.flush()
        except IntegrityError:
            # Two requests with one Idempotency-Key raced; the other one won.
            winner = await self.replay(owner_id, sub)
            if winner is None:
                raise
            return Submitted(winner, created=False)
        await record_event(self.session, job.id, "queued", {"status": "queued", "kind": job.kind})
        return Submitted(job, created=True)

    async def cancel(self, job_id: str, owner_id: str | None) -> Job:
        """Cancel now if queued; if running, ask it to stop at its next progress point."""
        job = await self.get(job_id, owner_id)
        now = utcnow()
        if JobStatus(job.status).is_final:
            raise JobFinished(f"job {job_id} already ended ({job.status})")
        if job.status == JobStatus.QUEUED and await self.jobs.transition(
            job.id,
            from_status=JobStatus.QUEUED,
            status=JobStatus.CANCELED,
            finished_at=now,
            cancel_requested_at=now,
            stage="canceled",
            error_code="job_canceled",
            error_message="canceled by request",
        ):
            await record_event(self.session, job.id, "canceled", {"status": "canceled"})
        elif job.cancel_requested_at is None and await self.jobs.transition(
            job.id, from_status=JobStatus.RUNNING, cancel_requested_at=now
        ):
            await record_event(self.session, job.id, "cancel_requested", {"status": "running"})
        await self.session.refresh(job)
        if job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
            raise JobFinished(f"job {job_id} already ended ({job.status})")
        return job
