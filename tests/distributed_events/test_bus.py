"""The Redis bus itself: fan-out, order, and events handled once across nodes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest
from tests.distributed_events.conftest import REDIS_URL

from pictor.db.base import utcnow
from pictor.jobs.events import Event, subscribe_once
from pictor.jobs.events_redis import RedisEventBus


@pytest.fixture
async def buses() -> AsyncIterator[list[RedisEventBus]]:
    channel = f"pictor-test-events:{uuid.uuid4().hex}"
    async with AsyncExitStack() as stack:
        started = []
        for _ in range(3):
            bus = RedisEventBus(REDIS_URL, channel=channel)
            await bus.start()
            stack.push_async_callback(bus.stop)
            started.append(bus)
        yield started


async def take(queue: asyncio.Queue[Event], n: int) -> list[Event]:
    return [await queue.get() for _ in range(n)]


async def test_every_node_hears_every_event_in_publish_order_and_the_publisher_once(
    buses: list[RedisEventBus],
) -> None:
    a, b, c = buses
    async with a.subscribe(None) as on_a, b.subscribe("job_1") as on_b, c.subscribe(None) as on_c:
        for seq in range(1, 101):
            await c.publish(Event(f"job_{seq % 2}", seq, "progress", {"n": seq}, utcnow()))
        heard_a = await take(on_a, 100)
        heard_b = await take(on_b, 50)
        heard_c = await take(on_c, 100)
        # The publisher's own copy came back from Redis too, and was not delivered again.
        await c.publish(Event("job_x", 1, "succeeded", {}, utcnow()))
        assert (await on_a.get()).job_id == "job_x"
        assert (await on_c.get()).job_id == "job_x"
        assert on_c.empty()
    assert [e.seq for e in heard_a] == list(range(1, 101))
    assert [e.seq for e in heard_b] == list(range(1, 101, 2))
    assert [e.seq for e in heard_c] == list(range(1, 101))
    assert heard_a[7].data == {"n": 8} and heard_a[7].created_at == heard_c[7].created_at


async def test_a_shared_subscription_gets_each_event_on_one_node_only(
    buses: list[RedisEventBus],
) -> None:
    a, b, c = buses
    async with (
        subscribe_once(a, "webhooks") as once_a,
        subscribe_once(b, "webhooks") as once_b,
        a.subscribe(None) as all_a,
        b.subscribe(None) as all_b,
    ):
        for seq in range(1, 61):
            await c.publish(Event("job_1", seq, "progress", {}, utcnow()))
        await take(all_a, 60)
        await take(all_b, 60)
        await a.claims_settled()
        await b.claims_settled()
        got_a = [once_a.get_nowait().seq for _ in range(once_a.qsize())]
        got_b = [once_b.get_nowait().seq for _ in range(once_b.qsize())]
    assert sorted(got_a + got_b) == list(range(1, 61)), "each event handled once"
    assert got_a == sorted(got_a) and got_b == sorted(got_b), "in order on each node"
