"""An SSE client of an API node follows a job that a ``pictor worker`` process runs:
the worker's events reach the API node over Redis (by default the broker's Redis)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from tests.conftest import (
    POSTGRES_SERVER,
    create_postgres_database,
    drop_postgres_database,
    new_user,
)
from tests.distributed.conftest import WorkerProcess, cluster_env, settings_from_env
from tests.distributed_events.conftest import seqs
from tests.support.gates import Gate
from tests.support.server import live_server
from tests.support.sse import read_until, sse_events

from pictor.api.app import create_app
from pictor.jobs.events_redis import RedisEventBus
from pictor.runtime import Runtime, build_runtime


@pytest.fixture
async def api_node(tmp_path: Path) -> AsyncIterator[tuple[Runtime, str, dict[str, str]]]:
    db_name = await create_postgres_database()
    env = cluster_env("redis", f"{POSTGRES_SERVER}/{db_name}", tmp_path, secrets.token_urlsafe(24))
    # No PICTOR_EVENTS_URL: the bus uses the broker's Redis, on a channel of this test.
    env["PICTOR_EVENTS_CHANNEL"] = f"pictor-test-events:{uuid.uuid4().hex}"
    runtime = build_runtime(settings_from_env(env))
    await runtime.start()
    worker: WorkerProcess | None = None
    try:
        async with live_server(create_app(runtime=runtime)) as url:
            worker = WorkerProcess(env, ["--concurrency=1"], f"events-{uuid.uuid4().hex[:6]}")
            await worker.wait_ready()
            yield runtime, url, env
    finally:
        if worker is not None:
            worker.stop()
        await runtime.stop()
        await drop_postgres_database(db_name)


async def test_an_sse_client_of_the_api_node_sees_a_celery_workers_progress_live(
    api_node: tuple[Runtime, str, dict[str, str]],
) -> None:
    runtime, url, _ = api_node
    assert isinstance(runtime.bus, RedisEventBus)
    user = await new_user(runtime)
    async with (
        Gate() as gate,
        runtime.bus.subscribe(None) as heard,
        httpx.AsyncClient(base_url=url, headers=user.headers, timeout=60) as client,
    ):
        body = {"kind": "test_steps", "input": [], "params": {"port": gate.port, "steps": 2}}
        response = await client.post("/v1/jobs", json=body)
        assert response.status_code == 201, response.text
        job_id = response.json()["id"]
        async with client.stream("GET", f"/v1/jobs/{job_id}/events") as stream_response:
            stream = sse_events(stream_response)
            seen = await read_until(stream, "step 0")
            await (await gate.arrival()).release()
            seen += await read_until(stream, "step 1")
            await (await gate.arrival()).release()
            seen += [event async for event in stream]
        live = []
        while not live or not live[-1].is_final:
            event = await heard.get()
            if event.job_id == job_id:
                live.append(event)

    assert seqs(seen) == list(range(1, len(seen) + 1))
    assert [e["event"] for e in seen] == ["queued", "running", "progress", "progress", "succeeded"]
    # The API node ran nothing: all but its own "queued" came from the worker via Redis.
    assert [e.seq for e in live] == seqs(seen)
