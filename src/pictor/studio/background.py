"""What studio runs in the background: every message ends when its job ends.

The service follows the job event bus and ends the message linked to each job that
ends (however it ends: a worker, a cancel, the reconciler). Only final events are
queued here, and none of a job whose ``queued`` event says it serves no message.
Jobs that ended while no one listened (the server was down, or this service was
stopped) are found by a sweep, run at start and then every
``PICTOR_STUDIO_SWEEP_INTERVAL_S``.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import AsyncExitStack, suppress
from typing import TYPE_CHECKING

from pictor.jobs.events import Event, UnflaggedJobs
from pictor.studio.engines import build_intent_engine
from pictor.studio.service import Studio

if TYPE_CHECKING:
    from pictor.runtime import Runtime, Service

log = logging.getLogger("pictor.studio")


class StudioService:
    """The studio of a running pictor, with its background work."""

    def __init__(self, studio: Studio) -> None:
        self.studio = studio
        self._stack: AsyncExitStack | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._not_studio = UnflaggedJobs("studio")

    def _wants(self, event: Event) -> bool:
        # Asked for every event: the filter learns from queued events.
        return self._not_studio.wants(event) and event.is_final

    async def start(self) -> None:
        if self._tasks:
            return  # already running
        stack = AsyncExitStack()
        # Subscribe before the sweep: a job ending in between is then heard, not lost.
        events: asyncio.Queue[Event] = await stack.enter_async_context(
            self.studio.runtime.bus.subscribe(None, wants=self._wants)
        )
        self._stack = stack
        self._tasks.append(asyncio.create_task(self._follow(events)))
        try:
            await self.studio.sweep()
        except Exception:
            log.exception("studio sweep at start failed (it runs again later)")
        self._tasks.append(asyncio.create_task(self._sweep_forever()))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self._stack is not None:
            await self._stack.aclose()
            self._stack = None

    async def _follow(self, events: asyncio.Queue[Event]) -> None:
        while True:
            event = await events.get()
            if not event.is_final:
                continue
            try:
                await self.studio.job_ended(event.job_id)
            except Exception:
                log.exception("could not end the message of job %s (the sweep will)", event.job_id)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.studio.settings.sweep_interval_s)
            try:
                await self.studio.sweep()
            except Exception:
                log.exception("studio sweep failed")


def attach(runtime: Runtime) -> Service | None:
    """The background service of studio, started and stopped with the runtime."""
    # The intent engine is built on first use (PICTOR_STUDIO_ENGINE).
    return StudioService(Studio(runtime, lambda: build_intent_engine(runtime.settings)))
