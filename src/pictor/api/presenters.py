"""Turn rows into wire objects, with signed download URLs."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

from pictor.artifacts.models import Artifact
from pictor.artifacts.schemas import ArtifactOut
from pictor.jobs.records import JobRecord, OutputRecord
from pictor.jobs.schemas import JobError, JobOut, JobOutput, JobTimings
from pictor.runtime import Runtime


class OwnedFile(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def owner_id(self) -> str: ...


def file_url(
    runtime: Runtime, base_url: str, artifact: OwnedFile, suffix: str = ""
) -> tuple[str, datetime]:
    """A signed URL of ``/files/{id}{suffix}`` (suffix: "" the file, "/thumbnail")."""
    ttl = runtime.settings.storage.url_ttl_s
    expires = int(time.time()) + ttl
    path = f"/files/{artifact.id}{suffix}"
    query = runtime.signer.sign(path, subject=artifact.owner_id, expires_at=expires)
    base = (runtime.settings.public_url or base_url).rstrip("/")
    return f"{base}{path}?{query}", datetime.fromtimestamp(expires, UTC)


def artifact_out(runtime: Runtime, base_url: str, artifact: Artifact) -> ArtifactOut:
    url, expires = file_url(runtime, base_url, artifact)
    return ArtifactOut(
        id=artifact.id,
        role=artifact.role,
        job_id=artifact.job_id,
        filename=artifact.filename,
        content_type=artifact.content_type,
        size=artifact.size,
        width=artifact.width,
        height=artifact.height,
        sha256=artifact.sha256,
        engine=artifact.engine,
        meta=artifact.meta,
        created_at=artifact.created_at,
        url=url,
        url_expires_at=expires,
    )


def job_out(
    runtime: Runtime, base_url: str, job: JobRecord, outputs: Sequence[OutputRecord]
) -> JobOut:
    queue_wait = (
        (job.started_at - job.created_at).total_seconds() if job.started_at is not None else None
    )
    return JobOut(
        id=job.id,
        kind=job.kind,
        status=job.status,
        progress=job.progress,
        stage=job.stage,
        attempts=job.attempts,
        max_attempts=job.max_attempts,
        cost=job.cost,
        input=[{"upload_id": item["artifact_id"]} for item in job.inputs],
        params=job.params,
        webhook=job.webhook_url,
        engine=job.engine,
        error=(
            JobError(code=job.error_code, message=job.error_message or "")
            if job.error_code and job.status in ("failed", "canceled")
            else None
        ),
        outputs=[
            JobOutput(
                id=a.id,
                content_type=a.content_type,
                width=a.width,
                height=a.height,
                size=a.size,
                engine=a.engine,
                url=file_url(runtime, base_url, a)[0] if a.deleted_at is None else None,
                deleted=a.deleted_at is not None,
            )
            for a in outputs
        ],
        result=job.result,
        cancel_requested=job.cancel_requested_at is not None,
        timings=JobTimings(
            queued_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            queue_wait_s=queue_wait,
            run_s=job.run_seconds,
        ),
        created_at=job.created_at,
    )
