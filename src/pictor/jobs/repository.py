"""Every query of the jobs domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pictor.jobs.models import Job, JobStatus


class JobRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, job_id: str) -> Job | None:
        return await self.session.get(Job, job_id)

    async def owned(self, job_id: str, owner_id: str) -> Job | None:
        return await self.session.scalar(
            select(Job).where(Job.id == job_id, Job.owner_id == owner_id)
        )

    async def by_idempotency_key(self, owner_id: str, key: str) -> Job | None:
        return await self.session.scalar(
            select(Job).where(Job.owner_id == owner_id, Job.idempotency_key == key)
        )

    async def page(
        self,
        owner_id: str | None,
        *,
        kind: str | None = None,
        status: str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        cursor: str | None = None,
        limit: int = 20,
    ) -> list[Job]:
        """Newest first; ``cursor`` is the id of the last job of the previous page."""
        query = select(Job)
        if owner_id is not None:
            query = query.where(Job.owner_id == owner_id)
        if kind is not None:
            query = query.where(Job.kind == kind)
        if status is not None:
            query = query.where(Job.status == status)
        if created_after is not None:
            query = query.where(Job.created_at >= created_after)
        if created_before is not None:
            query = query.where(Job.created_at < created_before)
        if cursor is not None:
            query = query.where(Job.id < cursor)
        return list(await self.session.scalars(query.order_by(Job.id.desc()).limit(limit)))

    async def transition(
        self, job_id: str, *, from_status: str, attempt: int | None = None, **values: Any
    ) -> bool:
        """Move a job on only if it is still where the caller believes it is."""
        query = update(Job).where(Job.id == job_id, Job.status == from_status)
        if attempt is not None:
            query = query.where(Job.attempts == attempt)
        result = await self.session.execute(query.values(**values).returning(Job.id))
        return result.first() is not None

    async def due_queued(self, now: datetime, limit: int = 500) -> list[tuple[str, int]]:
        """(id, priority) of queued jobs that are due, highest priority first."""
        rows = await self.session.execute(
            select(Job.id, Job.priority)
            .where(
                Job.status == JobStatus.QUEUED, (Job.run_after.is_(None)) | (Job.run_after <= now)
            )
            .order_by(Job.priority.desc(), Job.id)
            .limit(limit)
        )
        return [(job_id, priority) for job_id, priority in rows]

    async def expired_running(
        self, now: datetime, *, all_running: bool, limit: int = 500
    ) -> list[Job]:
        query = select(Job).where(Job.status == JobStatus.RUNNING)
        if not all_running:
            query = query.where(Job.lease_expires_at < now)
        return list(await self.session.scalars(query.order_by(Job.id).limit(limit)))

    async def counts_by_kind_status(self) -> list[tuple[str, str, int]]:
        rows = await self.session.execute(
            select(Job.kind, Job.status, func.count()).group_by(Job.kind, Job.status)
        )
        return [(kind, status, int(count)) for kind, status, count in rows]
