"""Two API nodes running the reconciler at once on one PostgreSQL database: one pass at
a time, and a job whose worker died is requeued once and runs once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Connection, func, select
from tests.conftest import (
    POSTGRES_SERVER,
    create_postgres_database,
    drop_postgres_database,
    make_settings,
    new_user,
)
from tests.distributed.conftest import lose_its_worker

from pictor.api.app import create_app
from pictor.credits.audit import check
from pictor.db.engine import Database
from pictor.jobs.events import LocalEventBus
from pictor.jobs.models import Job, JobEvent
from pictor.jobs.reconciler import Reconciler
from pictor.runtime import Runtime, build_runtime


class SentIds:
    """A queue that records what a node sends; ``hold`` keeps the sender inside its
    pass (so inside the leader lock) until the test lets it go."""

    def __init__(self, hold: asyncio.Event | None = None) -> None:
        self.sent: list[str] = []
        self.hold = hold
        self.sending = asyncio.Event()

    async def enqueue(
        self,
        job_id: str,
        *,
        delay_s: float = 0.0,
        priority: int = 0,
        kind: str | None = None,
        attempts: int | None = None,
    ) -> None:
        self.sent.append(job_id)
        self.sending.set()
        if self.hold is not None:
            await self.hold.wait()

    async def discard(self, job_ids: Collection[str]) -> None:
        return None

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Runtime]:
    """A PostgreSQL database and a runtime that runs nothing by itself."""
    name = await create_postgres_database()
    settings = make_settings(tmp_path, f"{POSTGRES_SERVER}/{name}")
    runtime = build_runtime(settings, run_workers=False, reconcile=False, run_services=False)
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()
        await drop_postgres_database(name)


async def _job_whose_worker_died(runtime: Runtime) -> str:
    user = await new_user(runtime)
    transport = httpx.ASGITransport(app=create_app(runtime=runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://pictor.test") as client:
        body = {"kind": "test_flaky", "input": [], "params": {"fail_times": 0}}
        response = await client.post("/v1/jobs", json=body, headers=user.headers)
    job_id = str(response.json()["id"])
    await lose_its_worker(runtime, job_id)
    return job_id


def _requeued_count(job_id: str) -> object:
    def read(conn: Connection) -> int:
        return int(
            conn.execute(
                select(func.count())
                .select_from(JobEvent)
                .where(JobEvent.job_id == job_id, JobEvent.type == "requeued")
            ).scalar_one()
        )

    return read


def _reconciler(
    runtime: Runtime, queue: SentIds, requeue_after_s: float = 3600
) -> tuple[Reconciler, Database]:
    db = Database(runtime.settings.database_url)  # a node of its own: own connections
    reconciler = Reconciler(
        db, LocalEventBus(), queue, distributed=True, requeue_after_s=requeue_after_s
    )
    return reconciler, db


async def test_a_second_node_skips_its_pass_while_the_first_holds_it(node: Runtime) -> None:
    job_id = await _job_whose_worker_died(node)
    hold = asyncio.Event()
    first_queue, second_queue = SentIds(hold), SentIds()
    # Every queued job counts as stale: only the lock keeps the second node from
    # sending the job the first one is sending.
    first, first_db = _reconciler(node, first_queue, requeue_after_s=0.001)
    second, second_db = _reconciler(node, second_queue, requeue_after_s=0.001)
    try:
        first_pass = asyncio.create_task(first.run_once())
        await first_queue.sending.wait()  # inside its pass, sending the requeued job
        assert await second.run_once() == 0
        hold.set()
        assert await first_pass == 1
        assert first_queue.sent == [job_id] and second_queue.sent == []
    finally:
        await first_db.dispose()
        await second_db.dispose()
    assert await node.db.read(_requeued_count(job_id)) == 1  # type: ignore[arg-type]


async def test_two_nodes_reconciling_at_once_run_a_lost_job_once(node: Runtime) -> None:
    job_ids = [await _job_whose_worker_died(node) for _ in range(5)]
    queues = [SentIds(), SentIds()]
    nodes = [_reconciler(node, queue) for queue in queues]
    try:
        for _ in range(5):
            await asyncio.gather(*(reconciler.run_once() for reconciler, _ in nodes))
    finally:
        for _, db in nodes:
            await db.dispose()
    deliveries = queues[0].sent + queues[1].sent
    assert sorted(set(deliveries)) == sorted(job_ids)
    # Every delivery (duplicates included) is handed to a worker: one claim each job.
    assert node.runner is not None
    await asyncio.gather(*(node.runner.execute(job_id) for job_id in deliveries * 2))
    for job_id in job_ids:
        assert await node.db.read(_requeued_count(job_id)) == 1  # type: ignore[arg-type]
        job = await node.db.read(
            lambda conn, job_id=job_id: conn.execute(
                select(Job.status, Job.attempts).where(Job.id == job_id)
            ).one()
        )
        assert tuple(job) == ("succeeded", 2)
    assert await node.db.read(check) == []
