"""Jobs submitted to an API node run on `pictor worker` processes through the broker."""

from __future__ import annotations

from sqlalchemy import Connection, select
from tests.conftest import User
from tests.distributed.conftest import Cluster, WorkerProcess
from tests.support.gates import Gate

from pictor.credits.audit import check
from pictor.credits.ledger import ENTRIES


def _job_entries(job_id: str) -> object:
    def read(conn: Connection) -> list[tuple[str, int, int]]:
        rows = conn.execute(
            select(ENTRIES.c.entry, ENTRIES.c.amount, ENTRIES.c.reserved_delta).where(
                ENTRIES.c.cause_type == "job", ENTRIES.c.cause_id == job_id
            )
        )
        return [(e, a, r) for e, a, r in rows]

    return read


async def test_jobs_submitted_to_the_api_succeed_on_a_worker(workers: Cluster, user: User) -> None:
    await workers.start_worker("--concurrency=2")
    ids = [await workers.submit(user, "test_flaky", {"fail_times": 0}) for _ in range(6)]
    ids.append(await workers.submit(user, "test_flaky", {"fail_times": 2}))
    for job_id in ids:
        job = await workers.wait_final(user, job_id)
        assert job["status"] == "succeeded", job
    retried = await workers.job(user, ids[-1])
    # Two transient failures, each re-sent by the worker with a countdown.
    assert retried["attempts"] == 3 and retried["result"] == {"attempt": 3}
    assert await workers.runtime.db.read(check) == []


async def test_a_permanent_failure_releases_the_reservation(workers: Cluster, user: User) -> None:
    await workers.start_worker("--concurrency=1", "--pool=threads")
    job_id = await workers.submit(user, "test_flaky", {"permanent": True})
    job = await workers.wait_final(user, job_id)
    assert job["status"] == "failed" and job["error"]["code"] == "bad_test_input"
    entries = await workers.runtime.db.read(_job_entries(job_id))  # type: ignore[arg-type]
    assert sum(amount for _, amount, _ in entries) == 0
    assert sum(reserved for _, _, reserved in entries) == 0
    assert await workers.runtime.db.read(check) == []


async def test_a_pipeline_timeout_per_kind_is_enforced_on_the_worker(
    workers: Cluster, user: User
) -> None:
    await workers.start_worker("--concurrency=1")
    async with Gate() as gate:
        job_id = await workers.submit(user, "test_slow", {"port": gate.port})
        arrival = await gate.arrival()
        job = await workers.wait_final(user, job_id)
        await arrival.release()
    assert job["status"] == "failed" and job["error"]["code"] == "job_timeout"
    assert await workers.runtime.db.read(check) == []


async def test_the_worker_command_refuses_to_start_without_a_broker(workers: Cluster) -> None:
    worker = WorkerProcess({**workers.env, "PICTOR_BROKER_URL": ""}, [], "nobroker")
    assert await worker.exit_code() == 2
    assert any("PICTOR_BROKER_URL is not set" in line for line in worker.lines)
