"""Queues carry job ids only; the database row is the truth."""

from __future__ import annotations

from typing import Protocol


class JobQueue(Protocol):
    async def enqueue(self, job_id: str, *, delay_s: float = 0.0) -> None:
        """Ask for ``job_id`` to be run (after ``delay_s``). Duplicates are harmless."""
        ...

    async def start(self) -> None:
        """Start consuming (a no-op for queues whose workers live elsewhere)."""
        ...

    async def stop(self) -> None:
        """Stop consuming; jobs in flight are left to the reconciler."""
        ...
