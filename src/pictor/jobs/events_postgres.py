"""Job events across nodes over PostgreSQL ``LISTEN/NOTIFY`` (deployments without Redis).

What every bus across nodes does is in :mod:`pictor.jobs.events_distributed`: here the
sender notifies (``pg_notify``) on one connection, and the subscription is a connection
that LISTENs (a process where nothing subscribes, a worker, holds none).

A notification's payload is limited to 8,000 bytes: an event whose JSON fits is sent
whole; a bigger one is sent as its job id and ``seq`` only, and listeners read the row
from ``job_events`` (it is committed before it is published).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Coroutine
from contextlib import suppress
from typing import Any, NoReturn

import asyncpg  # type: ignore[import-untyped]

from pictor.jobs.events import Event
from pictor.jobs.events_distributed import DistributedEventBus, encode

log = logging.getLogger("pictor.events")
_MAX_PAYLOAD = 7900
_READ_EVENT = "SELECT type, data::text, created_at FROM job_events WHERE job_id = $1 AND seq = $2"


def payload(origin: str, event: Event) -> str:
    whole = encode(origin, event)
    if len(whole.encode()) <= _MAX_PAYLOAD:
        return whole
    return json.dumps({"o": origin, "j": event.job_id, "s": event.seq}, separators=(",", ":"))


def plain_dsn(url: str) -> str:
    """``postgresql+asyncpg://…`` (SQLAlchemy) → ``postgresql://…`` (asyncpg)."""
    scheme, sep, rest = url.partition("://")
    return f"{scheme.split('+')[0]}{sep}{rest}"


class PostgresEventBus(DistributedEventBus):
    """An :class:`~pictor.jobs.events.EventBus` shared by every node through PostgreSQL."""

    transport = "PostgreSQL"
    default_channel = "pictor_events"
    _notify_conn: Any = None
    _reader: Any = None

    @property
    def dsn(self) -> str:
        """The URL as asyncpg takes it."""
        return plain_dsn(self.url)

    async def _connect(self, role: str) -> Any:
        return await asyncpg.connect(
            self.dsn, server_settings={"application_name": f"{self.origin}-{role}"[:63]}
        )

    def _open(self) -> dict[str, Coroutine[Any, Any, None]]:
        self._received: asyncio.Queue[str] = asyncio.Queue()
        return {"handle": self._handle()}

    async def _close(self) -> None:
        for conn in (self._notify_conn, self._reader):
            if conn is not None:
                conn.terminate()
        self._notify_conn = self._reader = None

    def _encode(self, event: Event) -> str:
        return payload(self.origin, event)

    async def _listen_once(self) -> NoReturn:
        conn = await self._connect("listen")
        try:
            lost = asyncio.Event()
            conn.add_termination_listener(lambda _conn: lost.set())
            await conn.add_listener(
                self.channel, lambda _c, _pid, _ch, raw: self._received.put_nowait(raw)
            )
            self._up()
            while not lost.is_set():
                with suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), self.health_check_s)
                if not lost.is_set():
                    await asyncio.wait_for(conn.fetchval("SELECT 1"), self.health_check_s)
            raise ConnectionError("the LISTEN connection was closed")
        finally:
            with suppress(Exception):
                await conn.close(timeout=1)

    async def _handle(self) -> None:
        """Turn notifications into events, in order (reading the row of a big one)."""
        while True:
            raw = await self._received.get()
            if raw.startswith(self._echo):
                continue
            try:
                message = json.loads(raw)
                if message["o"] == self.origin:
                    continue
                if "e" in message:
                    event = Event.from_dict(message["e"])
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

    async def _send_batch(self, batch: list[str]) -> None:
        try:
            conn = self._notify_conn
            if conn is None or conn.is_closed():
                conn = self._notify_conn = await self._connect("notify")
            await conn.executemany("SELECT pg_notify($1, $2)", [(self.channel, p) for p in batch])
        except Exception:
            # The retry opens a new connection.
            if self._notify_conn is not None:
                with suppress(Exception):
                    self._notify_conn.terminate()
                self._notify_conn = None
            raise
