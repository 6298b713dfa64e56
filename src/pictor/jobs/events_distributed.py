"""What the job-event buses across nodes share: Redis pub/sub
(:mod:`pictor.jobs.events_redis`) and PostgreSQL ``LISTEN/NOTIFY``
(:mod:`pictor.jobs.events_postgres`).

Every process publishes its events (after their transaction committed, like the local
bus) on one channel and holds at most ONE subscription to it, whose messages it fans out
to its own subscribers; an SSE client never costs a connection.

- A published event goes to this process's subscribers at once, then to the channel by
  a sender task (one connection, batched, in publish order); the copy that comes back
  is recognised by its origin and not delivered twice.
- Delivery across nodes is best effort: a message published while a node's
  subscription is down never reaches it. The stored ``job_events`` stay the truth: after
  its subscription comes back the bus puts a :data:`~pictor.jobs.events.RESYNC` marker
  in every per-job queue, and :func:`pictor.api.streams.follow_job` then reads what it
  missed from the database (it also fills any gap in the sequence numbers it sees).
- Connection loss: both the subscription and the sender reconnect with exponential
  backoff (up to ``reconnect_max_s``). Events waiting to be sent are kept (up to
  ``buffer``) and sent once the transport is back, late rather than never.
- A process subscribes on its first subscription (an API node's services at start, an
  SSE client...): a process where nothing subscribes (a worker) only publishes, and
  decodes no one's events.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager, suppress
from typing import Any, NoReturn

from pictor.jobs.events import Event, Subscribers, Wants

log = logging.getLogger("pictor.events")
_INITIAL_BACKOFF_S = 0.05
#: Messages sent at most in one go by the sender.
_BATCH = 500


def encode(origin: str, event: Event) -> str:
    """An event as a bus sends it, with the process that published it."""
    return json.dumps({"o": origin, "e": event.to_dict()}, separators=(",", ":"))


class DistributedEventBus:
    """An :class:`~pictor.jobs.events.EventBus` shared by every node through a channel
    (see the module's text). A transport says how a batch of messages is sent
    (:meth:`_send_batch`) and how the channel is listened to (:meth:`_listen_once`),
    and what it opens besides and closes at the end (:meth:`_open`, :meth:`_close`)."""

    #: Live delivery can miss events (see the module's text): streams check the database.
    distributed = True
    #: The transport's name, in log lines.
    transport = ""
    default_channel = ""

    def __init__(
        self,
        url: str,
        *,
        channel: str | None = None,
        reconnect_max_s: float = 5.0,
        health_check_s: float = 5.0,
        buffer: int = 10_000,
        name: str | None = None,
    ) -> None:
        self.url = url
        self.channel = self.default_channel if channel is None else channel
        self.reconnect_max_s = reconnect_max_s
        self.health_check_s = health_check_s
        #: This process's id in its messages (and its connections' client names).
        self.origin = name or f"pictor-events-{os.getpid()}-{secrets.token_hex(4)}"
        #: Called for every event this process hears before any subscriber sees it
        #: (metrics): its own, and every node's once it listens (see the module's text).
        self.observers: list[Callable[[Event], None]] = []
        #: How many times the subscription was (re)established (1 once connected).
        self.connects = 0
        self._subs = Subscribers()
        #: How this process's own messages start (their copies coming back are dropped
        #: without being decoded).
        self._echo = '{"o":' + json.dumps(self.origin) + ","
        self._outbox: deque[str] = deque(maxlen=buffer)
        self._inflight: list[str] = []
        self._pending = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._subscribed = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._listener: asyncio.Task[None] | None = None
        self._wait_s = 5.0

    # -- what a transport says --------------------------------------------------------

    def _open(self) -> dict[str, Coroutine[Any, Any, None]]:
        """Called by :meth:`start`: open what sending needs; the tasks to run beside the
        sender, by name."""
        return {}

    async def _close(self) -> None:
        """Called by :meth:`stop` once every task is canceled: close what they left."""

    def _encode(self, event: Event) -> str:
        return encode(self.origin, event)

    async def _send_batch(self, batch: list[str]) -> None:
        """Send these messages, in order (raise if they could not all be sent: the
        sender waits, then sends the batch again)."""
        raise NotImplementedError

    async def _listen_once(self) -> NoReturn:
        """Subscribe to the channel, call :meth:`_up`, then hand every message on until
        the subscription fails (raise: the listener reconnects with backoff)."""
        raise NotImplementedError

    def _has_subscribers(self) -> bool:
        return bool(self._subs)

    # -- lifecycle --------------------------------------------------------------------

    async def start(self, *, wait_s: float = 5.0) -> None:
        """Start the sender, and the subscription if anything subscribed already (the
        first subscription waits up to ``wait_s`` for it; past it the bus goes on
        trying in the background)."""
        if self._tasks:
            return
        self._wait_s = wait_s
        for name, work in {"send": self._send(), **self._open()}.items():
            self._tasks.append(asyncio.create_task(work, name=f"pictor-events-{name}"))
        if self._has_subscribers():
            await self._listening()

    async def _listening(self) -> None:
        """Subscribe if this process does not yet; until the subscription is first up,
        every new subscriber waits for it (a bounded wait)."""
        if not self._tasks:
            return  # not started: start() subscribes
        if self._listener is None:
            self._listener = asyncio.create_task(self._listen(), name="pictor-events-listen")
            self._tasks.append(self._listener)
        if self.connects == 0:
            try:
                await asyncio.wait_for(self._subscribed.wait(), self._wait_s)
            except TimeoutError:
                log.warning(
                    "event bus: %s not reachable yet; retrying in the background", self.transport
                )

    async def stop(self) -> None:
        """Give the sender 2 s to send what is left, then cancel the tasks and close."""
        if not self._tasks:
            return
        with suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), 2.0)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        self._listener = None
        await self._close()

    # -- the EventBus protocol --------------------------------------------------------

    async def publish(self, event: Event) -> None:
        self._deliver(event)
        self._outbox.append(self._encode(event))
        self._idle.clear()
        self._pending.set()

    @asynccontextmanager
    async def subscribe(
        self, job_id: str | None, *, wants: Wants | None = None
    ) -> AsyncIterator[asyncio.Queue[Event]]:
        async with self._subs.subscribe(job_id, wants) as queue:
            await self._listening()
            yield queue

    # -- inside -----------------------------------------------------------------------

    def _deliver(self, event: Event) -> None:
        for observe in self.observers:
            try:
                observe(event)
            except Exception:
                log.exception("an event observer failed")
        self._subs.deliver(event)

    def _up(self) -> None:
        """The subscription is up: after a loss, per-job followers are told of the hole."""
        self.connects += 1
        if self.connects > 1:
            log.info("event bus: subscription to %s back after a loss", self.transport)
            self._subs.resync()
        self._subscribed.set()

    async def _listen(self) -> None:
        backoff = _INITIAL_BACKOFF_S
        while True:
            try:
                await self._listen_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._subscribed.is_set():
                    log.warning(
                        "event bus: subscription to %s lost (%s); reconnecting", self.transport, exc
                    )
                    backoff = _INITIAL_BACKOFF_S  # it was up: the backoff starts over
                self._subscribed.clear()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.reconnect_max_s)

    async def _send(self) -> None:
        backoff = _INITIAL_BACKOFF_S
        while True:
            if not self._inflight:
                await self._pending.wait()
                self._pending.clear()
                while self._outbox and len(self._inflight) < _BATCH:
                    self._inflight.append(self._outbox.popleft())
                if not self._inflight:
                    continue
                if self._outbox:
                    self._pending.set()
            try:
                await self._send_batch(self._inflight)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning(
                    "event bus: publishing on %s failed (%s); retrying", self.transport, exc
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.reconnect_max_s)
                continue
            backoff = _INITIAL_BACKOFF_S
            self._inflight = []
            if not self._outbox:
                self._idle.set()
