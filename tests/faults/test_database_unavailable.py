"""Database outages are transient errors with a stable code, not bugs (runs in the
default suite; the outage under load is scenario 3 of test_faults.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, literal, select, text
from sqlalchemy.exc import ProgrammingError
from tests.conftest import POSTGRES_SERVER
from tests.support.server import free_port

from pictor.api.errors import status_for
from pictor.db.direct import DirectStatement
from pictor.db.engine import Database, DatabaseUnavailable


def _select_one(conn: Connection) -> int:
    return int(conn.execute(text("SELECT 1")).scalar_one())


def _bad_sql(conn: Connection) -> None:
    conn.execute(text("SELEC 1"))


async def test_a_database_nobody_listens_on_is_unavailable_for_every_helper() -> None:
    db = Database(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/pictor")
    try:
        direct = DirectStatement(select(literal(1)))
        for call in (db.write(_select_one), db.read(_select_one), db.fetch_direct(direct, {})):
            with pytest.raises(DatabaseUnavailable) as caught:
                await call
            assert caught.value.code == "database_unavailable" and caught.value.transient
            assert status_for(caught.value) == 503
        with pytest.raises(DatabaseUnavailable):
            async with db.session() as session:
                await session.execute(text("SELECT 1"))
    finally:
        await db.dispose()


async def test_a_wrong_statement_stays_a_programming_error() -> None:
    db = Database(f"{POSTGRES_SERVER}/postgres")
    try:
        assert await db.read(_select_one) == 1
        with pytest.raises(ProgrammingError):
            await db.write(_bad_sql)
    finally:
        await db.dispose()
