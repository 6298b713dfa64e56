"""Job events across nodes over PostgreSQL ``LISTEN/NOTIFY`` (deployments without Redis).

The same shape as :mod:`pictor.jobs.events_redis`: one connection per process that
publishes (``pg_notify``, in publish order, by a sender task), one that listens on one
channel and fans out to this process's subscribers, reconnect with backoff and a
:data:`~pictor.jobs.events.RESYNC` marker for per-job followers after a loss.

As there, a process LISTENs from its first subscription on: a process where nothing
subscribes (a worker) only notifies, and holds no LISTEN connection.

A notification's payload is limited to 8,000 bytes: an event whose JSON fits is sent
whole; a bigger one is sent as its job id and ``seq`` only, and listeners read the row
from ``job_events`` (it is committed before it is published).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from datetime import datetime
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from pictor.jobs.events import Event, Subscribers, Wants, drain_and_cancel, wait_subscribed

log = logging.getLogger("pictor.events")
_INITIAL_BACKOFF_S = 0.05
_MAX_PAYLOAD = 7900
_READ_EVENT = "SELECT type, data::text, created_at FROM job_events WHERE job_id = $1 AND seq = $2"


def payload(origin: str, event: Event) -> str:
    whole = json.dumps({"o": origin, "e": event.to_dict()}, separators=(",", ":"))
    if len(whole.encode()) <= _MAX_PAYLOAD:
        return whole
    return json.dumps({"o": origin, "j": event.job_id, "s": event.seq}, separators=(",", ":"))


def plain_dsn(url: str) -> str:
    """``postgresql+asyncpg://…`` (SQLAlchemy) → ``postgresql://…`` (asyncpg)."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme.split('+')[0]}{sep}{rest}"


