"""Pooled PostgreSQL connections without pool_pre_ping: one the server has closed is
replaced, not handed to a caller (db/engine.py)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import Connection, text
from tests.conftest import POSTGRES_SERVER, create_postgres_database, drop_postgres_database

from pictor.db.engine import Database, DatabaseUnavailable


def _backend_pid(conn: Connection) -> int:
    return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


@pytest.fixture
async def database() -> AsyncIterator[tuple[Database, str]]:
    name = await create_postgres_database()
    plain = POSTGRES_SERVER.replace("postgresql+asyncpg://", "postgresql://")
    db = Database(f"{POSTGRES_SERVER}/{name}", pool_size=1)
    try:
        yield db, f"{plain}/{name}"
    finally:
        await db.dispose()
        await drop_postgres_database(name)


async def _terminate(dsn: str, pid: int) -> None:
    admin = await asyncpg.connect(dsn)
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()


async def test_a_read_on_a_connection_the_server_just_closed_runs_on_a_new_one(
    database: tuple[Database, str],
) -> None:
    db, dsn = database
    for _ in range(3):  # each time the pooled connection is closed under the pool
        pid = await db.read(_backend_pid)
        await _terminate(dsn, pid)
        assert await db.read(_backend_pid) != pid


async def test_a_write_after_a_read_found_the_connection_closed_succeeds(
    database: tuple[Database, str],
) -> None:
    db, dsn = database
    pid = await db.read(_backend_pid)
    await _terminate(dsn, pid)
    await db.read(_backend_pid)  # replaces the dead connection
    new_pid = await db.write(_backend_pid)
    assert new_pid != pid
    assert await db.write(lambda conn: conn.execute(text("SELECT 1")).scalar_one()) == 1


async def test_a_server_with_no_connection_slot_left_is_unavailable_not_an_error(
    database: tuple[Database, str],
) -> None:
    """PostgreSQL's 53300 (too many connections, here a role allowed none) is
    `database_unavailable` (503), like a refused connection, never a 500."""
    _, dsn = database
    role = f"pictor_full_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 0")
        server, _, name = dsn.rpartition("/")
        host = server.split("@", 1)[-1]
        limited = Database(f"postgresql+asyncpg://{role}@{host}/{name}", pool_size=1)
        try:
            with pytest.raises(DatabaseUnavailable):
                await limited.read(lambda conn: conn.execute(text("SELECT 1")).scalar_one())
        finally:
            await limited.dispose()
    finally:
        await admin.execute(f"DROP ROLE IF EXISTS {role}")
        await admin.close()
