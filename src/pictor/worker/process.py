"""One pictor runtime per Celery worker process, on a long-lived event loop.

The loop runs in a thread of its own, started on the process's first task (after a
prefork child is forked, never before). Celery's task threads (one with prefork and
solo, several with the threads pool) hand it coroutines and wait for them, so a Celery
soft time limit raised in the waiting thread can cancel the job's coroutine. CPU-heavy
stages run in threads of this process (the prefork pool already gives one process per
concurrent job; a nested process pool would double them).

A job whose pipeline blocks the loop cannot be stopped by its own timeout. Celery's
soft time limit (prefork pool) interrupts the waiting thread instead: the job's attempt
is then failed with ``job_timeout`` (its credits released) by a fresh runtime on a new
loop, which also serves this process's next jobs; the stuck loop is abandoned (if it
ever wakes, its attempt's end is refused: the row has moved on).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar, cast

from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy import Connection, Table, select

from pictor.config import Settings
from pictor.errors import PictorError
from pictor.jobs.models import Job, JobStatus
from pictor.jobs.records import JOB_COLUMNS, JobRecord
from pictor.runtime import Runtime, build_runtime

log = logging.getLogger("pictor.worker")
T = TypeVar("T")

JOBS = cast(Table, Job.__table__)
_settings: Settings | None = None
_current: WorkerProcess | None = None
_lock = threading.Lock()


def new_loop() -> asyncio.AbstractEventLoop:
    """uvloop's loop where it is installed (uvicorn's standard extra brings it, as it
    does for the API node): a job's statements, publishes and thread hand-offs cost
    less CPU on it; else asyncio's own."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def configure(settings: Settings) -> None:
    """The settings every worker process of this node builds its runtime from."""
    global _settings
    _settings = settings


def current() -> WorkerProcess:
    """This process's runtime, started on first use (and again after a fork)."""
    global _current
    with _lock:
        if _current is None or _current.pid != os.getpid():
            settings = _settings if _settings is not None else Settings()
            _current = WorkerProcess(settings)
        return _current


class WorkerProcess:
    def __init__(self, settings: Settings) -> None:
        self.pid = os.getpid()
        settings = settings.model_copy(deep=True)
        settings.worker.process_pool = False
        self.loop = new_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="pictor-worker-loop", daemon=True
        )
        self._thread.start()
        self.runtime: Runtime = build_runtime(
            settings, run_workers=False, reconcile=False, run_services=False
        )
        self.call(self.runtime.start(migrate=False))
        log.info("worker process %d ready", self.pid)

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result()
        except BaseException:
            # A Celery soft time limit (or shutdown) interrupts the wait: stop the job's
            # coroutine too; its row is left to the lease and the reconciler.
            future.cancel()
            raise

    def run(self, job_id: str, *, attempt: int | None, priority: int, redelivered: bool) -> None:
        try:
            self.call(self._run(job_id, attempt, priority, redelivered))
        except SoftTimeLimitExceeded:
            log.error("job %s exceeded its Celery time limit", job_id)
            serving = self if self._answers() else _abandon(self)
            if attempt is not None:
                serving.call(fail_timed_out(serving.runtime, job_id, attempt + 1))
            raise

    def _answers(self, timeout_s: float = 1.0) -> bool:
        """Whether the loop still runs callbacks (it is not blocked by a pipeline)."""
        probe = asyncio.run_coroutine_threadsafe(asyncio.sleep(0), self.loop)
        try:
            probe.result(timeout_s)
        except TimeoutError:
            probe.cancel()
            return False
        return True

    async def _run(
        self, job_id: str, attempt: int | None, priority: int, redelivered: bool
    ) -> None:
        runtime = self.runtime
        assert runtime.runner is not None and runtime.queue is not None
        assert runtime.reconciler is not None
        # A redelivered message started attempt + 1; if that attempt is still marked
        # running, the worker running it died (a live one would still hold the message).
        lost = redelivered and attempt is not None
        if lost and await runtime.reconciler.recover_lost(job_id, (attempt or 0) + 1):
            log.warning("job %s: an attempt was lost with its worker", job_id)
        try:
            delay = await runtime.runner.execute(job_id)
        except Exception:
            # The row stays queued or running; the reconciler picks it up again.
            log.exception("runner failed on %s", job_id)
            return
        if delay is not None:
            await runtime.queue.enqueue(job_id, delay_s=delay, priority=priority)


def _abandon(stuck: WorkerProcess) -> WorkerProcess:
    """Forget ``stuck`` (its loop no longer answers) and start a fresh one."""
    global _current
    with _lock:
        if _current is stuck:
            _current = None
    return current()


async def fail_timed_out(runtime: Runtime, job_id: str, attempt: int) -> bool:
    """Fail ``attempt`` of the job with ``job_timeout`` if it is still the one running."""
    assert runtime.runner is not None

    def read(conn: Connection) -> JobRecord | None:
        row = conn.execute(select(*JOB_COLUMNS).where(JOBS.c.id == job_id)).first()
        return None if row is None else JobRecord(*row)

    job = await runtime.db.read(read)
    if job is None or job.status != JobStatus.RUNNING or job.attempts != attempt:
        return False
    spec = runtime.catalog.get(job.kind)
    error = PictorError(
        f"{job.kind} did not finish within {spec.timeout_s:g} s", code="job_timeout"
    )
    await runtime.runner._finish_failed(job, error, spec.timeout_s)
    return True