class PostgresEventBus:
    """An :class:`~pictor.jobs.events.EventBus` shared by every node through PostgreSQL."""

    distributed = True

    def __init__(
        self,
        dsn: str,
        *,
        channel: str = "pictor_events",
        reconnect_max_s: float = 5.0,
        health_check_s: float = 5.0,
        buffer: int = 10_000,
        name: str | None = None,
    ) -> None:
        self.dsn = plain_dsn(dsn)
        self.channel = channel
        self.reconnect_max_s = reconnect_max_s
        self.health_check_s = health_check_s
        self.origin = name or f"pictor-events-{os.getpid()}-{secrets.token_hex(4)}"
        self.observers: list[Callable[[Event], None]] = []
        self.connects = 0
        self._subs = Subscribers()
        #: How this process's own notifications start (dropped without being decoded).
        self._echo = '{"o":' + json.dumps(self.origin) + ","
        self._outbox: deque[str] = deque(maxlen=buffer)
        self._inflight: list[str] = []
        self._pending = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._subscribed = asyncio.Event()
        self._received: asyncio.Queue[str] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._listener: asyncio.Task[None] | None = None
        self._wait_s = 5.0

    async def _connect(self, role: str) -> Any:
        return await asyncpg.connect(
            self.dsn, server_settings={"application_name": f"{self.origin}-{role}"[:63]}
        )

    async def start(self, *, wait_s: float = 5.0) -> None:
        if self._tasks:
            return
        self._wait_s = wait_s
        self._tasks.append(asyncio.create_task(self._send(), name="pictor-events-send"))
        self._tasks.append(asyncio.create_task(self._handle(), name="pictor-events-handle"))
        if self._subs:
            await self._listening()

    async def _listening(self) -> None:
        """LISTEN if this process does not yet (see the module's text)."""
        if not self._tasks:
            return  # not started: start() listens
        if self._listener is None:
            self._listener = asyncio.create_task(self._listen(), name="pictor-events-listen")
            self._tasks.append(self._listener)
        if self.connects == 0:
            await wait_subscribed(self._subscribed, self._wait_s, "PostgreSQL")

    async def stop(self) -> None:
        await drain_and_cancel(self._tasks, self._idle)
        self._listener = None

    async def publish(self, event: Event) -> None:
        self._deliver(event)
        self._outbox.append(payload(self.origin, event))
        self._idle.clear()
        self._pending.set()

    @asynccontextmanager
    async def subscribe(
        self, job_id: str | None, *, wants: Wants | None = None
    ) -> AsyncIterator[asyncio.Queue[Event]]:
        async with self._subs.subscribe(job_id, wants) as queue:
            await self._listening()
            yield queue

    def _deliver(self, event: Event) -> None:
        for observe in self.observers:
            try:
                observe(event)
            except Exception:
                log.exception("an event observer failed")
        self._subs.deliver(event)

    async def _listen(self) -> None:
        backoff = _INITIAL_BACKOFF_S
        while True:
            conn: Any = None
            try:
                conn = await self._connect("listen")
                lost = asyncio.Event()
                conn.add_termination_listener(lambda _conn, closed=lost: closed.set())
                await conn.add_listener(
                    self.channel, lambda _c, _pid, _ch, raw: self._received.put_nowait(raw)
                )
                self.connects += 1
                if self.connects > 1:
                    log.info("event bus: LISTEN back after a loss")
                    self._subs.resync()
                self._subscribed.set()
                backoff = _INITIAL_BACKOFF_S
                while not lost.is_set():
                    with suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), self.health_check_s)
                    if not lost.is_set():
                        await asyncio.wait_for(conn.fetchval("SELECT 1"), self.health_check_s)
                raise ConnectionError("the LISTEN connection was closed")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._subscribed.is_set():
                    log.warning("event bus: LISTEN lost (%s); reconnecting", exc)
                self._subscribed.clear()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.reconnect_max_s)
            finally:
                if conn is not None:
                    with suppress(Exception):
                        await conn.close(timeout=1)

    async def _handle(self) -> None:
        """Turn notifications into events, in order (reading the row of a big one)."""
        self._reader: Any = None
        try:
            await self._handle_forever()
        finally:
            if self._reader is not None:
                self._reader.terminate()

    async def _handle_forever(self) -> None:
        while True:
            raw = await self._received.get()
            if raw.startswith(self._echo):
                continue
            try:
                message = json.loads(raw)
                if message["o"] == self.origin:
                    continue
                if "e" in message:
                    e = message["e"]
                    event = Event(
                        e["job_id"],
                        int(e["seq"]),
                        e["type"],
                        e["data"],
                        datetime.fromisoformat(e["created_at"]),
                    )
                else:
                    if self._reader is None or self._reader.is_closed():
                        self._reader = await self._connect("read")
                    row = await self._reader.fetchrow(_READ_EVENT, message["j"], int(message["s"]))
                    if row is None:
                        continue
                    type_, data, created_at = row
                    event = Event(
                        message["j"], int(message["s"]), type_, json.loads(data), created_at
                    )
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("event bus: a notification could not be read")
                if self._reader is not None:
                    self._reader.terminate()
                    self._reader = None
                continue
            self._deliver(event)

    async def _send(self) -> None:
        self._notify_conn: Any = None
        try:
            await self._send_forever()
        finally:
            if self._notify_conn is not None:
                self._notify_conn.terminate()

    async def _send_forever(self) -> None:
        backoff = _INITIAL_BACKOFF_S
        while True:
            if not self._inflight:
                await self._pending.wait()
                self._pending.clear()
                while self._outbox and len(self._inflight) < 500:
                    self._inflight.append(self._outbox.popleft())
                if not self._inflight:
                    continue
                if self._outbox:
                    self._pending.set()
            try:
                conn = self._notify_conn
                if conn is None or conn.is_closed():
                    conn = self._notify_conn = await self._connect("notify")
                await conn.executemany(
                    "SELECT pg_notify($1, $2)", [(self.channel, p) for p in self._inflight]
                )
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("event bus: NOTIFY failed (%s); retrying", exc)
                if self._notify_conn is not None:
                    with suppress(Exception):
                        self._notify_conn.terminate()
                self._notify_conn = None
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.reconnect_max_s)
                continue
            backoff = _INITIAL_BACKOFF_S
            self._inflight = []
            if not self._outbox:
                self._idle.set()
