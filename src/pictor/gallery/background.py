"""What the gallery runs in the background: the trash emptying itself."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from typing import TYPE_CHECKING

from pictor.gallery.service import GalleryService

if TYPE_CHECKING:
    from pictor.runtime import Runtime, Service

log = logging.getLogger("pictor.gallery")


class TrashPurger:
    """Every ``interval_s``, deletes for good what has been in the trash too long.

    A first pass runs at start, so a server that was down for a while catches up.
    """

    def __init__(self, gallery: GalleryService, interval_s: float) -> None:
        self.gallery = gallery
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None
        #: Passes finished, and an event set after each (tests wait on it).
        self.passes = 0
        self.pass_finished = asyncio.Event()

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="pictor-gallery-purge")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            try:
                purged = await self.gallery.purge_expired()
                if purged:
                    log.info("gallery trash: %d items deleted for good", purged)
            except Exception:
                log.exception("gallery trash purge failed; next try in %s s", self.interval_s)
            self.passes += 1
            self.pass_finished.set()
            await asyncio.sleep(self.interval_s)


def attach(runtime: Runtime) -> Service | None:
    """The background service of gallery, started and stopped with the runtime."""
    gallery = GalleryService(runtime.db, runtime.store, runtime.settings.gallery)
    return TrashPurger(gallery, runtime.settings.gallery.purge_interval_s)
