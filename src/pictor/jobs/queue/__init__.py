"""Queues carry job ids only; the database row is the truth.

A job's ``priority`` travels with its id: interactive jobs are 0 and run before anything
lower (batch items are below 0). A queue may also keep some of its workers free of
low-priority work, so an interactive job never waits behind a long batch.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol


class JobQueue(Protocol):
    async def enqueue(
        self,
        job_id: str,
        *,
        delay_s: float = 0.0,
        priority: int = 0,
        kind: str | None = None,
        attempts: int | None = None,
    ) -> None:
        """Ask for ``job_id`` to be run (after ``delay_s``), higher ``priority`` first.
        Duplicates are harmless. A caller that knows the job's ``kind`` and ``attempts``
        (a submit path: attempts 0) passes them, which spares a queue that sends them
        along (Celery) a read of the row."""
        ...

    async def discard(self, job_ids: Collection[str]) -> None:
        """Forget ids that need not run any more (canceled); unknown ids are ignored.
        Only an optimisation: running a canceled id is a no-op anyway."""
        ...

    async def start(self) -> None:
        """Start consuming (a no-op for queues whose workers live elsewhere)."""
        ...

    async def stop(self) -> None:
        """Stop consuming; jobs in flight are left to the reconciler."""
        ...
