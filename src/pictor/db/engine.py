"""Engine and session factories. The caller owns the transaction; services only flush."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def _sqlite_pragmas(busy_timeout_ms: int, immediate: bool) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (see on_begin); pysqlite's implicit
        # transactions would otherwise start deferred.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    def on_begin(conn: Any) -> None:
        # A deferred transaction that later writes can fail at once with
        # SQLITE_BUSY instead of waiting; writers take the lock up front.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return on_connect, on_begin


def _make_engine(
    url: str, *, echo: bool, pool_size: int, busy_ms: int, immediate: bool
) -> AsyncEngine:
    kwargs: dict[str, Any] = {"echo": echo}
    if url.startswith("sqlite"):
        engine = create_async_engine(url, **kwargs)
        on_connect, on_begin = _sqlite_pragmas(busy_ms, immediate)
        event.listen(engine.sync_engine, "connect", on_connect)
        event.listen(engine.sync_engine, "begin", on_begin)
        return engine
    kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
    return create_async_engine(url, **kwargs)


class Database:
    """One writer engine and (on SQLite) a separate reader engine over the same file."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10, busy_ms: int = 10_000):
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.engine = _make_engine(
            url, echo=echo, pool_size=pool_size, busy_ms=busy_ms, immediate=True
        )
        self.read_engine = (
            _make_engine(url, echo=echo, pool_size=pool_size, busy_ms=busy_ms, immediate=False)
            if self.is_sqlite
            else self.engine
        )
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = async_sessionmaker(self.read_engine, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A write transaction: committed when the block ends, rolled back on error."""
        async with self._sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def read_session(self) -> AsyncIterator[AsyncSession]:
        """A read-only transaction (never takes SQLite's write lock).

        It ends with a commit that writes nothing, which (unlike a rollback) leaves the
        loaded objects usable after the block.
        """
        async with self._read_sessions() as session, session.begin():
            yield session

    async def ping(self) -> None:
        async with self.read_engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()
