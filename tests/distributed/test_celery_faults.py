"""A worker killed mid-job, batches beside interactive jobs, time limits per kind."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select
from tests.conftest import User
from tests.distributed.conftest import Cluster
from tests.support.gates import Gate

from pictor.credits.audit import check
from pictor.credits.ledger import ENTRIES
from pictor.jobs.models import JobEvent


def _events_and_entries(job_id: str) -> Any:
    def read(conn: Connection) -> tuple[list[str], list[tuple[str, int, int]]]:
        events = conn.execute(
            select(JobEvent.type).where(JobEvent.job_id == job_id).order_by(JobEvent.seq)
        ).scalars()
        entries = conn.execute(
            select(ENTRIES.c.entry, ENTRIES.c.amount, ENTRIES.c.reserved_delta).where(
                ENTRIES.c.cause_type == "job", ENTRIES.c.cause_id == job_id
            )
        )
        return list(events), [(e, a, r) for e, a, r in entries]

    return read


async def test_a_worker_killed_mid_job_leaves_it_to_another_worker_and_it_succeeds_once(
    workers: Cluster, user: User
) -> None:
    first_worker = await workers.start_worker("--concurrency=1", name="kill-a")
    second_worker = await workers.start_worker("--concurrency=1", name="kill-b")
    async with Gate() as gate:
        job_id = await workers.submit(user, "test_block", {"port": gate.port})
        # A worker process builds its runtime on its first job: generous on a loaded machine.
        first = await gate.arrival(timeout_s=90)
        assert first.tag == "attempt-1"
        victim, survivor = (
            (first_worker, second_worker)
            if first_worker.owns(first.pid)
            else (second_worker, first_worker)
        )
        assert victim.owns(first.pid)
        victim.kill()
        # RabbitMQ hands the unacknowledged message to the survivor at once (which
        # takes over the lost attempt); on Redis the lease runs out and the API node's
        # reconciler sends the job again.
        second = await gate.arrival(timeout_s=60)
        assert second.tag == "attempt-2" and survivor.owns(second.pid)
        await second.release()
        job = await workers.wait_final(user, job_id)
    assert job["status"] == "succeeded" and job["attempts"] == 2
    assert job["result"]["attempt"] == 2 and len(job["outputs"]) == 1
    events, entries = await workers.runtime.db.read(_events_and_entries(job_id))
    assert events.count("running") == 2 and events.count("succeeded") == 1
    assert "requeued" in events and events[-1] == "succeeded"
    # Reserved once, charged once: the price left the balance exactly one time.
    assert sum(amount for _, amount, _ in entries) == -job["cost"] != 0
    assert sum(reserved for _, _, reserved in entries) == 0
    assert await workers.runtime.db.read(check) == []


async def test_batch_items_go_to_the_batch_queue_and_interactive_jobs_do_not_wait_for_them(
    workers: Cluster, user: User
) -> None:
    broker = workers.runtime.settings.broker
    batch_worker = await workers.start_worker(
        "--concurrency=1", f"--queues={broker.batch_queue}", name="batch"
    )
    await workers.start_worker(
        "--concurrency=1", f"--queues={broker.interactive_queue}", name="interactive"
    )
    async with Gate() as gate:
        items = [{"kind": "test_block", "input": [], "params": {"port": gate.port}}] * 3
        response = await workers.client.post(
            "/v1/batches", json={"items": items}, headers=user.headers
        )
        assert response.status_code == 201, response.text
        batch_id = response.json()["id"]
        held = await gate.arrival()
        assert batch_worker.owns(held.pid)
        # The batch worker is busy and two items wait behind it: an interactive job
        # runs at once on the interactive queue's worker.
        job_id = await workers.submit(user, "test_flaky", {"fail_times": 0})
        job = await workers.wait_final(user, job_id)
        assert job["status"] == "succeeded"
        await held.release()
        for _ in range(2):
            arrival = await gate.arrival()
            assert batch_worker.owns(arrival.pid)
            await arrival.release()
    page = (await workers.client.get(f"/v1/batches/{batch_id}/items", headers=user.headers)).json()
    assert len(page["data"]) == 3
    for item in page["data"]:
        final = await workers.wait_final(user, item["job_id"])
        assert final["status"] == "succeeded"
    assert await workers.runtime.db.read(check) == []


async def test_a_job_blocking_its_worker_is_ended_by_the_kinds_time_limit(
    workers: Cluster, user: User
) -> None:
    """test_hang (timeout 1 s) blocks the worker's loop, so only Celery's soft limit
    (1 s + the 4 s margin) can end it: the job fails with job_timeout, its credits
    come back, and the worker process goes on serving jobs."""
    await workers.start_worker("--concurrency=1")
    async with Gate() as gate:
        job_id = await workers.submit(user, "test_hang", {"port": gate.port})
        stuck = await gate.arrival()
        job = await workers.wait_final(user, job_id)
        assert job["status"] == "failed" and job["error"]["code"] == "job_timeout"
        await stuck.release()  # the abandoned loop wakes: its late end is refused
    _, entries = await workers.runtime.db.read(_events_and_entries(job_id))
    assert sum(amount for _, amount, _ in entries) == 0
    assert sum(reserved for _, _, reserved in entries) == 0
    after = await workers.submit(user, "test_flaky", {"fail_times": 0})
    assert (await workers.wait_final(user, after))["status"] == "succeeded"
    assert (await workers.job(user, job_id))["status"] == "failed"
    assert await workers.runtime.db.read(check) == []
