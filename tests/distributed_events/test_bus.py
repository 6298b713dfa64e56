"""The Redis bus itself: fan-out, order, events handled once across nodes, and
subscriptions that filter what they take."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest
from redis.asyncio import Redis
from tests.distributed_events.conftest import REDIS_URL

from pictor.db.base import utcnow
from pictor.jobs.events import Event, LocalEventBus, UnflaggedJobs, subscribe_once
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


async def test_a_follower_of_flagged_jobs_gets_and_claims_nothing_of_the_others(
    buses: list[RedisEventBus],
) -> None:
    a, b, c = buses
    at = utcnow()
    events = [
        Event("job_1", 1, "queued", {"webhook": False}, at),
        Event("job_2", 1, "queued", {"webhook": True}, at),
        Event("job_1", 2, "running", {}, at),
        Event("job_3", 2, "running", {}, at),  # its queued event was never heard here
        Event("job_1", 3, "succeeded", {}, at),
        Event("job_2", 2, "succeeded", {}, at),
    ]
    async with (
        subscribe_once(a, "hooks", wants=UnflaggedJobs("webhook").wants) as once_a,
        subscribe_once(b, "hooks", wants=UnflaggedJobs("webhook").wants) as once_b,
        a.subscribe(None) as all_a,
        b.subscribe(None) as all_b,
    ):
        for event in events:
            await c.publish(event)
        await take(all_a, len(events))
        await take(all_b, len(events))
        await a.claims_settled()
        await b.claims_settled()
        got = [q.get_nowait() for q in (once_a, once_b) for _ in range(q.qsize())]
    assert sorted((e.job_id, e.seq) for e in got) == [("job_2", 1), ("job_2", 2), ("job_3", 2)]
    redis = Redis.from_url(REDIS_URL)
    try:
        claimed = await redis.keys(f"{a.channel}:claim:hooks:*")
    finally:
        await redis.aclose()
    assert sorted(key.decode().rsplit(":", 2)[1] for key in claimed) == ["job_2", "job_2", "job_3"]


async def test_a_filtered_subscription_is_asked_once_per_event_in_order() -> None:
    bus = LocalEventBus()
    asked: list[int] = []

    def wants(event: Event) -> bool:
        asked.append(event.seq)
        return event.seq % 2 == 0

    async with bus.subscribe(None, wants=wants) as evens, bus.subscribe("job_1") as every:
        for seq in range(1, 7):
            await bus.publish(Event("job_1", seq, "progress", {}, utcnow()))
        assert [evens.get_nowait().seq for _ in range(evens.qsize())] == [2, 4, 6]
        assert every.qsize() == 6
    assert asked == [1, 2, 3, 4, 5, 6]


async def test_a_process_where_nothing_subscribes_only_publishes_until_something_does() -> None:
    channel = f"pictor-test-events:{uuid.uuid4().hex}"
    quiet = RedisEventBus(REDIS_URL, channel=channel)
    other = RedisEventBus(REDIS_URL, channel=channel)
    redis = Redis.from_url(REDIS_URL)
    async with AsyncExitStack() as stack:
        for bus in (quiet, other):
            await bus.start()
            stack.push_async_callback(bus.stop)
        stack.push_async_callback(redis.aclose)
        async with other.subscribe(None) as on_other:
            await quiet.publish(Event("job_1", 1, "queued", {}, utcnow()))
            assert (await on_other.get()).job_id == "job_1"
            names = {client["name"] for client in await redis.client_list()}
            assert f"{quiet.origin}-sub" not in names and quiet.connects == 0
            async with quiet.subscribe("job_2") as on_quiet:
                assert quiet.connects == 1  # the first subscriber waited for it
                await other.publish(Event("job_2", 1, "queued", {}, utcnow()))
                assert (await on_quiet.get()).job_id == "job_2"
            names = {client["name"] for client in await redis.client_list()}
            assert f"{quiet.origin}-sub" in names
