"""Engine and session factories. The caller owns the transaction; services only flush.

Besides ORM sessions, :meth:`Database.write` and :meth:`Database.read` run a whole short
transaction, written as a plain synchronous function over a Core ``Connection``, as one
unit: on SQLite in one hop to a thread over the stdlib driver (aiosqlite hops to its
thread for every cursor operation, several per statement), on PostgreSQL through
``AsyncConnection.run_sync`` over asyncpg.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from sqlite3 import SQLITE_BUSY, SQLITE_LOCKED
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from pictor.db.direct import DirectPool, DirectStatement
from pictor.errors import TransientError

T = TypeVar("T")


class DatabaseUnavailable(TransientError):
    """The database cannot be reached (down, restarting, connection cut): HTTP 503, and
    for a job a transient failure the runner retries."""

    code = "database_unavailable"


#: SQLSTATEs of a lost or refused connection: class 08, and the server shutting down
#: (57P01 admin, 57P02 crash) or not accepting connections yet (57P03).
# 08: connection exceptions; 57P01-03: the server shutting down or starting; 53300: its
# connection slots are full (max_connections or a role limit): unavailable for now.
_CONNECTION_STATES = ("08", "57P01", "57P02", "57P03", "53300")


def is_connection_error(exc: BaseException) -> bool:
    """Whether ``exc`` means "the database is unreachable", not "this statement is wrong":
    an invalidated connection, a refused or cut socket, a server shutting down."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    from_driver = isinstance(exc, DBAPIError) or type(exc).__module__.startswith("asyncpg")
    if not from_driver and (isinstance(exc, TimeoutError) or not isinstance(exc, OSError)):
        return False  # the caller's own error (or timeout) inside a session block
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError):  # refused, reset, timed out (TimeoutError too)
            return True
        state = getattr(current, "sqlstate", None) or getattr(current, "pgcode", None)
        if isinstance(state, str) and state.startswith(_CONNECTION_STATES):
            return True
        if type(current).__name__ == "ConnectionDoesNotExistError" or (
            type(current).__module__.startswith("asyncpg")
            and "connection is closed" in str(current)
        ):
            return True
        orig = current.orig if isinstance(current, DBAPIError) else None
        pending += [orig, current.__cause__, current.__context__]
    return False


@asynccontextmanager
async def _unavailable_as_transient() -> AsyncIterator[None]:
    try:
        yield
    except Exception as exc:
        if is_connection_error(exc):
            raise DatabaseUnavailable("the database is unavailable; try again") from exc
        raise


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


def _listen_sqlite(engine: Engine, busy_ms: int, immediate: bool, *, begin: bool = True) -> None:
    on_connect, on_begin = _sqlite_pragmas(busy_ms, immediate)
    event.listen(engine, "connect", on_connect)
    if begin:
        event.listen(engine, "begin", on_begin)


def _is_busy(exc: OperationalError) -> bool:
    code = getattr(exc.orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (SQLITE_BUSY, SQLITE_LOCKED)


def _make_engine(
    url: str, *, echo: bool, pool_size: int, busy_ms: int, immediate: bool
) -> AsyncEngine:
    kwargs: dict[str, Any] = {"echo": echo}
    if url.startswith("sqlite"):
        engine = create_async_engine(url, **kwargs)
        _listen_sqlite(engine.sync_engine, busy_ms, immediate)
        return engine
    # No pool_pre_ping: with asyncpg it costs three round trips (BEGIN, ;, ROLLBACK) per
    # checkout, more than a short transaction itself. A connection the server closed
    # (restart, shutdown, pg_terminate_backend) is known to asyncpg without asking: the
    # event loop has seen its socket close. Such a connection is discarded at checkout
    # and another one taken; one that dies unseen fails its first statement, which
    # invalidates it (the caller gets database_unavailable, a transient error).
    kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_recycle=_POOL_RECYCLE_S)
    engine = create_async_engine(url, **kwargs)
    event.listen(engine.sync_engine.pool, "checkout", _discard_closed)
    return engine


#: Connections older than this are replaced at checkout (server-side idle limits, proxies).
_POOL_RECYCLE_S = 1800


