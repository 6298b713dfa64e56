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
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from datetime import datetime

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from pictor.db.base import utcnow
from pictor.jobs.events import RESYNC, Event, drain_and_cancel, wait_subscribed

log = logging.getLogger("pictor.events")
_INITIAL_BACKOFF_S = 0.05
_BATCH = 500


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
        #: Called for every event of every node before any subscriber sees it (metrics).
        self.observers: list[Callable[[Event], None]] = []
        #: How many times the subscription was (re)established (1 once connected).
        self.connects = 0
        self._subs: dict[str | None, set[asyncio.Queue[Event]]] = defaultdict(set)
        self._outbox: deque[str] = deque(maxlen=buffer)
        self._pending = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._subscribed = asyncio.Event()
        self._inflight: list[str] = []
        self._shared: dict[str, set[asyncio.Queue[Event]]] = defaultdict(set)
        self._to_claim: asyncio.Queue[Event] = asyncio.Queue()
        #: How long a claim on an event is kept (longer than any delivery can be late).
        self.claim_ttl_s = 3600
        self._tasks: list[asyncio.Task[None]] = []
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
        )

    async def start(self, *, wait_s: float = 5.0) -> None:
        """Connect (waiting up to ``wait_s`` for the first subscription; past it the
        bus goes on trying in the background) and start the sender."""
        if self._tasks:
            return
        self._redis = self._client("pub")
        self._tasks.append(asyncio.create_task(self._listen(), name="pictor-events-listen"))
        self._tasks.append(asyncio.create_task(self._send(), name="pictor-events-send"))
        self._tasks.append(asyncio.create_task(self._claim(), name="pictor-events-claim"))
        await wait_subscribed(self._subscribed, wait_s, "Redis")

    async def stop(self) -> None:
        await drain_and_cancel(self._tasks, self._idle)
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
    async def subscribe(self, job_id: str | None) -> AsyncIterator[asyncio.Queue[Event]]:
        queue: asyncio.Queue[Event] = asyncio.Queue()
        self._subs[job_id].add(queue)
        try:
            yield queue
        finally:
            self._subs[job_id].discard(queue)
            if not self._subs[job_id]:
                del self._subs[job_id]

    @asynccontextmanager
    async def subscribe_shared(self, group: str) -> AsyncIterator[asyncio.Queue[Event]]:
        """Every event of every job, each delivered to ONE node's subscribers of
        ``group`` (the first to claim it in Redis), for work that must be done once per
        event across the deployment. If Redis cannot be asked, the event is delivered
        here anyway (done twice rather than never)."""
        queue: asyncio.Queue[Event] = asyncio.Queue()
        self._shared[group].add(queue)
        try:
            yield queue
        finally:
            self._shared[group].discard(queue)
            if not self._shared[group]:
                del self._shared[group]

    # -- inside ---------------------------------------------------------------------

    def _deliver(self, event: Event) -> None:
        for observe in self.observers:
            try:
                observe(event)
            except Exception:
                log.exception("an event observer failed")
        for key in (event.job_id, None):
            for queue in list(self._subs.get(key, ())):
                queue.put_nowait(event)
        if self._shared:
            self._to_claim.put_nowait(event)

    async def _claim(self) -> None:
        """Claim events for the shared groups, in order, one pipeline per burst."""
        while True:
            events = [await self._to_claim.get()]
            while not self._to_claim.empty():
                events.append(self._to_claim.get_nowait())
            groups = sorted(self._shared)
            won: list[bool]
            try:
                assert self._redis is not None
                pipe = self._redis.pipeline(transaction=False)
                for event in events:
                    for group in groups:
                        key = f"{self.channel}:claim:{group}:{event.job_id}:{event.seq}"
                        pipe.set(key, self.origin, nx=True, ex=self.claim_ttl_s)
                won = [bool(answer) for answer in await pipe.execute()]
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("event bus: could not claim events (%s); handling them here", exc)
                won = [True] * (len(events) * len(groups))
            answers = iter(won)
            for event in events:
                for group in groups:
                    if next(answers):
                        for queue in list(self._shared.get(group, ())):
                            queue.put_nowait(event)
                self._to_claim.task_done()

    async def claims_settled(self) -> None:
        """Return once every event seen so far was claimed (or lost) by this node."""
        await self._to_claim.join()

    def _resync(self) -> None:
        """Tell every per-job follower that live delivery had a hole."""
        now = utcnow()
        for job_id, queues in list(self._subs.items()):
            if job_id is None:
                continue
            marker = Event(job_id, 0, RESYNC, {}, now)
            for queue in list(queues):
                queue.put_nowait(marker)

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
                    self._resync()
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
