"""Runner.execute(job_id): claim, run the pipeline, finish — the same for every queue."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection

from pictor.artifacts.models import Artifact
from pictor.db.base import utcnow
from pictor.db.engine import Database
from pictor.engines.catalog import Engines
from pictor.errors import JobCanceled, PictorError
from pictor.images.limits import ImageLimits
from pictor.jobs import transitions
from pictor.jobs.changes import Settle, change, change_with_event
from pictor.jobs.context import JobContext
from pictor.jobs.cpu import CpuPool
from pictor.jobs.events import Event, EventBus, commit_and_publish, final_event_data
from pictor.jobs.models import JobStatus
from pictor.jobs.records import JobRecord
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

    def __post_init__(self) -> None:
        leases = {kind: spec.timeout_s + self.lease_margin_s for kind, spec in self.catalog.items()}
        # A kind registered after start (none today) gets the longest lease: never too short.
        longest = max(leases.values(), default=300.0 + self.lease_margin_s)
        self._claim_job = transitions.Claimer(leases, longest)

    async def execute(self, job_id: str) -> float | None:
        """Run one delivery of a job. Returns a delay when the job must run again later."""
        job = await self._claim(job_id)
        if job is None:
            return None  # a duplicate delivery, a canceled job, or one not yet due
        with bind_job(job.id):
            return await self._run_claimed(job)

    async def _claim(self, job_id: str) -> JobRecord | None:
        claimed = await self._claim_job.claim(self.db, job_id)
        if claimed is None:
            return None
        job, running = claimed
        await self.bus.publish(running)
        return job

    async def _run_claimed(self, job: JobRecord) -> float | None:
        spec = self.catalog.get(job.kind)
        ctx = JobContext(
            job_id=job.id,
            owner_id=job.owner_id,
            kind=job.kind,
            attempt=job.attempts,
            inputs=list(job.inputs),
            params=job.params,
            lease_s=spec.timeout_s + self.lease_margin_s,
            db=self.db,
            bus=self.bus,
            store=self.store,
            engines=self.engines,
            image_limits=self.image_limits,
            cpu=self.cpu,
            cost=job.cost,
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

    async def _failed_attempt(self, job: JobRecord, exc: PictorError, run_s: float) -> float | None:
        if not exc.transient or job.attempts >= job.max_attempts:
            await self._finish_failed(job, exc, run_s)
            return None
        delay = self.retry.delay(job.attempts)
        event = {
            "status": "queued",
            "attempt": job.attempts,
            "delay_s": round(delay, 3),
            "error": {"code": exc.code, "message": exc.message},
        }

        retrying = await change(
            self.db,
            job.id,
            from_status=JobStatus.RUNNING,
            attempt=job.attempts,
            event=("retrying", event),
            status=JobStatus.QUEUED,
            run_after=utcnow() + timedelta(seconds=delay),
            lease_expires_at=None,
            stage=f"retrying after {exc.code}",
            run_seconds=(job.run_seconds or 0.0) + run_s,
        )
        if retrying is None:
            return None
        await self.bus.publish(retrying)
        log.warning("job attempt %d failed with %s; retry in %.2fs", job.attempts, exc.code, delay)
        return delay

    async def _finish(
        self,
        job: JobRecord,
        status: JobStatus,
        run_s: float,
        event: dict[str, Any],
        artifacts: list[Artifact] | None = None,
        charged: int = 0,
        **values: Any,
    ) -> bool:
        """The final transition, fenced by attempt: state, outputs, money (``charged``
        of the job's reservation spent, the rest released) and the final event in one
        transaction; on PostgreSQL one statement in autocommit, sent on asyncpg
        directly (two in a transaction with outputs)."""
        run_seconds = (job.run_seconds or 0.0) + run_s
        values.update(
            status=status, finished_at=utcnow(), lease_expires_at=None, run_seconds=run_seconds
        )
        data = final_event_data(
            {"status": str(status), **event}, job.kind, job.created_at, job.started_at, run_seconds
        )
        # Priced at nothing: nothing was reserved, nothing to settle (a read spared).
        spent = charged if status == JobStatus.SUCCEEDED else 0
        settle = Settle(job.owner_id, spent) if job.cost > 0 else None

        if not artifacts:
            final = await change(
                self.db,
                job.id,
                from_status=JobStatus.RUNNING,
                attempt=job.attempts,
                event=(str(status), data),
                settle=settle,
                **values,
            )
            if final is not None:
                await self.bus.publish(final)
            return final is not None

        def unit(conn: Connection, outbox: list[Event]) -> bool:
            final = change_with_event(
                conn,
                job.id,
                from_status=JobStatus.RUNNING,
                attempt=job.attempts,
                event=(str(status), data),
                settle=settle,
                **values,
            )
            if final is None:
                return False
            transitions.insert_outputs(conn, artifacts)
            outbox.append(final)
            return True

        return await commit_and_publish(self.db, self.bus, unit)

    @staticmethod
    def _charge(job: JobRecord, ctx: JobContext) -> int:
        """What a succeeded job pays: its price, or the part of it the pipeline says it
        earned (``ctx.charge``, out of ``ctx.cost``: a localize job pays for the
        languages it made), never more than was reserved."""
        if ctx.charge is None:
            return job.cost
        return max(0, min(job.cost, ctx.charge))

    async def _finish_succeeded(self, job: JobRecord, ctx: JobContext, run_s: float) -> None:
        ids = [pending.artifact.id for pending in ctx.outputs]
        charged = self._charge(job, ctx)
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
            charged=charged,
            **({} if charged == job.cost else {"cost": charged}),
        )
        if not ok:
            await ctx.discard_outputs()

    async def _finish_failed(self, job: JobRecord, exc: PictorError, run_s: float) -> None:
        await self._finish(
            job,
            JobStatus.FAILED,
            run_s,
            {"error": {"code": exc.code, "message": exc.message}},
            stage="failed",
            error_code=exc.code,
            error_message=exc.message,
        )

    async def _finish_canceled(self, job: JobRecord, run_s: float) -> None:
        await self._finish(
            job,
            JobStatus.CANCELED,
            run_s,
            {},
            stage="canceled",
            error_code="job_canceled",
            error_message="canceled by request",
        )
