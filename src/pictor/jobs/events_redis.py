"""Job events across nodes over Redis pub/sub (see :mod:`pictor.jobs.events_distributed`
for what every bus across nodes does: one subscription per process, a sender task,
reconnects with backoff, resync markers after a loss).

Here the sender publishes on one connection, pipelined; the subscription is a pub/sub
connection of its own. Services whose work must be done once across the deployment
subscribe to a shared group (:meth:`RedisEventBus.subscribe_shared`): each event is
claimed in Redis by one node.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager, suppress
from typing import Any, NoReturn

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from pictor.jobs.events import Event, Subscribers, Wants
from pictor.jobs.events_distributed import DistributedEventBus

log = logging.getLogger("pictor.events")
#: An event to claim, with the shared groups (and their queues) that take it.
_ToClaim = tuple[Event, list[tuple[str, list[asyncio.Queue[Event]]]]]


def decode(raw: bytes | str) -> tuple[str, Event]:
    message = json.loads(raw)
    return str(message["o"]), Event.from_dict(message["e"])


class RedisEventBus(DistributedEventBus):
    """An :class:`~pictor.jobs.events.EventBus` shared by every node through Redis."""

    transport = "Redis"
    default_channel = "pictor:events"

    def __init__(self, url: str, **options: Any) -> None:
        """``options``: those of :class:`~pictor.jobs.events_distributed.DistributedEventBus`."""
        super().__init__(url, **options)
        #: How long a claim on an event is kept (longer than any delivery can be late).
        self.claim_ttl_s = 3600
        #: :attr:`_echo` as Redis hands messages over.
        self._echo_bytes = self._echo.encode()
        self._shared: dict[str, Subscribers] = {}
        self._to_claim: asyncio.Queue[_ToClaim] = asyncio.Queue()
        self._redis: Redis | None = None

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

    def _open(self) -> dict[str, Coroutine[Any, Any, None]]:
        self._redis = self._client("pub")
        return {"claim": self._claim()}

    async def _close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None

    def _has_subscribers(self) -> bool:
        return bool(self._subs or self._shared)

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

    def _deliver(self, event: Event) -> None:
        super()._deliver(event)
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

    async def _listen_once(self) -> NoReturn:
        client = self._client("sub")
        pubsub: PubSub = client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self.channel)
            self._up()
            while True:
                message = await pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=self.health_check_s
                )
                if message is None or message.get("type") != "message":
                    continue
                self._receive(message["data"])
        finally:
            with suppress(Exception):
                await pubsub.aclose()  # type: ignore[no-untyped-call]
            with suppress(Exception):
                await client.aclose()

    def _receive(self, raw: bytes | str) -> None:
        if (raw if isinstance(raw, bytes) else raw.encode()).startswith(self._echo_bytes):
            return  # this process's own event, delivered here when it was published
        try:
            origin, event = decode(raw)
        except (ValueError, KeyError, TypeError):
            log.warning("event bus: an unreadable message was ignored")
            return
        if origin != self.origin:
            self._deliver(event)

    async def _send_batch(self, batch: list[str]) -> None:
        assert self._redis is not None
        pipe = self._redis.pipeline(transaction=False)
        for raw in batch:
            pipe.publish(self.channel, raw)
        await pipe.execute()
