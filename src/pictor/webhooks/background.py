"""The webhooks service of a running pictor: job events become durable deliveries,
and due deliveries are sent, retried and given up on.

Events are recorded from the bus; a final event missed while no service ran (a
crash between the job's end and its recording) is found again at start by
:func:`repository.final_events_without_delivery`. A job whose ``queued`` event says
it has no webhook costs nothing more: its events are dropped before they are queued
here (or claimed across nodes); other jobs' targets are read once and cached. Sending polls the
``(status, next_attempt_at)`` index every ``poll_interval_s`` and is woken at once
when an event is recorded. ``run_due(now)`` is the whole of one pass, so tests
drive it with their own clock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AsyncExitStack, suppress
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from pictor.db.base import utcnow
from pictor.db.engine import Database
from pictor.jobs.events import Event, EventBus, UnflaggedJobs, subscribe_once
from pictor.webhooks import repository
from pictor.webhooks.delivery import Outcome, Sender, after_attempt, encode
from pictor.webhooks.repository import DeliveryRow
from pictor.webhooks.secret_store import WAITING_FOR_SECRET, signing_secrets
from pictor.webhooks.service import DISABLED_ERROR, JobTarget, job_target, record_job_event
from pictor.webhooks.settings import WebhooksSettings

if TYPE_CHECKING:
    from pictor.runtime import Runtime, Service

log = logging.getLogger("pictor.webhooks")
_CACHE_MAX = 10_000
_NOTHING = object()


class WebhookService:
    def __init__(
        self,
        db: Database,
        bus: EventBus,
        settings: WebhooksSettings,
        sender: Sender,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.bus = bus
        self.settings = settings
        self.sender = sender
        #: The time every decision uses; tests replace it to move through 24 h at once.
        self.clock = clock
        self._targets: dict[str, JobTarget | None] = {}
        self._without_webhook = UnflaggedJobs("webhook")
        self._events: asyncio.Queue[Event] | None = None
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._stack = AsyncExitStack()

    async def start(self) -> None:
        # Subscribe before the sweep, so no final event falls between the two.
        events: asyncio.Queue[Event] = await self._stack.enter_async_context(
            # One node records each event; none of the events of a job without a webhook.
            subscribe_once(self.bus, "webhooks", wants=self._without_webhook.wants)
        )
        self._events = events
        await self.recover_missed()
        self._tasks.append(asyncio.create_task(self._record_forever(events)))
        if self.settings.poll_interval_s > 0:
            self._tasks.append(asyncio.create_task(self._deliver_forever()))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self._stack.aclose()

    def wake(self) -> None:
        """Look for due deliveries now (after a batch delivery was enqueued, say)."""
        self._wake.set()

    async def settle(self) -> None:
        """Return once every event published so far is recorded (tests, shutdown)."""
        if self._events is not None:
            await self._events.join()

    # -- recording -------------------------------------------------------------------

    async def _record_forever(self, events: asyncio.Queue[Event]) -> None:
        while True:
            event = await events.get()
            try:
                await self.record(event)
            except Exception:
                log.exception("could not record the webhook of %s", event.job_id)
            finally:
                events.task_done()

    async def record(self, event: Event) -> None:
        target = await self._target(event)
        if target is None:
            return
        interval = self.settings.progress_interval_s
        written = await self.db.write(partial(_record, target, event, self.clock(), interval))
        if written is not None:
            self.wake()

    async def _target(self, event: Event) -> JobTarget | None:
        cached = self._targets.get(event.job_id, _NOTHING)
        if event.is_final:
            self._targets.pop(event.job_id, None)
        if cached is not _NOTHING:
            return cached  # type: ignore[return-value]
        target = await self.db.read(partial(_job_target, event.job_id))
        if not event.is_final:
            if len(self._targets) >= _CACHE_MAX:
                self._targets.clear()
            self._targets[event.job_id] = target
        return target

    async def recover_missed(self) -> int:
        """Write the deliveries of final events that no running service recorded."""
        now = self.clock()
        since = now - timedelta(seconds=self.settings.retry_for_s)
        missed = await self.db.read(
            lambda conn: repository.final_events_without_delivery(conn, since)
        )
        for job_id, owner_id, url, batch_id, event in missed:
            target = JobTarget(owner_id, url, frozenset(), batch_id)
            interval = self.settings.progress_interval_s
            await self.db.write(partial(_record, target, event, now, interval))
            log.info("webhook of %s recovered after a restart", job_id)
        return len(missed)

    # -- sending ---------------------------------------------------------------------

    async def _deliver_forever(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.run_due()
            except Exception:
                log.exception("webhook delivery pass failed")
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancel
            # that lands as the wake-up completes, and stop() would wait forever.
            with suppress(TimeoutError):
                async with asyncio.timeout(self.settings.poll_interval_s):
                    await self._wake.wait()

    async def run_due(self, now: datetime | None = None) -> int:
        """Send every delivery due at ``now`` once; the number of deliveries handled."""
        now = now or self.clock()
        lease = now + timedelta(seconds=self.sender.limits.timeout_s + 30)
        limit = self.settings.concurrency * 4
        gate = asyncio.Semaphore(self.settings.concurrency)
        handled = 0
        if not await self.db.read(lambda conn: repository.any_due(conn, now)):
            return handled
        while True:
            claimed = await self.db.write(
                lambda conn: repository.claim_due(conn, now, lease, limit)
            )
            if not claimed:
                return handled

            async def one(delivery: DeliveryRow) -> None:
                async with gate:
                    await self._attempt(delivery, now)

            await asyncio.gather(*(one(d) for d in claimed))
            handled += len(claimed)

    async def _attempt(self, delivery: DeliveryRow, now: datetime) -> None:
        def look(conn: Connection) -> tuple[list[str], bool]:
            secrets = signing_secrets(conn, delivery.owner_id, now)
            return secrets, repository.is_disabled(conn, delivery.owner_id, delivery.url)

        secrets, disabled = await self.db.read(look)
        if disabled:
            error = DISABLED_ERROR
            await self._finish(delivery, None, status="disabled", last_error=error, now=now)
            return
        if not secrets:
            await self._wait_for_secret(delivery, now)
            return
        body = encode(delivery.payload)
        outcome = await self.sender.send(delivery.url, delivery.id, body, secrets, now)
        attempts = delivery.attempts + 1
        values = after_attempt(
            outcome,
            attempts=attempts,
            created_at=delivery.created_at,
            now=now,
            settings=self.settings,
        )
        if outcome.result != "succeeded":
            log.warning("webhook %s attempt %d: %s", delivery.id, attempts, outcome.error)
        await self._finish(delivery, outcome, now=now, **values)

    async def _wait_for_secret(self, delivery: DeliveryRow, now: datetime) -> None:
        deadline = delivery.created_at + timedelta(seconds=self.settings.retry_for_s)
        if now >= deadline:
            error = "no webhook secret was created in time; nothing was sent"
            await self._finish(delivery, None, status="failed", last_error=error, now=now)
            return
        later = min(now + timedelta(seconds=self.settings.backoff_max_s), deadline)
        await self._finish(
            delivery, None, last_error=WAITING_FOR_SECRET, next_attempt_at=later, now=now
        )

    async def _finish(
        self, delivery: DeliveryRow, outcome: Outcome | None, *, now: datetime, **values: object
    ) -> None:
        attempt = None
        if outcome is not None:
            attempt = {
                "at": now.isoformat(),
                "status_code": outcome.status_code,
                "error": outcome.error,
                "duration_ms": outcome.duration_ms,
            }
        values.setdefault("updated_at", now)

        def unit(conn: Connection) -> None:
            repository.finish_attempt(conn, delivery, attempt, **values)
            if values.get("status") == "disabled" and outcome is not None:
                repository.disable_url(conn, delivery.owner_id, delivery.url, delivery.id, now)

        await self.db.write(unit)


def _job_target(job_id: str, conn: Connection) -> JobTarget | None:
    return job_target(conn, job_id)


def _record(
    target: JobTarget, event: Event, now: datetime, interval: float, conn: Connection
) -> str | None:
    return record_job_event(conn, target, event, now, interval)


def attach(runtime: Runtime) -> Service | None:
    """The background service of webhooks, started and stopped with the runtime."""
    sender = Sender(runtime.network, runtime.fetch_limits)
    return WebhookService(runtime.db, runtime.bus, runtime.settings.webhooks, sender)
