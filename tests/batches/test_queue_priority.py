"""The in-process queue: interactive ids first, background work kept off reserved workers.

A recording runner stands in for the real one (no database): each id it is given is
held on an ``asyncio.Event`` until the test lets it finish, so the order in which the
queue hands ids out is observed exactly, with no timing involved.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from pictor.jobs.queue.local import LocalQueue
from pictor.jobs.runner import Runner


class HeldRunner:
    def __init__(self) -> None:
        self.started: asyncio.Queue[str] = asyncio.Queue()
        self.order: list[str] = []
        self.release: dict[str, asyncio.Event] = {}
        self.retry_once: set[str] = set()

    def gate(self, job_id: str) -> asyncio.Event:
        return self.release.setdefault(job_id, asyncio.Event())

    async def execute(self, job_id: str) -> float | None:
        self.order.append(job_id)
        await self.started.put(job_id)
        await self.gate(job_id).wait()
        if job_id in self.retry_once:
            self.retry_once.discard(job_id)
            self.release[job_id] = asyncio.Event()
            return 0.001
        return None

    async def next_started(self) -> str:
        return await asyncio.wait_for(self.started.get(), 5)


def make_queue(runner: HeldRunner, concurrency: int, background: int | None = None) -> LocalQueue:
    return LocalQueue(cast(Runner, runner), concurrency, background_workers=background)


async def stop(queue: LocalQueue, runner: HeldRunner) -> None:
    for event in runner.release.values():
        event.set()
    await queue.stop()


async def test_interactive_ids_run_before_batch_ids_queued_earlier() -> None:
    runner = HeldRunner()
    queue = make_queue(runner, concurrency=1)
    await queue.start()
    try:
        await queue.enqueue("first-batch", priority=-1)
        assert await runner.next_started() == "first-batch"
        for i in range(5):
            await queue.enqueue(f"batch-{i}", priority=-1)
        await queue.enqueue("interactive", priority=0)
        runner.gate("first-batch").set()
        assert await runner.next_started() == "interactive"
        runner.gate("interactive").set()
        # Then the batch, in the order it came.
        for i in range(5):
            assert await runner.next_started() == f"batch-{i}"
            runner.gate(f"batch-{i}").set()
    finally:
        await stop(queue, runner)


async def test_a_worker_stays_free_for_interactive_jobs_while_a_batch_waits() -> None:
    runner = HeldRunner()
    queue = make_queue(runner, concurrency=2)  # background work: 1 worker of 2
    await queue.start()
    try:
        for i in range(10):
            await queue.enqueue(f"batch-{i}", priority=-1)
        assert await runner.next_started() == "batch-0"
        await queue.enqueue("interactive", priority=0)
        # The second worker did not take batch-1: it was free for this one.
        assert await runner.next_started() == "interactive"
        assert runner.order == ["batch-0", "interactive"]
        assert queue.waiting() == 9
        runner.gate("interactive").set()
        runner.gate("batch-0").set()
        assert await runner.next_started() == "batch-1"
    finally:
        await stop(queue, runner)


async def test_with_no_reserve_batch_items_use_every_worker() -> None:
    runner = HeldRunner()
    queue = make_queue(runner, concurrency=2, background=2)
    await queue.start()
    try:
        for i in range(3):
            await queue.enqueue(f"batch-{i}", priority=-1)
        assert {await runner.next_started(), await runner.next_started()} == {
            "batch-0",
            "batch-1",
        }
    finally:
        await stop(queue, runner)


async def test_a_retried_id_keeps_its_priority_and_duplicates_are_ignored() -> None:
    runner = HeldRunner()
    queue = make_queue(runner, concurrency=1)
    await queue.start()
    try:
        runner.retry_once.add("b")
        await queue.enqueue("b", priority=-1)
        await queue.enqueue("b", priority=-1)
        assert await runner.next_started() == "b"
        runner.gate("b").set()  # asks to run again after 1 ms, still as a batch item
        assert await runner.next_started() == "b"
        await queue.enqueue("x", priority=-1)
        await queue.enqueue("i", priority=0)
        runner.gate("b").set()
        assert await runner.next_started() == "i"
        runner.gate("i").set()
        assert await runner.next_started() == "x"
        assert runner.order == ["b", "b", "i", "x"]
    finally:
        await stop(queue, runner)


async def test_discarded_ids_never_reach_the_runner() -> None:
    runner = HeldRunner()
    queue = make_queue(runner, concurrency=1)
    await queue.start()
    try:
        await queue.enqueue("hold", priority=0)
        assert await runner.next_started() == "hold"
        for name in ("a", "b", "c"):
            await queue.enqueue(name, priority=-1)
        await queue.discard(["a", "c", "unknown"])
        assert queue.waiting() == 1
        runner.gate("hold").set()
        assert await runner.next_started() == "b"
        # A discarded id may be enqueued again later (its row is the truth).
        await queue.enqueue("a", priority=-1)
        runner.gate("b").set()
        assert await runner.next_started() == "a"
    finally:
        await stop(queue, runner)


async def test_many_ids_all_run_once(monkeypatch: Any = None) -> None:
    runner = HeldRunner()
    queue = make_queue(runner, concurrency=3)
    ids = [f"j{i}" for i in range(200)]
    for job_id in ids:
        runner.gate(job_id).set()
    await queue.start()
    try:
        for i, job_id in enumerate(ids):
            await queue.enqueue(job_id, priority=-(i % 3))
        seen = [await runner.next_started() for _ in ids]
        assert sorted(seen) == sorted(ids)
    finally:
        await stop(queue, runner)
