"""Retries of transient failures, cancellation, and a worker process dying mid-job."""

from __future__ import annotations

import os
import signal
from typing import Any

import httpx
from tests.conftest import User
from tests.support.gates import Gate

from pictor.jobs.events import stored_events
from pictor.runtime import Runtime


async def create(client: httpx.AsyncClient, user: User, body: dict[str, Any], wait: int = 0) -> Any:
    headers = {**user.headers, **({"Prefer": f"wait={wait}"} if wait else {})}
    response = await client.post("/v1/jobs", json={"input": [], **body}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def event_types(runtime: Runtime, job_id: str) -> list[str]:
    async with runtime.db.read_session() as session:
        return [e.type for e in await stored_events(session, job_id)]


async def statuses(runtime: Runtime, job_id: str) -> set[str]:
    async with runtime.db.read_session() as session:
        return {str(e.data.get("status")) for e in await stored_events(session, job_id)}


async def wait_for_final(client: httpx.AsyncClient, user: User, job_id: str) -> Any:
    """Follow the job's SSE stream to its end, then read the job."""
    async with client.stream("GET", f"/v1/jobs/{job_id}/events", headers=user.headers) as resp:
        async for _ in resp.aiter_lines():
            pass
    return (await client.get(f"/v1/jobs/{job_id}", headers=user.headers)).json()


async def test_a_transient_failure_is_retried_and_the_job_never_shows_failed(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    job = await create(client, user, {"kind": "test_flaky", "params": {"fail_times": 1}}, wait=30)
    assert job["status"] == "succeeded"
    assert job["attempts"] == 2 and job["result"] == {"attempt": 2}
    types = await event_types(runtime, job["id"])
    assert types.count("running") == 2 and "retrying" in types
    assert "failed" not in await statuses(runtime, job["id"])


async def test_a_job_that_keeps_failing_transiently_fails_after_max_attempts(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    job = await create(client, user, {"kind": "test_flaky", "params": {"fail_times": 99}}, wait=30)
    assert job["status"] == "failed"
    assert job["attempts"] == job["max_attempts"] == runtime.settings.worker.max_attempts
    assert job["error"]["code"] == "transient_error"


async def test_a_bad_input_is_never_retried(client: httpx.AsyncClient, user: User) -> None:
    job = await create(client, user, {"kind": "test_flaky", "params": {"permanent": True}}, wait=30)
    assert job["status"] == "failed"
    assert job["attempts"] == 1
    assert job["error"] == {"code": "bad_test_input", "message": "this input can never work"}


async def test_a_running_job_stops_at_its_next_progress_point_when_canceled(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    async with Gate() as gate:
        job = await create(client, user, {"kind": "test_steps", "params": {"port": gate.port}})
        step0 = await gate.arrival()
        assert step0.tag == "step-0"
        canceled = await client.post(f"/v1/jobs/{job['id']}/cancel", headers=user.headers)
        assert canceled.status_code == 200
        assert canceled.json()["status"] == "running"
        assert canceled.json()["cancel_requested"] is True
        await step0.release()
        final = await wait_for_final(client, user, job["id"])
    assert final["status"] == "canceled"
    assert final["outputs"] == [] and final["error"]["code"] == "job_canceled"
    async with runtime.db.read_session() as session:
        stages = [e.data.get("stage") for e in await stored_events(session, job["id"])]
    assert "step 0" in stages and "step 1" not in stages, "step 1 must never start"
    again = await client.post(f"/v1/jobs/{job['id']}/cancel", headers=user.headers)
    assert again.status_code == 409 and again.json()["error"]["code"] == "job_finished"


async def test_a_queued_job_is_canceled_at_once_and_never_runs(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    workers = runtime.settings.worker.concurrency
    async with Gate() as gate:
        blockers = [
            await create(client, user, {"kind": "test_block", "params": {"port": gate.port}})
            for _ in range(workers)
        ]
        held = [await gate.arrival() for _ in blockers]
        queued = await create(client, user, {"kind": "test_flaky", "params": {"fail_times": 0}})
        response = await client.post(f"/v1/jobs/{queued['id']}/cancel", headers=user.headers)
        assert response.json()["status"] == "canceled"
        for arrival in held:
            await arrival.release()
        for blocker in blockers:
            assert (await wait_for_final(client, user, blocker["id"]))["status"] == "succeeded"
    final = (await client.get(f"/v1/jobs/{queued['id']}", headers=user.headers)).json()
    assert final["status"] == "canceled" and final["attempts"] == 0
    assert "running" not in await event_types(runtime, queued["id"])


async def test_a_finished_job_cannot_be_canceled(client: httpx.AsyncClient, user: User) -> None:
    job = await create(client, user, {"kind": "test_flaky", "params": {"fail_times": 0}}, wait=30)
    response = await client.post(f"/v1/jobs/{job['id']}/cancel", headers=user.headers)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "job_finished"


async def test_a_killed_worker_process_is_replaced_and_the_job_finishes_exactly_once(
    client: httpx.AsyncClient, user: User, runtime: Runtime
) -> None:
    async with Gate() as gate:
        job = await create(client, user, {"kind": "test_block", "params": {"port": gate.port}})
        first = await gate.arrival()
        assert first.tag == "attempt-1"
        os.kill(first.pid, signal.SIGKILL)
        second = await gate.arrival()
        assert second.tag == "attempt-2" and second.pid != first.pid
        await second.release()
        final = await wait_for_final(client, user, job["id"])
    assert final["status"] == "succeeded"
    assert final["attempts"] == 2
    assert final["result"]["pid"] == second.pid
    [output] = final["outputs"]
    body = await client.get(output["url"])
    assert body.text == "made by attempt 2"
    types = await event_types(runtime, job["id"])
    assert types.count("succeeded") == 1 and "failed" not in types


async def test_a_job_over_its_kinds_timeout_fails_with_job_timeout_and_is_not_retried(
    client: httpx.AsyncClient, user: User
) -> None:
    async with Gate() as gate:
        job = await create(client, user, {"kind": "test_slow", "params": {"port": gate.port}})
        held = await gate.arrival()
        final = await wait_for_final(client, user, job["id"])
        await held.release()
    assert final["status"] == "failed"
    assert final["attempts"] == 1
    assert final["error"]["code"] == "job_timeout"
