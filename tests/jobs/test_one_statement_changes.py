"""A running job's claim, progress and end with their events and the ledger's
settlement: one statement each on PostgreSQL (sent in autocommit), a few in one
transaction on SQLite. Both write the same rows, fenced the same way, and a change that
cannot be made writes nothing at all."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, select, update
from tests.conftest import User
from tests.credits.support import balance, entries, funded_user
from tests.credits.test_job_credits import sound
from tests.support.plugins import FlakyParams

from pictor.credits import ledger
from pictor.db.base import utcnow
from pictor.errors import JobCanceled
from pictor.jobs import transitions
from pictor.jobs.changes import Settle, cancel_requested, change
from pictor.jobs.context import JobContext
from pictor.jobs.events import Event
from pictor.jobs.models import JobEvent, JobStatus
from pictor.jobs.records import JobRecord
from pictor.jobs.service import Submission, insert_submitted, new_job
from pictor.runtime import Runtime

JOBS = transitions.JOBS


async def running_job(runtime: Runtime, user: User, cost: int) -> tuple[JobRecord, Event]:
    """A job of ``user`` priced ``cost``, claimed by the test (no worker ever sees it
    queued: it is inserted and claimed in one transaction)."""
    sub = Submission(kind="test_flaky", upload_ids=[], params=FlakyParams(), cost=cost)
    job = new_job(user.id, sub, runtime.catalog, runtime.engines, max_attempts=3)
    job = dataclasses.replace(job, run_after=utcnow() + timedelta(hours=1))
    claim = transitions.Claimer({}, 600.0)

    def insert_and_claim(conn: Connection) -> tuple[JobRecord, Event] | None:
        assert insert_submitted(conn, job, [])
        conn.execute(update(JOBS).where(JOBS.c.id == job.id).values(run_after=None))
        return claim(conn, job.id)

    claimed = await runtime.db.write(insert_and_claim)
    assert claimed is not None
    return claimed


async def stored(runtime: Runtime, job_id: str) -> list[tuple[int, str, dict[str, Any]]]:
    query = (
        select(JobEvent.seq, JobEvent.type, JobEvent.data)
        .where(JobEvent.job_id == job_id)
        .order_by(JobEvent.seq)
    )
    rows = await runtime.db.read(lambda conn: conn.execute(query).all())
    return [(seq, type_, data) for seq, type_, data in rows]


async def job_entries(runtime: Runtime, user: User, job_id: str) -> list[tuple[str, int, int, int]]:
    return [
        (row["entry"], row["amount"], row["reserved_delta"], row["balance_after"])
        for row in await entries(runtime, user.id)
        if row["cause_type"] == "job" and row["cause_id"] == job_id
    ]


async def finish(
    runtime: Runtime, job: JobRecord, spent: int, attempt: int | None = None
) -> Event | None:
    """The job's end as the runner writes it (on PostgreSQL: its one statement, sent on
    asyncpg directly)."""
    return await change(
        runtime.db,
        job.id,
        from_status=JobStatus.RUNNING,
        attempt=job.attempts if attempt is None else attempt,
        event=("succeeded", {"status": "succeeded", "outputs": []}),
        settle=Settle(job.owner_id, spent),
        status=JobStatus.SUCCEEDED,
        finished_at=utcnow(),
        lease_expires_at=None,
        cost=spent,
    )


async def test_the_claim_stores_the_running_event_it_returns(runtime: Runtime) -> None:
    user = await funded_user(runtime, 10)
    job, running = await running_job(runtime, user, cost=7)
    assert (job.status, job.attempts, job.event_seq) == ("running", 1, 2)
    assert (running.seq, running.type) == (2, "running")
    assert running.data == {"status": "running", "attempt": 1}
    events = await stored(runtime, job.id)
    assert [(seq, type_) for seq, type_, _ in events] == [(1, "queued"), (2, "running")]
    assert events[1][2] == running.data


async def test_a_claim_of_its_own_takes_only_a_queued_job_that_is_due(runtime: Runtime) -> None:
    user = await funded_user(runtime, 10)
    claim = transitions.Claimer({}, 600.0)
    running, _ = await running_job(runtime, user, cost=1)
    assert await claim.claim(runtime.db, running.id) is None  # another worker has it
    assert [seq for seq, _, _ in await stored(runtime, running.id)] == [1, 2]

    sub = Submission(kind="test_flaky", upload_ids=[], params=FlakyParams(), cost=1)
    later = new_job(user.id, sub, runtime.catalog, runtime.engines, max_attempts=3)
    later = dataclasses.replace(later, run_after=utcnow() + timedelta(hours=1))
    assert await runtime.db.write(lambda conn: insert_submitted(conn, later, []))
    assert await claim.claim(runtime.db, later.id) is None  # not yet due
    assert [seq for seq, _, _ in await stored(runtime, later.id)] == [1]
    assert await claim.claim(runtime.db, "job_none") is None


async def test_a_partial_charge_settles_like_the_ledger_with_the_final_event(
    runtime: Runtime,
) -> None:
    user = await funded_user(runtime, 10)
    job, _ = await running_job(runtime, user, cost=7)
    final = await finish(runtime, job, spent=4)
    assert final is not None and (final.seq, final.type) == (3, "succeeded")
    assert (await stored(runtime, job.id))[2] == (3, "succeeded", final.data)
    # reserve 7 of 10 (3 left); charge 4 and release 3 (6 available, nothing reserved)
    assert await job_entries(runtime, user, job.id) == [
        ("reserve", -7, 7, 3),
        ("charge", 0, -4, 3),
        ("release", 3, -3, 6),
    ]
    assert await balance(runtime, user.id) == ledger.Balance(6, 0)
    await sound(runtime)


async def test_an_end_fenced_out_writes_nothing_and_the_final_event_is_written_once(
    runtime: Runtime,
) -> None:
    user = await funded_user(runtime, 10)
    job, _ = await running_job(runtime, user, cost=5)
    assert await finish(runtime, job, spent=5, attempt=job.attempts + 1) is None
    assert [seq for seq, _, _ in await stored(runtime, job.id)] == [1, 2]
    assert await balance(runtime, user.id) == ledger.Balance(5, 5)

    assert await finish(runtime, job, spent=5) is not None
    assert await finish(runtime, job, spent=5) is None  # ended already
    events = await stored(runtime, job.id)
    assert [(seq, type_) for seq, type_, _ in events] == [
        (1, "queued"),
        (2, "running"),
        (3, "succeeded"),
    ]
    assert [entry for entry, *_ in await job_entries(runtime, user, job.id)] == [
        "reserve",
        "charge",
    ]
    assert await balance(runtime, user.id) == ledger.Balance(5, 0)
    await sound(runtime)


async def test_a_settlement_the_balance_cannot_cover_fails_the_whole_end(runtime: Runtime) -> None:
    user = await funded_user(runtime, 10)
    job, _ = await running_job(runtime, user, cost=6)

    def hold(reserved: int) -> Any:
        def unit(conn: Connection) -> None:
            conn.execute(
                update(ledger.BALANCES)
                .where(ledger.BALANCES.c.user_id == user.id)
                .values(reserved=reserved)
            )

        return unit

    await runtime.db.write(hold(2))  # the row says 2 reserved, the job's entries 6
    with pytest.raises(Exception, match="reserved"):
        await finish(runtime, job, spent=6)
    state = await runtime.db.read(
        lambda conn: conn.execute(
            select(JOBS.c.status, JOBS.c.event_seq).where(JOBS.c.id == job.id)
        ).one()
    )
    assert tuple(state) == ("running", 2)
    assert [entry for entry, *_ in await job_entries(runtime, user, job.id)] == ["reserve"]
    await runtime.db.write(hold(6))
    assert await finish(runtime, job, spent=6) is not None
    await sound(runtime)


def context(runtime: Runtime, job: JobRecord) -> JobContext:
    assert runtime.cpu is not None
    return JobContext(
        job_id=job.id,
        owner_id=job.owner_id,
        kind=job.kind,
        attempt=job.attempts,
        inputs=[],
        lease_s=60.0,
        db=runtime.db,
        bus=runtime.bus,
        store=runtime.store,
        engines=runtime.engines,
        image_limits=runtime.image_limits,
        cpu=runtime.cpu,
        cost=job.cost,
        params=job.params,
    )


async def test_progress_is_stored_and_stops_on_a_cancel_or_a_lost_attempt(
    runtime: Runtime,
) -> None:
    user = await funded_user(runtime, 10)
    job, _ = await running_job(runtime, user, cost=1)
    ctx = context(runtime, job)
    await ctx.progress(40, "halfway")
    assert (await stored(runtime, job.id))[2] == (
        3,
        "progress",
        {"progress": 40, "stage": "halfway"},
    )

    def set_job(**values: Any) -> Any:
        return lambda conn: conn.execute(update(JOBS).where(JOBS.c.id == job.id).values(**values))

    await runtime.db.write(set_job(cancel_requested_at=utcnow()))
    with pytest.raises(JobCanceled) as canceled:
        await ctx.progress(60, "later")
    assert canceled.value.code == "job_canceled"
    assert await runtime.db.read(lambda conn: cancel_requested(conn, job.id, job.attempts))

    await runtime.db.write(set_job(cancel_requested_at=None, attempts=job.attempts + 1))
    with pytest.raises(JobCanceled) as superseded:
        await ctx.progress(60, "later")
    assert superseded.value.code == "attempt_superseded"
    assert [seq for seq, _, _ in await stored(runtime, job.id)] == [1, 2, 3]
    assert await finish(runtime, job, 1, attempt=job.attempts + 1)
    await sound(runtime)
