"""The in-process executor of embedded mode: event-driven, no polling delay."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from pictor.jobs.runner import Runner

log = logging.getLogger("pictor.queue")


class LocalQueue:
    def __init__(self, runner: Runner, concurrency: int) -> None:
        self.runner = runner
        self.concurrency = concurrency
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        # Ids waiting in the queue or on a timer: enqueueing them again is a no-op.
        self._pending: set[str] = set()
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._workers: list[asyncio.Task[None]] = []

    async def enqueue(self, job_id: str, *, delay_s: float = 0.0) -> None:
        if job_id in self._pending:
            return
        self._pending.add(job_id)
        if delay_s > 0:
            loop = asyncio.get_running_loop()
            self._timers[job_id] = loop.call_later(delay_s, self._due, job_id)
        else:
            self._queue.put_nowait(job_id)

    def _due(self, job_id: str) -> None:
        self._timers.pop(job_id, None)
        self._queue.put_nowait(job_id)

    async def start(self) -> None:
        if not self._workers:
            self._workers = [
                asyncio.create_task(self._work(), name=f"pictor-worker-{i}")
                for i in range(self.concurrency)
            ]

    async def stop(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        for task in self._workers:
            task.cancel()
        for task in self._workers:
            with suppress(asyncio.CancelledError):
                await task
        self._workers = []

    async def _work(self) -> None:
        while True:
            job_id = await self._queue.get()
            self._pending.discard(job_id)
            try:
                delay = await self.runner.execute(job_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                # The row stays queued or running; the reconciler picks it up again.
                log.exception("runner failed on %s", job_id)
                continue
            if delay is not None:
                await self.enqueue(job_id, delay_s=delay)
