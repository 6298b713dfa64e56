"""The reconciler's re-sends in distributed mode, on a real Redis broker, on SQLite and
PostgreSQL: a backlog that outlives several requeue periods gets at most one more
message per job per period, whichever API node runs the pass (two run at once here),
and every job still runs once.

The messages are counted in the broker: the length of the run's Celery queue list on
Redis (its own key prefix and queue names). The nodes' clock is the test's, moved on
by a fraction of a period between passes, so no test waits for time to pass.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from sqlalchemy import Connection, func, select
from tests.conftest import (
    POSTGRES_SERVER,
    User,
    create_postgres_database,
    drop_postgres_database,
    new_user,
)
from tests.distributed.conftest import (
    BROKERS,
    WorkerProcess,
    cluster_env,
    lose_its_worker,
    settings_from_env,
)

from pictor.api.app import create_app
from pictor.credits.audit import check
from pictor.db.base import utcnow
from pictor.db.engine import Database
from pictor.jobs.events import LocalEventBus
from pictor.jobs.models import Job, JobEvent
from pictor.jobs.reconciler import Reconciler
from pictor.runtime import Runtime, build_runtime

PERIOD_S = 60.0
JOBS = 12
PERIODS = 4
PASSES_PER_PERIOD = 4


@dataclass
class ApiNode:
    runtime: Runtime
    env: dict[str, str]
    client: httpx.AsyncClient
    broker: aioredis.Redis

    @property
    def key_prefix(self) -> str:
        return str(json.loads(self.env["PICTOR_BROKER_TRANSPORT_OPTIONS"])["global_keyprefix"])

    async def waiting_messages(self) -> int:
        """Messages in the run's interactive queue (the list kombu pushes to)."""
        key = self.key_prefix + self.env["PICTOR_BROKER_INTERACTIVE_QUEUE"]
        return int(await self.broker.llen(key))

    async def submit(self, user: User) -> str:
        body = {"kind": "test_flaky", "input": [], "params": {"fail_times": 0}}
        response = await self.client.post("/v1/jobs", json=body, headers=user.headers)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])


@pytest.fixture(params=["sqlite", "postgresql"])
async def node(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ApiNode]:
    """An API node (no reconciler loop of its own) with a Celery queue on Redis."""
    db_name = None
    if request.param == "postgresql":
        db_name = await create_postgres_database()
        url = f"{POSTGRES_SERVER}/{db_name}"
    else:
        url = f"sqlite:///{tmp_path / 'pictor.db'}"
    env = cluster_env("redis", url, tmp_path / "data", secrets.token_urlsafe(24))
    runtime = build_runtime(settings_from_env(env), reconcile=False, run_services=False)
    await runtime.start()
    transport = httpx.ASGITransport(app=create_app(runtime=runtime))
    client = httpx.AsyncClient(transport=transport, base_url="http://pictor.test")
    broker = aioredis.Redis.from_url(BROKERS["redis"])
    api = ApiNode(runtime, env, client, broker)
    try:
        yield api
    finally:
        keys = [key async for key in broker.scan_iter(api.key_prefix + "*")]
        if keys:
            await broker.delete(*keys)
        await broker.aclose()
        await client.aclose()
        await runtime.stop()
        if db_name is not None:
            await drop_postgres_database(db_name)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _runs(job_ids: list[str]) -> Any:
    def read(conn: Connection) -> dict[str, tuple[str, int, dict[str, int]]]:
        jobs = conn.execute(
            select(Job.id, Job.status, Job.attempts).where(Job.id.in_(job_ids))
        ).all()
        counts = conn.execute(
            select(JobEvent.job_id, JobEvent.type, func.count())
            .where(JobEvent.job_id.in_(job_ids))
            .group_by(JobEvent.job_id, JobEvent.type)
        ).all()
        events: dict[str, dict[str, int]] = {job_id: {} for job_id in job_ids}
        for job_id, type_, count in counts:
            events[job_id][type_] = int(count)
        return {job_id: (status, attempts, events[job_id]) for job_id, status, attempts in jobs}

    return read


async def _wait_for(what: str, ready: Any, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while not await ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what} after {timeout_s} s")
        await asyncio.sleep(0.1)


async def test_a_long_backlog_gets_one_message_per_job_per_period_and_runs_once(
    node: ApiNode,
) -> None:
    user = await new_user(node.runtime)
    ids = [await node.submit(user) for _ in range(JOBS)]
    lost = ids[-1]
    await lose_its_worker(node.runtime, lost)
    assert await node.waiting_messages() == JOBS  # the submits' own sends

    clock = Clock(utcnow())
    start = clock.now
    url = node.runtime.settings.database_url
    databases = [Database(url), Database(url)]  # two API nodes, connections of their own
    assert node.runtime.queue is not None  # the API node's Celery queue
    nodes = [
        Reconciler(
            db,
            LocalEventBus(),
            node.runtime.queue,
            distributed=True,
            requeue_after_s=PERIOD_S,
            clock=clock,
        )
        for db in databases
    ]
    try:
        for period in range(PERIODS):
            for step in range(PASSES_PER_PERIOD):
                # First passes of periods 1.05 periods apart: never on a boundary.
                offset = period + 0.05 * (period + 1) + 0.2 * step
                clock.now = start + timedelta(seconds=PERIOD_S * offset)
                sent = await asyncio.gather(*(reconciler.run_once() for reconciler in nodes))
                # The first pass requeues the lost job and sends it; from the second
                # period on, the first pass of each period sends every job once more.
                expected = 0 if step else (JOBS if period else 1)
                assert sum(sent) == expected, (period, step, sent)
                assert await node.waiting_messages() == JOBS + 1 + JOBS * period
    finally:
        for db in databases:
            await db.dispose()

    worker = WorkerProcess(node.env, ["--concurrency=2"], "resend")
    try:
        await worker.wait_ready()
        runs = _runs(ids)

        async def all_succeeded() -> bool:
            found = await node.runtime.db.read(runs)
            return all(status == "succeeded" for status, _, _ in found.values())

        async def broker_drained() -> bool:
            return await node.waiting_messages() == 0

        await _wait_for("every job to succeed", all_succeeded)
        await _wait_for("the duplicates to be consumed", broker_drained)
    finally:
        worker.stop()  # a warm shutdown: deliveries in hand end first
    found = await node.runtime.db.read(runs)
    for job_id in ids:
        status, attempts, events = found[job_id]
        first_run = 2 if job_id == lost else 1
        assert (status, attempts) == ("succeeded", first_run), (job_id, found[job_id])
        assert events["succeeded"] == 1 and events["running"] == 1, (job_id, events)
    assert found[lost][2].get("requeued") == 1
    assert await node.runtime.db.read(check) == []
