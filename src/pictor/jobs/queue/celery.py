"""The queue of distributed mode: job ids sent to Celery workers through the broker.

Interactive jobs (priority 0 and above) go to the interactive queue, batch items (below
0) to the batch queue, so workers reserved for the interactive queue never wait behind a
batch. A retry delay becomes the message's countdown. Each message carries the kind's
time limits (soft: timeout + margin, hard: timeout + 2 margins) and the job's attempt
count when it was sent, which tells a worker whether a redelivered message's attempt is
the one still marked running (its worker died: see ``Reconciler.recover_lost``).

On a plain Redis broker the message Celery builds is pushed from the event loop
(:mod:`pictor.jobs.queue.redis_broker`); otherwise ``send_task`` runs in a thread.

A send that fails (broker down) is logged and not raised: the job stays queued in the
database and the reconciler sends it again once the broker is back.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Collection
from typing import Any, cast

from celery import Celery
from sqlalchemy import Connection, Table, select

from pictor.config import BrokerSettings
from pictor.db.engine import Database
from pictor.jobs.models import Job
from pictor.jobs.queue.redis_broker import RedisBrokerPublisher, envelope, publisher_for
from pictor.pipelines.spec import PipelineSpec
from pictor.registry import Registry

log = logging.getLogger("pictor.queue")
TASK_NAME = "pictor.run_job"
JOBS = cast(Table, Job.__table__)


def time_limits(timeout_s: float, margin_s: float) -> tuple[float, float]:
    """(soft, hard) Celery time limits for a kind whose pipeline may run ``timeout_s``."""
    return timeout_s + margin_s, timeout_s + 2 * margin_s


def kind_time_limits(
    catalog: Registry[PipelineSpec], margin_s: float
) -> dict[str, tuple[float, float]]:
    return {kind: time_limits(spec.timeout_s, margin_s) for kind, spec in catalog.items()}


def _kind_and_attempts(job_id: str) -> Any:
    def read(conn: Connection) -> tuple[str, int] | None:
        row = conn.execute(select(JOBS.c.kind, JOBS.c.attempts).where(JOBS.c.id == job_id)).first()
        return None if row is None else (row[0], row[1])

    return read


class CeleryQueue:
    def __init__(
        self,
        app: Celery,
        db: Database,
        catalog: Registry[PipelineSpec],
        broker: BrokerSettings,
    ) -> None:
        self.app = app
        self.db = db
        self.broker = broker
        self.limits = kind_time_limits(catalog, broker.time_limit_margin_s)
        self.longest = max(self.limits.values(), default=time_limits(300.0, 60.0))
        #: Sends from the event loop when the broker allows it (plain Redis), else None.
        self.publisher: RedisBrokerPublisher | None = (
            publisher_for(broker.url, broker.transport_options) if broker.url else None
        )

    def queue_for(self, priority: int) -> str:
        return self.broker.interactive_queue if priority >= 0 else self.broker.batch_queue

    async def enqueue(
        self,
        job_id: str,
        *,
        delay_s: float = 0.0,
        priority: int = 0,
        kind: str | None = None,
        attempts: int | None = None,
    ) -> None:
        if kind is None or attempts is None:
            # Retries and the reconciler's resends: read what the message carries.
            found: tuple[str, int] | None = await self.db.read(_kind_and_attempts(job_id))
            kind, attempts = found if found is not None else (None, None)
        soft, hard = self.limits.get(kind or "", self.longest)
        kwargs = {"attempt": attempts, "priority": priority}
        queue = self.queue_for(priority)
        countdown = delay_s if delay_s > 0 else None
        try:
            if self.publisher is not None:
                message = self.message(job_id, queue, kwargs, (soft, hard), countdown)
                await self.publisher.push(queue, message)
            else:
                await asyncio.to_thread(
                    self.app.send_task,
                    TASK_NAME,
                    args=[job_id],
                    kwargs=kwargs,
                    queue=queue,
                    soft_time_limit=soft,
                    time_limit=hard,
                    ignore_result=True,
                    countdown=countdown,
                )
        except Exception as exc:
            # The row stays queued: the reconciler sends it again.
            log.warning("could not send job %s to the broker (%s)", job_id, type(exc).__name__)

    def message(
        self,
        job_id: str,
        queue: str,
        kwargs: dict[str, Any],
        limits: tuple[float, float],
        countdown: float | None = None,
    ) -> str:
        """What ``send_task`` would push onto a Redis broker's ``queue`` (its Celery
        message, built by Celery, in kombu's envelope)."""
        soft, hard = limits
        task_id = str(uuid.uuid4())
        headers, properties, body, _ = self.app.amqp.create_task_message(
            task_id,
            TASK_NAME,
            [job_id],
            kwargs,
            countdown=countdown,
            time_limit=hard,
            soft_time_limit=soft,
            ignore_result=True,
            reply_to=self.app.thread_oid,
        )
        return envelope(headers, properties, body, queue)

    async def discard(self, job_ids: Collection[str]) -> None:
        """Nothing to do: a canceled job's message is consumed as a no-op (its claim
        finds it canceled)."""

    async def start(self) -> None:
        """Workers live in ``pictor worker`` processes."""

    async def stop(self) -> None:
        if self.publisher is not None:
            await self.publisher.close()
        await asyncio.to_thread(self.app.close)
