"""Where CPU-heavy pipeline stages run: a pool of child processes, so the API stays
responsive, replaced as a whole when one of its processes dies."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from pictor.errors import TransientError

T = TypeVar("T")
log = logging.getLogger("pictor.cpu")


class WorkerLost(TransientError):
    code = "worker_lost"


class CpuPool:
    def __init__(self, workers: int, *, processes: bool = True) -> None:
        self.workers = workers
        self.processes = processes
        self._executor: Executor | None = self._new() if processes else None

    def _new(self) -> Executor:
        # spawn, not fork: the parent runs threads (database drivers, the event loop).
        return ProcessPoolExecutor(
            max_workers=self.workers, mp_context=multiprocessing.get_context("spawn")
        )

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        executor = self._executor
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(executor, fn, *args)
        except BrokenProcessPool as exc:
            if executor is self._executor and executor is not None:
                # The first job to notice replaces the pool; the others just retry.
                log.warning("a worker process died; starting a new pool")
                executor.shutdown(wait=False, cancel_futures=True)
                self._executor = self._new()
            raise WorkerLost("the worker process running this job died") from exc

    def child_pids(self) -> list[int]:
        processes = getattr(self._executor, "_processes", None) or {}
        return list(processes)

    def shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
