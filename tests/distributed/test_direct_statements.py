"""The job's hot statements on PostgreSQL, sent on asyncpg directly (db/direct.py): the
same values in and out as through the engine, connections that die or are abandoned
mid-statement never handed out again, and a database that cannot be reached reported
as ``database_unavailable``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest
from sqlalchemy import Connection, func, select, update
from tests.conftest import POSTGRES_SERVER, create_postgres_database, drop_postgres_database
from tests.distributed.test_pool_connections import _terminate

from pictor.accounts.models import User
from pictor.db.base import utcnow
from pictor.db.direct import DirectStatement, connect_args
from pictor.db.engine import Database, DatabaseUnavailable
from pictor.db.migrate import upgrade
from pictor.jobs import submit_pg, transitions
from pictor.jobs.records import JOB_COLUMNS, JobRecord

JOBS = transitions.JOBS

_BACKEND_PID = DirectStatement(select(func.pg_backend_pid()))
_SLEEP = DirectStatement(select(func.pg_sleep(5)))


@pytest.fixture
async def database() -> AsyncIterator[tuple[Database, str]]:
    name = await create_postgres_database()
    plain = POSTGRES_SERVER.replace("postgresql+asyncpg://", "postgresql://")
    url = f"{POSTGRES_SERVER}/{name}"
    await upgrade(url)
    db = Database(url, pool_size=1)
    try:
        yield db, f"{plain}/{name}"
    finally:
        await db.dispose()
        await drop_postgres_database(name)


async def _pid(db: Database) -> int:
    rows = await db.fetch_direct(_BACKEND_PID, {})
    return int(rows[0][0])


def _job(owner_id: str) -> JobRecord:
    now = utcnow()
    return JobRecord(
        id="job_direct_1",
        owner_id=owner_id,
        kind="test_kind",
        status="queued",
        inputs=[{"artifact_id": "art_1"}],
        params={"nested": {"list": [1, 2.5, None, "ü"]}, "empty": {}},
        webhook_url=None,
        idempotency_key=None,
        request_hash=None,
        cost=0,
        progress=0,
        stage="queued",
        attempts=0,
        max_attempts=3,
        error_code=None,
        error_message=None,
        result={},
        engine=None,
        event_seq=1,
        created_at=now,
        started_at=None,
        finished_at=None,
        run_after=now + timedelta(hours=1),  # no one claims it before the test does
        lease_expires_at=None,
        cancel_requested_at=None,
        run_seconds=None,
        webhook_events=None,
    )


async def test_a_row_written_and_claimed_directly_reads_back_the_same_through_the_engine(
    database: tuple[Database, str],
) -> None:
    db, _ = database
    async with db.session() as session:
        session.add(User(id="usr_direct", email="direct@example.com"))
    job = _job("usr_direct")
    queued = await submit_pg.insert_and_reserve(db, job, {"status": "queued", "studio": False})
    assert queued is not None and queued.seq == 1

    def read(conn: Connection) -> JobRecord:
        return JobRecord(*conn.execute(select(*JOB_COLUMNS).where(JOBS.c.id == job.id)).one())

    stored = await db.read(read)
    # JSON stays JSON, times stay aware and exact to the microsecond.
    assert stored == job
    # A JSON column given None holds JSON null, as through the engine; a plain column
    # left out holds NULL.
    kinds = await db.read(
        lambda conn: conn.execute(
            select(func.jsonb_typeof(JOBS.c.webhook_events), JOBS.c.webhook_url.is_(None))
        ).one()
    )
    assert tuple(kinds) == ("null", True)

    claim = transitions.Claimer({"test_kind": 30.0}, 60.0)
    assert await claim.claim(db, job.id) is None  # not due yet
    await db.write(lambda conn: conn.execute(update(JOBS).values(run_after=None)))
    claimed = await claim.claim(db, job.id)
    assert claimed is not None
    record, running = claimed
    assert record == await db.read(read)  # what the claim returned is the row as stored
    assert (record.status, record.attempts, record.event_seq) == ("running", 1, 2)
    assert record.params == job.params and record.inputs == job.inputs
    assert record.lease_expires_at is not None and record.started_at is not None
    assert (
        timedelta(seconds=29) < record.lease_expires_at - record.started_at <= timedelta(seconds=30)
    )
    assert (running.seq, running.data) == (2, {"status": "running", "attempt": 1})


async def test_a_connection_the_server_closed_is_never_handed_out_again(
    database: tuple[Database, str],
) -> None:
    db, dsn = database
    for _ in range(3):
        pid = await _pid(db)
        await _terminate(dsn, pid)
        try:
            new_pid = await _pid(db)
        except DatabaseUnavailable:
            new_pid = await _pid(db)  # the dead one was dropped with its failure
        assert new_pid != pid


async def test_a_statement_abandoned_midway_takes_its_connection_with_it(
    database: tuple[Database, str],
) -> None:
    db, _ = database
    pid = await _pid(db)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(db.fetch_direct(_SLEEP, {}), 0.2)
    # pool of one: the next statement runs at once on a new connection, not behind (or
    # inside the answer of) the sleep still running on the old one
    assert await asyncio.wait_for(_pid(db), 4) != pid


async def test_a_statement_that_ends_after_dispose_leaves_no_connection_open(
    database: tuple[Database, str],
) -> None:
    db, dsn = database
    await _pid(db)
    await db.dispose()  # closes the idle connection
    assert await _pid(db) > 0  # a late statement (one in flight at shutdown) still runs
    deadline = time.monotonic() + 10
    while True:  # its connection was closed: its backend goes once it reads the end
        if await _backends(dsn) == 0:
            break
        assert time.monotonic() < deadline, "a connection stayed open after dispose"
        await asyncio.sleep(0.05)  # polling a condition: the server exposes no event


async def _backends(dsn: str) -> int:
    """How many other sessions the database has."""
    admin = await asyncpg.connect(dsn)
    try:
        return int(
            await admin.fetchval(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    finally:
        await admin.close()


async def test_one_connection_serves_statements_one_after_another(
    database: tuple[Database, str],
) -> None:
    db, _ = database
    pids = await asyncio.gather(*(_pid(db) for _ in range(5)))
    assert len(set(pids)) == 1  # pool_size=1: they waited their turn


async def test_a_database_that_cannot_be_reached_is_unavailable_not_an_error() -> None:
    db = Database("postgresql+asyncpg://postgres@127.0.0.1:1/nothing", pool_size=1)
    try:
        with pytest.raises(DatabaseUnavailable) as unavailable:
            await _pid(db)
        assert unavailable.value.code == "database_unavailable"
    finally:
        await db.dispose()


def test_the_url_s_statement_cache_setting_applies_to_the_direct_connections() -> None:
    args = connect_args(
        "postgresql+asyncpg://u:p@db.internal:6432/app?prepared_statement_cache_size=0"
    )
    assert args["statement_cache_size"] == 0
    assert (args["host"], args["port"], args["user"], args["password"], args["database"]) == (
        "db.internal",
        6432,
        "u",
        "p",
        "app",
    )
    assert "prepared_statement_cache_size" not in connect_args("postgresql+asyncpg://u@db/app")
