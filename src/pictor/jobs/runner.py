"""Runner.execute(job_id): claim, run the pipeline, finish — the same for every queue."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pictor.artifacts.models import Artifact
from pictor.artifacts.repository import ArtifactRepository
from pictor.db.base import utcnow
from pictor.db.engine import Database
from pictor.engines.catalog import Engines
from pictor.errors import JobCanceled, PictorError
from pictor.images.limits import ImageLimits
from pictor.jobs.context import JobContext
from pictor.jobs.cpu import CpuPool
from pictor.jobs.events import EventBus, publishing, record_event
from pictor.jobs.models import Job, JobStatus
from pictor.jobs.repository import JobRepository
from pictor.observability.logging import bind_job
from pictor.pipelines.spec import PipelineSpec
from pictor.registry import Registry
from pictor.storage.base import BlobStore

log = logging.getLogger("pictor.runner")


@dataclass(frozen=True)
class RetryPolicy:
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0

    def delay(self, attempt: int) -> float:
        """Exponential backoff with full jitter (attempt counts from 1)."""
        cap = min(self.backoff_max_s, self.backoff_base_s * 2 ** (attempt - 1))
        return random.uniform(cap / 2, cap)


@dataclass
class Runner:
    db: Database
    bus: EventBus
    store: BlobStore
    catalog: Registry[PipelineSpec]
    engines: Engines
    image_limits: ImageLimits
    cpu: CpuPool
    retry: RetryPolicy
    lease_margin_s: float = 60.0

    async def execute(self, job_id: str) -> float | None:
        """Run one delivery of a job. Returns a delay when the job must run again later."""
        job = await self._claim(job_id)
        if job is None:
            return None  # a duplicate delivery, a canceled job, or one not yet due
        with bind_job(job.id):
            return await self._run_claimed(job)

    async def _claim(self, job_id: str) -> Job | None:
        async with publishing(self.db, self.bus) as session:
            repo = JobRepository(session)
            current = await repo.get(job_id)
            if current is None or current.status != JobStatus.QUEUED:
                return None
            spec = self.catalog.get(current.kind)
            job = await repo.claim(job_id, spec.timeout_s + self.lease_margin_s)
            if job is None:
                return None
            await record_event(
                session, job.id, "running", {"status": "running", "attempt": job.attempts}
            )
            return job

    async def _run_claimed(self, job: Job) -> float | None:
        spec = self.catalog.get(job.kind)
        ctx = JobContext(
            job_id=job.id,
            owner_id=job.owner_id,
            kind=job.kind,
            attempt=job.attempts,
            inputs=list(job.inputs),
            lease_s=spec.timeout_s + self.lease_margin_s,
            db=self.db,
            bus=self.bus,
            store=self.store,
            engines=self.engines,
            image_limits=self.image_limits,
            cpu=self.cpu,
        )
        started = time.perf_counter()
        try:
            params = spec.params_model.model_validate(job.params)
            await asyncio.wait_for(spec.run(ctx, params), timeout=spec.timeout_s)
        except JobCanceled as exc:
            await ctx.discard_outputs()
            if exc.code != "attempt_superseded":
                await self._finish_canceled(job, time.perf_counter() - started)
            return None
        except TimeoutError:
            await ctx.discard_outputs()
            error = PictorError(
                f"{job.kind} did not finish within {spec.timeout_s:g} s", code="job_timeout"
            )
            await self._finish_failed(job, error, time.perf_counter() - started)
            return None
        except PictorError as exc:
            await ctx.discard_outputs()
            return await self._failed_attempt(job, exc, time.perf_counter() - started)
        except Exception:
            log.exception("pipeline %s crashed", job.kind)
            await ctx.discard_outputs()
            error = PictorError("the pipeline failed unexpectedly", code="internal_error")
            await self._finish_failed(job, error, time.perf_counter() - started)
            return None
        await self._finish_succeeded(job, ctx, time.perf_counter() - started)
        return None

    async def _failed_attempt(self, job: Job, exc: PictorError, run_s: float) -> float | None:
        if not exc.transient or job.attempts >= job.max_attempts:
            await self._finish_failed(job, exc, run_s)
            return None
        delay = self.retry.delay(job.attempts)
        async with publishing(self.db, self.bus) as session:
            moved = await JobRepository(session).transition(
                job.id,
                from_status=JobStatus.RUNNING,
                attempt=job.attempts,
                status=JobStatus.QUEUED,
                run_after=utcnow() + timedelta(seconds=delay),
                lease_expires_at=None,
                stage=f"retrying after {exc.code}",
                run_seconds=(job.run_seconds or 0.0) + run_s,
            )
            if not moved:
                return None
            await record_event(
                session,
                job.id,
                "retrying",
                {
                    "status": "queued",
                    "attempt": job.attempts,
                    "delay_s": round(delay, 3),
                    "error": {"code": exc.code, "message": exc.message},
                },
            )
        log.warning("job attempt %d failed with %s; retry in %.2fs", job.attempts, exc.code, delay)
        return delay

    async def _finish(
        self,
        job: Job,
        status: JobStatus,
        run_s: float,
        event: dict[str, Any],
        artifacts: list[Artifact] | None = None,
        **values: Any,
    ) -> bool:
        now = utcnow()
        async with publishing(self.db, self.bus) as session:
            moved = await JobRepository(session).transition(
                job.id,
                from_status=JobStatus.RUNNING,
                attempt=job.attempts,
                status=status,
                finished_at=now,
                lease_expires_at=None,
                run_seconds=(job.run_seconds or 0.0) + run_s,
                **values,
            )
            if not moved:
                return False
            for artifact in artifacts or []:
                ArtifactRepository(session).add(artifact)
            await self._before_final_event(session, job, status)
            await record_event(session, job.id, str(status), {"status": str(status), **event})
        return True

    async def _before_final_event(self, session: Any, job: Job, status: JobStatus) -> None:
        """Hook for the ledger (charge or release) in the same transaction."""

    async def _finish_succeeded(self, job: Job, ctx: JobContext, run_s: float) -> None:
        ids = [pending.artifact.id for pending in ctx.outputs]
        ok = await self._finish(
            job,
            JobStatus.SUCCEEDED,
            run_s,
            {"outputs": ids, "result": ctx.result},
            progress=100,
            stage="done",
            result=ctx.result,
            engine=ctx.engine,
            artifacts=[pending.artifact for pending in ctx.outputs],
        )
        if not ok:
            await ctx.discard_outputs()

    async def _finish_failed(self, job: Job, exc: PictorError, run_s: float) -> None:
        await self._finish(
            job,
            JobStatus.FAILED,
            run_s,
            {"error": {"code": exc.code, "message": exc.message}},
            stage="failed",
            error_code=exc.code,
            error_message=exc.message,
        )

    async def _finish_canceled(self, job: Job, run_s: float) -> None:
        await self._finish(
            job,
            JobStatus.CANCELED,
            run_s,
            {},
            stage="canceled",
            error_code="job_canceled",
            error_message="canceled by request",
        )
