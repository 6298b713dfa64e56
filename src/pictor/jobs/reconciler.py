"""Re-enqueue what a lost enqueue or a dead worker left behind.

Embedded mode (one node): every due queued job is enqueued at each pass (the local
queue ignores ids it already holds), and at start every running job is requeued.

Distributed mode (``distributed=True``: API nodes sharing a broker and a PostgreSQL
database): a pass runs on one node at a time, the one holding a PostgreSQL advisory
lock for the pass; the others skip theirs. Broker messages are durable, so a queued
job's id is sent again only when it has waited ``requeue_after_s`` (its send was
lost: the broker was down, the sender died) and at most once per that period from a
node; jobs the pass itself requeues (expired leases) are sent at once. Duplicates are
harmless anyway: a claim is a conditional ``UPDATE``, so a job runs once per attempt.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import cast

from sqlalchemy import Table, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from pictor.db.base import utcnow
from pictor.db.engine import Database
from pictor.jobs.events import EventBus, publishing, record_event
from pictor.jobs.models import Job, JobStatus
from pictor.jobs.queue import JobQueue
from pictor.jobs.repository import JobRepository
from pictor.jobs.service import release_job

log = logging.getLogger("pictor.reconciler")
WORKER_LOST = "the worker running this job stopped, too many times"
#: The advisory lock a distributed reconciler pass holds ("pictor" in ASCII, 6 bytes).
LEADER_LOCK = 0x706963746F72
JOBS = cast(Table, Job.__table__)


@dataclass
class Reconciler:
    db: Database
    bus: EventBus
    queue: JobQueue
    distributed: bool = False
    requeue_after_s: float = 120.0
    #: Distributed mode: when this node last sent each id (monotonic seconds).
    _sent: dict[str, float] = field(default_factory=dict)

    async def run_once(self, *, recover_all_running: bool = False) -> int:
        """Requeue running jobs whose lease expired (all running ones after a crash of
        the only node) and enqueue due queued jobs. Returns how many were enqueued
        (0 when another node holds the pass)."""
        if not self.distributed:
            await self._recover_expired(all_running=recover_all_running)
            async with self.db.read_session() as session:
                queued = await JobRepository(session).due_queued(utcnow())
            for job_id, priority in queued:
                await self.queue.enqueue(job_id, priority=priority)
            return len(queued)
        async with self._leadership() as leader:
            if not leader:
                return 0
            requeued = await self._recover_expired(all_running=False)
            due = dict(requeued)
            clock = time.monotonic()
            for job_id, priority in await self._stale_queued():
                last = self._sent.get(job_id)
                if last is None or clock - last >= self.requeue_after_s:
                    due.setdefault(job_id, priority)
            for job_id, priority in due.items():
                await self.queue.enqueue(job_id, priority=priority)
                self._sent[job_id] = clock
            self._sent = {k: v for k, v in self._sent.items() if clock - v < self.requeue_after_s}
            return len(due)

    async def recover_lost(self, job_id: str, attempt: int) -> bool:
        """The delivery that started ``attempt`` came back from the broker (its worker
        died): requeue the job now (or fail it after its last attempt) instead of
        waiting for its lease. Fenced by ``attempt``: a later attempt is left alone."""
        async with publishing(self.db, self.bus) as session:
            job = await session.get(Job, job_id)
            if job is None or job.status != JobStatus.RUNNING or job.attempts != attempt:
                return False
            return await self._recover(session, job) is not None

    @asynccontextmanager
    async def _leadership(self) -> AsyncIterator[bool]:
        """Whether this node may run the pass; on PostgreSQL a session advisory lock
        held on its own connection for the whole pass (released if the node dies)."""
        if self.db.is_sqlite:
            yield True
            return
        async with self.db.engine.connect() as conn:
            lock = text("SELECT pg_try_advisory_lock(:key)")
            got = bool((await conn.execute(lock, {"key": LEADER_LOCK})).scalar())
            await conn.commit()
            try:
                yield got
            finally:
                if got:
                    unlock = text("SELECT pg_advisory_unlock(:key)")
                    await conn.execute(unlock, {"key": LEADER_LOCK})
                    await conn.commit()

    async def _stale_queued(self, limit: int = 500) -> list[tuple[str, int]]:
        now = utcnow()
        waited_since = func.coalesce(JOBS.c.run_after, JOBS.c.created_at)
        query = (
            select(JOBS.c.id, JOBS.c.priority)
            .where(
                JOBS.c.status == JobStatus.QUEUED,
                or_(JOBS.c.run_after.is_(None), JOBS.c.run_after <= now),
                waited_since <= now - timedelta(seconds=self.requeue_after_s),
            )
            .order_by(JOBS.c.priority.desc(), JOBS.c.id)
            .limit(limit)
        )
        async with self.db.read_session() as session:
            rows = await session.execute(query)
            return [(job_id, priority) for job_id, priority in rows]

    async def _recover_expired(self, *, all_running: bool) -> list[tuple[str, int]]:
        """(id, priority) of the jobs put back in the queue."""
        requeued: list[tuple[str, int]] = []
        async with publishing(self.db, self.bus) as session:
            repo = JobRepository(session)
            for job in await repo.expired_running(utcnow(), all_running=all_running):
                if await self._recover(session, job):
                    requeued.append((job.id, job.priority))
        return requeued

    async def _recover(self, session: AsyncSession, job: Job) -> bool | None:
        """A running job whose worker is gone: back to queued (True), or failed after
        its last attempt (False); None if it moved on meanwhile."""
        repo = JobRepository(session)
        now = utcnow()
        if job.attempts >= job.max_attempts:
            moved = await repo.transition(
                job.id,
                from_status=JobStatus.RUNNING,
                attempt=job.attempts,
                status=JobStatus.FAILED,
                finished_at=now,
                lease_expires_at=None,
                stage="failed",
                error_code="worker_lost",
                error_message=WORKER_LOST,
            )
            if not moved:
                return None
            await release_job(session, job.id, job.owner_id)
            error = {"code": "worker_lost", "message": WORKER_LOST}
            await record_event(session, job.id, "failed", {"status": "failed", "error": error})
            return False
        moved = await repo.transition(
            job.id,
            from_status=JobStatus.RUNNING,
            attempt=job.attempts,
            status=JobStatus.QUEUED,
            lease_expires_at=None,
            run_after=None,
            stage="requeued after a worker stopped",
        )
        if not moved:
            return None
        log.warning("job %s requeued: its worker stopped", job.id)
        await record_event(
            session, job.id, "requeued", {"status": "queued", "attempt": job.attempts}
        )
        return True
