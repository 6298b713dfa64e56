"""Re-enqueue what a lost enqueue or a dead worker left behind.

Embedded mode (one node): every due queued job is enqueued at each pass (the local
queue ignores ids it already holds), and at start every running job is requeued.

Distributed mode (``distributed=True``: API nodes sharing a broker and a PostgreSQL
database): a pass runs on one node at a time, the one holding a PostgreSQL advisory
lock for the pass; the others skip theirs. Broker messages are durable, so a queued
job's id is sent again only when its last send is ``requeue_after_s`` old: the latest
of its submit (``created_at``), its retry's delayed send (``run_after``) and the last
re-send (``resent_at``, kept in the row, so it holds across nodes and restarts). The
re-sends of a pass are chosen and stamped by one conditional ``UPDATE … RETURNING``
before they are sent, so whichever node runs a pass, a job still waiting in the
broker gets at most one more message per period. Jobs the pass itself requeues
(expired leases) are sent at once, stamped in their requeue. Duplicates are harmless
anyway: a claim is a conditional ``UPDATE``, so a job runs once per attempt.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple, cast

from sqlalchemy import (
    Connection,
    Table,
    Update,
    and_,
    bindparam,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from pictor.db.base import UTCDateTime, utcnow
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
_c = JOBS.c


class Send(NamedTuple):
    """A job id to send, with what its message carries."""

    job_id: str
    priority: int
    kind: str
    attempts: int


def _resend_statement() -> Update:
    """Queued jobs whose last send is at least a period old (``cutoff``), highest
    priority first, stamped ``resent_at = now`` in the same statement. The conditions
    are checked again on the rows updated, so a row stamped by a concurrent pass meanwhile
    is left out (PostgreSQL re-evaluates them on the locked row; SQLite has one writer)."""
    cutoff = bindparam("cutoff", type_=UTCDateTime())
    stale = and_(
        _c.status == JobStatus.QUEUED,
        # run_after (a retry's countdown) is never before created_at
        func.coalesce(_c.run_after, _c.created_at) <= cutoff,
        or_(_c.resent_at.is_(None), _c.resent_at <= cutoff),
    )
    oldest = (
        select(_c.id)
        .where(stale)
        .order_by(_c.priority.desc(), _c.id)
        .limit(bindparam("limit"))
        .scalar_subquery()
    )
    return (
        update(JOBS)
        .where(_c.id.in_(oldest), stale)
        .values(resent_at=bindparam("now", type_=UTCDateTime()))
        .returning(_c.id, _c.priority, _c.kind, _c.attempts)
    )


_RESEND = _resend_statement()


def stamp_resends(conn: Connection, now: datetime, period_s: float, limit: int = 500) -> list[Send]:
    """The queued jobs to send again now (see :func:`_resend_statement`)."""
    params = {"now": now, "cutoff": now - timedelta(seconds=period_s), "limit": limit}
    rows = [Send(*row) for row in conn.execute(_RESEND, params)]
    return sorted(rows, key=lambda send: (-send.priority, send.job_id))


@dataclass
class Reconciler:
    db: Database
    bus: EventBus
    queue: JobQueue
    distributed: bool = False
    requeue_after_s: float = 120.0
    #: The time of a pass (the wall clock; tests move it on).
    clock: Callable[[], datetime] = utcnow

    async def run_once(self, *, recover_all_running: bool = False) -> int:
        """Requeue running jobs whose lease expired (all running ones after a crash of
        the only node) and enqueue due queued jobs. Returns how many were enqueued
        (0 when another node holds the pass)."""
        now = self.clock()
        if not self.distributed:
            await self._recover_expired(now, all_running=recover_all_running)
            async with self.db.read_session() as session:
                queued = await JobRepository(session).due_queued(now)
            for job_id, priority in queued:
                await self.queue.enqueue(job_id, priority=priority)
            return len(queued)
        async with self._leadership() as leader:
            if not leader:
                return 0
            sends = await self._recover_expired(now, all_running=False)
            # Stamped before they are sent: a send that fails (the broker is down; the
            # queue logs it) is tried again a period later, like a lost one.
            sends += await self.db.write(
                lambda conn: stamp_resends(conn, now, self.requeue_after_s)
            )
            for send in sends:
                await self.queue.enqueue(
                    send.job_id, priority=send.priority, kind=send.kind, attempts=send.attempts
                )
            return len(sends)

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

    async def _recover_expired(self, now: datetime, *, all_running: bool) -> list[Send]:
        """The jobs put back in the queue (stamped as sent now: the caller sends them)."""
        requeued: list[Send] = []
        async with publishing(self.db, self.bus) as session:
            repo = JobRepository(session)
            for job in await repo.expired_running(now, all_running=all_running):
                if await self._recover(session, job, now):
                    requeued.append(Send(job.id, job.priority, job.kind, job.attempts))
        return requeued

    async def _recover(
        self, session: AsyncSession, job: Job, now: datetime | None = None
    ) -> bool | None:
        """A running job whose worker is gone: back to queued (True), or failed after
        its last attempt (False); None if it moved on meanwhile."""
        repo = JobRepository(session)
        now = now or self.clock()
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
            resent_at=now,  # sent again at once (by the pass; or a worker's redelivery runs it)
            stage="requeued after a worker stopped",
        )
        if not moved:
            return None
        log.warning("job %s requeued: its worker stopped", job.id)
        await record_event(
            session, job.id, "requeued", {"status": "queued", "attempt": job.attempts}
        )
        return True