def _discard_closed(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Pool checkout: refuse a connection whose socket is already closed (no round trip);
    the pool then invalidates it and connects again."""
    driver = record.driver_connection
    is_closed = getattr(driver, "is_closed", None)
    if is_closed is not None and is_closed():
        raise DisconnectionError("the connection was closed by the server")


def _sync_sqlite_url(url: str) -> str | None:
    """The stdlib-driver URL of a SQLite file; None for in-memory databases (one per
    connection, so a second engine would see another database)."""
    if not url.startswith("sqlite"):
        return None
    rest = url.partition("://")[2]
    path = rest.lstrip("/")
    if not path or path.startswith(":memory:") or "mode=memory" in rest:
        return None
    return "sqlite://" + rest


class _SqliteUnits:
    """Short transactions over the stdlib sqlite3 driver, each in one thread hop.

    Writes go to one thread, one at a time: SQLite has one writer anyway, and writers
    queued here wait their turn without the busy handler's sleep-and-retry.

    Point reads run on the calling thread, in autocommit: a primary-key lookup takes
    ~50 µs there, less than the hop to a thread costs. WAL readers do not wait for the
    writer; in the rare states where SQLite would make a reader wait (recovery after a
    crash), the inline connection fails at once (busy_timeout 0) and the read is
    retried on a reader thread that may wait, so the event loop never blocks on a lock.
    """

    def __init__(self, url: str, *, echo: bool, busy_ms: int, readers: int) -> None:
        self.writer = self._engine(url, echo, busy_ms, pool_size=1, immediate=True)
        self.reader = self._engine(url, echo, busy_ms, pool_size=readers)
        self.inline_reader = self._engine(url, echo, 0, pool_size=1, begin=False)
        self._write_thread = ThreadPoolExecutor(1, thread_name_prefix="pictor-db-write")
        self._read_threads = ThreadPoolExecutor(readers, thread_name_prefix="pictor-db-read")

    @staticmethod
    def _engine(
        url: str,
        echo: bool,
        busy_ms: int,
        *,
        pool_size: int,
        immediate: bool = False,
        begin: bool = True,
    ) -> Engine:
        # sqlite3's own timeout (5 s by default) applies until the busy_timeout pragma.
        engine = create_engine(
            url,
            echo=echo,
            pool_size=pool_size,
            max_overflow=0,
            connect_args={"timeout": busy_ms / 1000},
        )
        _listen_sqlite(engine, busy_ms, immediate, begin=begin)
        return engine

    @staticmethod
    def _unit(engine: Engine, fn: Callable[[Connection], T]) -> T:
        with engine.begin() as conn:
            return fn(conn)

    async def write(self, fn: Callable[[Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._write_thread, self._unit, self.writer, fn)

    async def read(self, fn: Callable[[Connection], T]) -> T:
        try:
            with self.inline_reader.connect() as conn:
                return fn(conn)
        except OperationalError as exc:
            if not _is_busy(exc):
                raise
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._read_threads, self._unit, self.reader, fn)

    def dispose(self) -> None:
        self._write_thread.shutdown(wait=True)
        self._read_threads.shutdown(wait=True)
        self.writer.dispose()
        self.reader.dispose()
        self.inline_reader.dispose()


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
        # Point reads on PostgreSQL run in autocommit: one round trip for the statement
        # instead of three (BEGIN, the statement, the ROLLBACK of the pool's reset).
        self._point_reads = (
            self.read_engine
            if self.is_sqlite
            else self.read_engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = async_sessionmaker(self.read_engine, expire_on_commit=False)
        #: PostgreSQL: the job's hot statements, on asyncpg alone (see :meth:`fetch_direct`).
        self._direct = None if self.is_sqlite else DirectPool(url, size=pool_size)
        sync_url = _sync_sqlite_url(url)
        self._units = (
            _SqliteUnits(sync_url, echo=echo, busy_ms=busy_ms, readers=2)
            if sync_url is not None
            else None
        )

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A write transaction: committed when the block ends, rolled back on error."""
        async with _unavailable_as_transient(), self._sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def read_session(self) -> AsyncIterator[AsyncSession]:
        """A read-only transaction (never takes SQLite's write lock).

        It ends with a commit that writes nothing, which (unlike a rollback) leaves the
        loaded objects usable after the block.
        """
        async with (
            _unavailable_as_transient(),
            self._read_sessions() as session,
            session.begin(),
        ):
            yield session

    async def write(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn`` in one write transaction: committed when it returns, rolled back
        if it raises. ``fn`` may run in another thread: it must only touch ``conn``
        and its own arguments."""
        if self._units is not None:
            return await self._units.write(fn)
        async with _unavailable_as_transient(), self.engine.begin() as conn:
            return await conn.run_sync(fn)

    async def fetch_direct(
        self, statement: DirectStatement, params: dict[str, Any]
    ) -> list[tuple[Any, ...]]:
        """PostgreSQL only: run ONE statement in autocommit on asyncpg directly (see
        :mod:`pictor.db.direct`) and return its rows. Never run twice, like a write."""
        if self._direct is None:
            raise RuntimeError("direct statements are PostgreSQL's")
        async with _unavailable_as_transient():
            return await self._direct.fetch(statement, params)

    async def read(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn``, a point read, outside any write transaction.

        Each statement sees the latest commit on its own (on SQLite ``fn`` may run on
        the event loop's thread, in autocommit; see ``_SqliteUnits``): a read that needs
        several statements to agree belongs in one statement or in :meth:`read_session`.
        """
        if self._units is not None:
            return await self._units.read(fn)
        async with _unavailable_as_transient():
            return await self._read_unit(fn)

    async def _read_unit(self, fn: Callable[[Connection], T]) -> T:
        try:
            async with self._point_reads.connect() as conn:
                return await conn.run_sync(fn)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
        # The pooled connection had died unseen (the server closed it an instant ago):
        # it is invalidated now, and a read is safe to run again on a fresh one.
        async with self._point_reads.connect() as conn:
            return await conn.run_sync(fn)

    async def ping(self) -> None:
        async with self.read_engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        if self._direct is not None:
            await self._direct.close()
        if self._units is not None:
            self._units.dispose()
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()
