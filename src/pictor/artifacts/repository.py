"""Every query of the artifacts domain."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pictor.artifacts.models import Artifact


class ArtifactRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def owned(self, artifact_id: str, owner_id: str) -> Artifact | None:
        return await self.session.scalar(
            select(Artifact).where(
                Artifact.id == artifact_id,
                Artifact.owner_id == owner_id,
                Artifact.deleted_at.is_(None),
            )
        )

    async def of_job(self, job_id: str) -> list[Artifact]:
        return list(
            await self.session.scalars(
                select(Artifact)
                .where(Artifact.job_id == job_id, Artifact.role == "output")
                .order_by(Artifact.id)
            )
        )

    async def of_jobs(self, job_ids: list[str]) -> dict[str, list[Artifact]]:
        found: dict[str, list[Artifact]] = {}
        if not job_ids:
            return found
        rows = await self.session.scalars(
            select(Artifact)
            .where(Artifact.job_id.in_(job_ids), Artifact.role == "output")
            .order_by(Artifact.id)
        )
        for artifact in rows:
            found.setdefault(artifact.job_id or "", []).append(artifact)
        return found

    async def many(self, ids: list[str]) -> list[Artifact]:
        if not ids:
            return []
        return list(await self.session.scalars(select(Artifact).where(Artifact.id.in_(ids))))

    def add(self, artifact: Artifact) -> None:
        self.session.add(artifact)
