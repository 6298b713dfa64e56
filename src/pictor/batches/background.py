"""What batches runs in the background of a running pictor.

- The queue's reserve: batch items never take the last ``PICTOR_BATCHES_RESERVED_WORKERS``
  workers of the in-process queue, so interactive jobs start at once during a batch.
- A follower of job events that writes down when a batch ends: after each final event
  of a batch item, if none of its items is queued or running any more, the batch gets
  its final status and ``finished_at`` (once; also for batches that ended while pictor
  was down, at start). ``on_finished`` callbacks run after that (webhooks may hook in).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pictor.batches.service import (
    BatchService,
    batches_of_jobs,
    finish_if_done,
    open_items,
    unfinished_batches,
)
from pictor.db.engine import Database
from pictor.jobs.events import Event, EventBus
from pictor.jobs.queue.local import LocalQueue, default_background_workers

if TYPE_CHECKING:
    from pictor.runtime import Runtime, Service

log = logging.getLogger("pictor.batches")


@dataclass
class Batches:
    """The batches area of a running pictor: its service and its follower."""

    db: Database
    bus: EventBus
    service: BatchService
    #: Called with a batch id once that batch has ended (after it is written down).
    on_finished: list[Callable[[str], Awaitable[None]]] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None
    _ready: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._follow(), name="pictor-batches")
        await self._ready.wait()
        for batch_id in await self.db.read(unfinished_batches):
            await self._check(batch_id)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _follow(self) -> None:
        async with self.bus.subscribe(None) as events:
            self._ready.set()
            while True:
                got = [await events.get()]
                while not events.empty():
                    got.append(events.get_nowait())
                try:
                    await self._after(got)
                except Exception:
                    log.exception("could not follow up batch items")

    async def _after(self, events: list[Event]) -> None:
        ended = [event.job_id for event in events if event.is_final]
        if not ended:
            return
        for batch_id in sorted(await self.db.read(lambda conn: batches_of_jobs(conn, ended))):
            await self._check(batch_id)

    async def _check(self, batch_id: str) -> None:
        if await self.db.read(lambda conn: open_items(conn, batch_id)) > 0:
            return
        if not await self.db.write(lambda conn: finish_if_done(conn, batch_id)):
            return
        log.info("batch %s ended", batch_id)
        for callback in self.on_finished:
            try:
                await callback(batch_id)
            except Exception:
                log.exception("a batch-finished callback failed for %s", batch_id)


def attach(runtime: Runtime) -> Service | None:
    """The background service of batches, started and stopped with the runtime."""
    settings = runtime.settings
    if isinstance(runtime.queue, LocalQueue):
        runtime.queue.background_workers = default_background_workers(
            settings.worker.concurrency, settings.batches.reserved_workers
        )
    service = BatchService(
        db=runtime.db,
        bus=runtime.bus,
        catalog=runtime.catalog,
        engines=runtime.engines,
        settings=settings,
        queue=runtime.queue,
    )
    return Batches(runtime.db, runtime.bus, service)
