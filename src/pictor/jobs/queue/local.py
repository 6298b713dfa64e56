"""The in-process executor of embedded mode: event-driven, no polling delay.

Ids wait in a heap ordered by (priority, highest first; then arrival). Workers sleep on
futures and are woken by whatever can let one of them proceed: an id arriving, or a
low-priority slot freeing. Items below priority 0 (batch items) may hold at most
``background_workers`` workers at once; the rest stay free for interactive jobs, so one
submitted while a long batch runs starts at once instead of after a batch item.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections import deque
from collections.abc import Collection
from contextlib import suppress

from pictor.jobs.runner import Runner

log = logging.getLogger("pictor.queue")


def default_background_workers(concurrency: int, reserved: int = 1) -> int:
    """Workers low-priority items may use: all but ``reserved``, at least one."""
    return max(1, concurrency - reserved)


class LocalQueue:
    def __init__(
        self, runner: Runner, concurrency: int, *, background_workers: int | None = None
    ) -> None:
        self.runner = runner
        self.concurrency = concurrency
        self.background_workers = (
            default_background_workers(concurrency)
            if background_workers is None
            else background_workers
        )
        # (-priority, arrival number, job id): heapq pops the smallest.
        self._heap: list[tuple[int, int, str]] = []
        self._arrivals = itertools.count()
        # Ids waiting in the heap or on a timer, with their priority: enqueueing them
        # again is a no-op.
        self._pending: dict[str, int] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._background_running = 0
        self._workers: list[asyncio.Task[None]] = []

    async def enqueue(
        self,
        job_id: str,
        *,
        delay_s: float = 0.0,
        priority: int = 0,
        kind: str | None = None,
        attempts: int | None = None,
    ) -> None:
        if job_id in self._pending:
            return
        self._pending[job_id] = priority
        if delay_s > 0:
            loop = asyncio.get_running_loop()
            self._timers[job_id] = loop.call_later(delay_s, self._due, job_id)
        else:
            self._push(job_id, priority)

    async def discard(self, job_ids: Collection[str]) -> None:
        drop = {job_id for job_id in job_ids if self._pending.pop(job_id, None) is not None}
        if not drop:
            return
        for job_id in drop:
            timer = self._timers.pop(job_id, None)
            if timer is not None:
                timer.cancel()
        self._heap = [item for item in self._heap if item[2] not in drop]
        heapq.heapify(self._heap)

    def waiting(self) -> int:
        """Ids waiting to run now (not those on a retry timer)."""
        return len(self._heap)

    def _due(self, job_id: str) -> None:
        self._timers.pop(job_id, None)
        priority = self._pending.get(job_id)
        if priority is not None:
            self._push(job_id, priority)

    def _push(self, job_id: str, priority: int) -> None:
        heapq.heappush(self._heap, (-priority, next(self._arrivals), job_id))
        self._wake_one()

    def _wake_one(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def _take(self) -> tuple[str, int] | None:
        """The next id a free worker may run now, if any."""
        if not self._heap:
            return None
        # The top is the highest priority: if it is background work and the background
        # slots are full, everything left is background work too.
        if self._heap[0][0] > 0 and self._background_running >= self.background_workers:
            return None
        neg_priority, _, job_id = heapq.heappop(self._heap)
        self._pending.pop(job_id, None)
        if neg_priority > 0:
            self._background_running += 1
        return job_id, -neg_priority

    async def _next(self) -> tuple[str, int]:
        while True:
            taken = self._take()
            if taken is not None:
                return taken
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                # Pass a wake-up this worker can no longer use on to another one.
                if waiter.done() and not waiter.cancelled():
                    self._wake_one()
                raise

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
            job_id, priority = await self._next()
            try:
                delay = await self.runner.execute(job_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                # The row stays queued or running; the reconciler picks it up again.
                log.exception("runner failed on %s", job_id)
                continue
            finally:
                if priority < 0:
                    self._background_running -= 1
                    self._wake_one()
            if delay is not None:
                await self.enqueue(job_id, delay_s=delay, priority=priority)
