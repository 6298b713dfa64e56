"""Re-enqueue what a lost enqueue or a dead worker left behind."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pictor.db.base import utcnow
from pictor.db.engine import Database
from pictor.jobs.events import EventBus, publishing, record_event
from pictor.jobs.models import JobStatus
from pictor.jobs.queue import JobQueue
from pictor.jobs.repository import JobRepository
from pictor.jobs.service import release_job

log = logging.getLogger("pictor.reconciler")
WORKER_LOST = "the worker running this job stopped, too many times"


@dataclass
class Reconciler:
    db: Database
    bus: EventBus
    queue: JobQueue

    async def run_once(self, *, recover_all_running: bool = False) -> int:
        """Requeue running jobs whose lease expired (all running ones after a crash of
        the only node) and enqueue every due queued job. Returns how many were enqueued."""
        now = utcnow()
        async with publishing(self.db, self.bus) as session:
            repo = JobRepository(session)
            for job in await repo.expired_running(now, all_running=recover_all_running):
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
                    if moved:
                        await release_job(session, job.id, job.owner_id)
                        await record_event(
                            session,
                            job.id,
                            "failed",
                            {
                                "status": "failed",
                                "error": {
                                    "code": "worker_lost",
                                    "message": WORKER_LOST,
                                },
                            },
                        )
                    continue
                moved = await repo.transition(
                    job.id,
                    from_status=JobStatus.RUNNING,
                    attempt=job.attempts,
                    status=JobStatus.QUEUED,
                    lease_expires_at=None,
                    run_after=None,
                    stage="requeued after a worker stopped",
                )
                if moved:
                    log.warning("job %s requeued: its worker stopped", job.id)
                    await record_event(
                        session, job.id, "requeued", {"status": "queued", "attempt": job.attempts}
                    )
        async with self.db.read_session() as session:
            due = await JobRepository(session).due_queued(utcnow())
        for job_id, priority in due:
            await self.queue.enqueue(job_id, priority=priority)
        return len(due)
