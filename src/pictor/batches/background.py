"""What batches runs in the background of a running pictor.

- The queue's reserve: batch items never take the last ``PICTOR_BATCHES_RESERVED_WORKERS``
  workers of the in-process queue, so interactive jobs start at once during a batch.
- A follower of job events. When a batch's first item starts it sends ``batch.running``
  (if the batch's webhook asked for ``start``); as its items end, ``batch.progress`` at
  each tenth of the items (if it asked for ``progress``); when none is queued or running
  any more it writes the batch's final status and ``finished_at`` with its final
  webhook message (:func:`~pictor.batches.queries.finish_if_done`, once; at start also
  for batches that ended while pictor was down). ``on_finished`` callbacks run after.

It costs interactive jobs nothing: a job is known as a batch item or not from its
``queued`` event (a batch item's names its batch); only a job whose ``queued`` event
this process did not see (created before it started) is looked up, once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import Connection

from pictor.batches.queries import (
    BatchRecord,
    batch_view,
    batches_of_jobs,
    finish_if_done,
    notify,
    open_items,
    unfinished_batches,
    webhook_events,
)
from pictor.batches.service import BatchService
from pictor.db.engine import Database
from pictor.jobs.events import Event, EventBus
from pictor.jobs.queue.local import LocalQueue, default_background_workers

if TYPE_CHECKING:
    from pictor.runtime import Runtime, Service

log = logging.getLogger("pictor.batches")
T = TypeVar("T")
#: Interactive job ids remembered at most (each is forgotten when it ends).
MAX_REMEMBERED = 100_000


@dataclass
class Batches:
    """The batches area of a running pictor: its service and its follower."""

    db: Database
    bus: EventBus
    service: BatchService
    #: Called with a batch id once that batch has ended (after it is written down).
    on_finished: list[Callable[[str], Awaitable[None]]] = field(default_factory=list)
    #: Asks the webhooks service to send what was just written (no-op without one).
    wake_webhooks: Callable[[], None] = lambda: None
    #: Job id → batch id of open batch items seen created (or looked up).
    members: dict[str, str] = field(default_factory=dict)
    _interactive: set[str] = field(default_factory=set)
    _started: set[str] = field(default_factory=set)
    _deciles: dict[str, int] = field(default_factory=dict)
    _task: asyncio.Task[None] | None = None
    _ready: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> None:
        self._ready.clear()
        self._task = asyncio.create_task(self._follow(), name="pictor-batches")
        await self._ready.wait()
        for batch_id in await self.db.read(unfinished_batches):
            await self._ended(batch_id)

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
        started: set[str] = set()
        ended: set[str] = set()
        unknown: list[Event] = []
        for event in events:
            if event.type == "queued" and event.seq == 1:
                batch_id = event.data.get("batch_id")
                if isinstance(batch_id, str):
                    self.members[event.job_id] = batch_id
                else:
                    self._interactive.add(event.job_id)
            elif event.job_id in self._interactive:
                if event.is_final:
                    self._interactive.discard(event.job_id)
            elif event.job_id in self.members:
                self._sort(event, self.members[event.job_id], started, ended)
            elif event.type == "running" or event.is_final:
                unknown.append(event)
        if unknown:
            ids = [event.job_id for event in unknown]
            found = await self.db.read(lambda conn: batches_of_jobs(conn, ids))
            for event in unknown:
                batch_id = found.get(event.job_id)
                if batch_id is None:
                    if not event.is_final:
                        self._interactive.add(event.job_id)
                    continue
                self.members[event.job_id] = batch_id
                self._sort(event, batch_id, started, ended)
        if len(self._interactive) > MAX_REMEMBERED:
            # Jobs whose end this process never saw (another node's, a lost message):
            # forget them all; a job not remembered is looked up once if it matters.
            self._interactive.clear()
        for batch_id in sorted(started):
            await self._first_start(batch_id)
        for batch_id in sorted(ended):
            await self._ended(batch_id)

    def _sort(self, event: Event, batch_id: str, started: set[str], ended: set[str]) -> None:
        if event.type == "running" and batch_id not in self._started:
            started.add(batch_id)
        if event.is_final:
            self.members.pop(event.job_id, None)
            ended.add(batch_id)

    async def _first_start(self, batch_id: str) -> None:
        self._started.add(batch_id)
        wanted = await self.db.read(lambda conn: webhook_events(conn, batch_id))
        if wanted and "start" in wanted:
            await self._write(
                lambda conn, sent: notify(conn, batch_id, "running", key="running", sent=sent)
            )

    async def _ended(self, batch_id: str) -> None:
        """After items of a batch ended: progress, or the end of the batch."""
        left = await self.db.read(lambda conn: open_items(conn, batch_id))
        if left > 0:
            await self._progress(batch_id)
            return
        if not await self._write(lambda conn, sent: finish_if_done(conn, batch_id, sent)):
            return
        log.info("batch %s ended", batch_id)
        self._started.discard(batch_id)
        self._deciles.pop(batch_id, None)
        for callback in self.on_finished:
            try:
                await callback(batch_id)
            except Exception:
                log.exception("a batch-finished callback failed for %s", batch_id)

    async def _progress(self, batch_id: str) -> None:
        def unit(conn: Connection, sent: list[str]) -> int | None:
            view = batch_view(conn, batch_id)
            if view is None or not _wants_progress(view.batch):
                return None
            # Counted again (items may have ended since the read that sent us here) and
            # only once: the message says what the decision saw. On PostgreSQL each
            # statement sees the latest commits, so a second read could see the last
            # item end and describe the batch at 100 % in a progress message. A batch
            # with none open gets its end, not a progress.
            left = view.tally.open
            if left == 0:
                return None
            total = view.batch.item_count
            decile = (10 * (total - left)) // total
            if decile <= self._deciles.get(batch_id, 0):
                return decile
            notify(conn, batch_id, "progress", key=f"progress.{decile}", sent=sent, view=view)
            return decile

        decile = await self._write(unit)
        if decile is not None:
            self._deciles[batch_id] = max(decile, self._deciles.get(batch_id, 0))

    async def _write(self, fn: Callable[[Connection, list[str]], T]) -> T:
        """Run ``fn`` in a write transaction; wake the webhooks service if it wrote a
        message (only then: a wake-up costs it a pass over its due deliveries)."""
        sent: list[str] = []
        result = await self.db.write(lambda conn: fn(conn, sent))
        if sent:
            self.wake_webhooks()
        return result


def _wants_progress(batch: BatchRecord) -> bool:
    return batch.webhook_url is not None and "progress" in (batch.webhook_events or ())


def attach(runtime: Runtime) -> Service | None:
    """The background service of batches, started and stopped with the runtime."""
    settings = runtime.settings
    if isinstance(runtime.queue, LocalQueue):
        runtime.queue.background_workers = default_background_workers(
            settings.worker.concurrency, settings.batches.reserved_workers
        )

    def wake_webhooks() -> None:
        # The webhooks service starts after this one: looked up when needed.
        webhooks = runtime.services.get("webhooks")
        wake = getattr(webhooks, "wake", None)
        if callable(wake):
            wake()

    service = BatchService(
        db=runtime.db,
        bus=runtime.bus,
        catalog=runtime.catalog,
        engines=runtime.engines,
        settings=settings,
        queue=runtime.queue,
        wake_webhooks=wake_webhooks,
    )
    return Batches(runtime.db, runtime.bus, service, wake_webhooks=wake_webhooks)
