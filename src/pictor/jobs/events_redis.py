"""Job events across nodes over Redis pub/sub.

Every process publishes its events (after their transaction committed, like the
local bus) on one channel and holds ONE subscription to it, whose messages it fans
out to its own subscribers; an SSE client never costs a Redis connection.

- A published event goes to this process's subscribers at once, then to Redis by a
  sender task (one connection, pipelined, in publish order); the copy that comes
  back from Redis is recognised by its origin and not delivered twice.
- Pub/sub is best effort: a message published while a node's subscription is down
  never reaches it. The stored ``job_events`` stay the truth: after its subscription
  comes back the bus puts a :data:`RESYNC` marker in every per-job queue, and
  :func:`pictor.api.streams.follow_job` then reads what it missed from the database
  (it also fills any gap in the sequence numbers it sees).
- Connection loss: both the subscription and the sender reconnect with exponential
  backoff (up to ``reconnect_max_s``). Events waiting to be sent are kept (up to
  ``buffer``) and sent once Redis is back, late rather than never.
- A process subscribes to Redis on its first subscription (an API node's services at
  start, an SSE client...): a process where nothing subscribes (a worker) only
  publishes, and decodes no one's events.
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

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from pictor.jobs.events import Event, Subscribers, Wants, drain_and_cancel, wait_subscribed

log = logging.getLogger("pictor.events")
_INITIAL_BACKOFF_S = 0.05
_BATCH = 500
#: An event to claim, with the shared groups (and their queues) that take it.
_ToClaim = tuple[Event, list[tuple[str, list[asyncio.Queue[Event]]]]]


def encode(origin: str, event: Event) -> str:
    return json.dumps({"o": origin, "e": event.to_dict()}, separators=(",", ":"))


def decode(raw: bytes | str) -> tuple[str, Event]:
    message = json.loads(raw)
    e = message["e"]
    event = Event(
        job_id=e["job_id"],
        seq=int(e["seq"]),
        type=e["type"],
        data=e["data"],
        created_at=datetime.fromisoformat(e["created_at"]),
    )
    return str(message["o"]), event


class RedisEventBus:
    """An :class:`~pictor.jobs.events.EventBus` shared by every node through Redis."""

    #: Live delivery can miss events (see the module's text): streams check the database.
    distributed = True

    def __init__(
        self,
        url: str,
        *,
        channel: str = "pictor:events",
        reconnect_max_s: float = 5.0,
        health_check_s: float = 5.0,
        buffer: int = 10_000,
        name: str | None = None,
    ) -> None:
        self.url = url
        self.channel = channel
        self.reconnect_max_s = reconnect_max_s
        self.health_check_s = health_check_s
        #: This process's id in its messages (and its Redis connections' client name).
        self.origin = name or f"pictor-events-{os.getpid()}-{secrets.token_hex(4)}"
        #: Called for every event this process hears before any subscriber sees it
        #: (metrics): its own, and every node's once it listens (see the module's text).
        self.observers: list[Callable[[Event], None]] = []
        #: How many times the subscription was (re)established (1 once connected).
        self.connects = 0
        self._subs = Subscribers()
        #: How this process's own messages start (their copies coming back are dropped
        #: without being decoded).
        self._echo = ('{"o":' + json.dumps(self.origin) + ",").encode()
        self._outbox: deque[str] = deque(maxlen=buffer)
        self._pending = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._subscribed = asyncio.Event()
        self._inflight: list[str] = []
        self._shared: dict[str, Subscribers] = {}
        self._to_claim: asyncio.Queue[_ToClaim] = asyncio.Queue()
        #: How long a claim on an event is kept (longer than any delivery can be late).
        self.claim_ttl_s = 3600
        self._tasks: list[asyncio.Task[None]] = []
        self._listener: asyncio.Task[None] | None = None
        self._wait_s = 5.0
        self._redis: Redis | None = None

    # -- lifecycle -------------------------------------------------------------------

    def _client(self, role: str) -> Redis:
        return Redis.from_url(
            self.url,
            client_name=f"{self.origin}-{role}",
            # This bus does its own reconnecting (with backoff, and telling streams).
            retry=Retry(NoBackoff(), 0),
            health_check_interval=int(max(1, self.health_check_s)),
            socket_connect_timeout=5,
            socket_timeout=None if role == "sub" else 5,
            # RESP2: redis-py parses a pub/sub message ~20 % faster than as a RESP3 push.
            protocol=2,
        )

    async def start(self, *, wait_s: float = 5.0) -> None:
        """Start the sender, and the subscription if anything subscribed already (the
        first subscription waits up to ``wait_s`` for it; past it the bus goes on
        trying in the background)."""
        if self._tasks:
            return
        self._wait_s = wait_s
        self._redis = self._client("pub")
        self._tasks.append(asyncio.create_task(self._send(), name="pictor-events-send"))
        self._tasks.append(asyncio.create_task(self._claim(), name="pictor-events-claim"))
        if self._subs or self._shared:
            await self._listening()

    async def _listening(self) -> None:
        """Subscribe to Redis if this process does not yet; until the subscription is
        first up, every new subscriber waits for it (a bounded wait)."""
        if not self._tasks:
            return  # not started: start() subscribes
        if self._listener is None:
            self._listener = asyncio.create_task(self._listen(), name="pictor-events-listen")
            self._tasks.append(self._listener)
        if self.connects == 0:
            await wait_subscribed(self._subscribed, self._wait_s, "Redis")

    async def stop(self) -> None:
        await drain_and_cancel(self._tasks, self._idle)
        self._listener = None
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None

    # -- the EventBus protocol ------------------------------------------------------

    async def publish(self, event: Event) -> None:
        self._deliver(event)
        self._outbox.append(encode(self.origin, event))
        self._idle.clear()
        self._pending.set()

    @asynccontextmanager
    async def subscribe(
        self, job_id: str | None, *, wants: Wants | None = None
    ) -> AsyncIterator[asyncio.Queue[Event]]:
        async with self._subs.subscribe(job_id, wants) as queue:
            await self._listening()
            yield queue

    @asynccontextmanager
    async def subscribe_shared(
        self, group: str, *, wants: Wants | None = None
    ) -> AsyncIterator[asyncio.Queue[Event]]:
        """Every event of every job (that ``wants`` takes, asked on every node), each
        delivered to ONE node's subscribers of ``group`` (the first to claim it in
        Redis), for work that must be done once per event across the deployment. If
        Redis cannot be asked, the event is delivered here anyway (done twice rather
        than never)."""
        subscribers = self._shared.setdefault(group, Subscribers())
        async with subscribers.subscribe(None, wants) as queue:
            await self._listening()
            yield queue

    # -- inside ---------------------------------------------------------------------

    def _deliver(self, event: Event) -> None:
        for observe in self.observers:
            try:
                observe(event)
            except Exception:
                log.exception("an event observer failed")
        self._subs.deliver(event)
        if self._shared:
            groups = [(group, subs.taking(event)) for group, subs in self._shared.items()]
            taking = [(group, queues) for group, queues in groups if queues]
            if taking:
                self._to_claim.put_nowait((event, taking))

    async def _claim(self) -> None:
        """Claim events for the shared groups, in order, one pipeline per burst."""
        while True:
            burst = [await self._to_claim.get()]
            while not self._to_claim.empty():
                burst.append(self._to_claim.get_nowait())
            won: list[bool]
            try:
                assert self._redis is not None
                pipe = self._redis.pipeline(transaction=False)
                for event, taking in burst:
                    for group, _ in taking:
                        key = f"{self.channel}:claim:{group}:{event.job_id}:{event.seq}"
                        pipe.set(key, self.origin, nx=True, ex=self.claim_ttl_s)
                won = [bool(answer) for answer in await pipe.execute()]
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("event bus: could not claim events (%s); handling them here", exc)
                won = [True] * sum(len(taking) for _, taking in burst)
            answers = iter(won)
            for event, taking in burst:
                for _, queues in taking:
                    if next(answers):
                        for queue in queues:
                            queue.put_nowait(event)
                self._to_claim.task_done()

    async def claims_settled(self) -> None:
        """Return once every event seen so far was claimed (or lost) by this node."""
        await self._to_claim.join()

    async def _listen(self) -> None:
        backoff = _INITIAL_BACKOFF_S
        while True:
            client = self._client("sub")
            pubsub: PubSub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self.connects += 1
                if self.connects > 1:
                    log.info("event bus: subscription back after a loss")
                    self._subs.resync()
                self._subscribed.set()
                backoff = _INITIAL_BACKOFF_S
                while True:
                    message = await pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=self.health_check_s
                    )
                    if message is None or message.get("type") != "message":
                        continue
                    self._receive(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._subscribed.is_set():
                    log.warning("event bus: subscription lost (%s); reconnecting", exc)
                self._subscribed.clear()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.reconnect_max_s)
            finally:
                with suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
                with suppress(Exception):
                    await client.aclose()

    def _receive(self, raw: bytes | str) -> None:
        if (raw if isinstance(raw, bytes) else raw.encode()).startswith(self._echo):
            return  # this process's own event, delivered here when it was published
        try:
            origin, event = decode(raw)
        except (ValueError, KeyError, TypeError):
            log.warning("event bus: an unreadable message was ignored")
            return
        if origin != self.origin:
            self._deliver(event)

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
            assert self._redis is not None
            try:
                pipe = self._redis.pipeline(transaction=False)
                for raw in self._inflight:
                    pipe.publish(self.channel, raw)
                await pipe.execute()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("event bus: publishing failed (%s); retrying", exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.reconnect_max_s)
                continue
            backoff = _INITIAL_BACKOFF_S
            self._inflight = []
            if not self._outbox:
                self._idle.set()
