"""PostgreSQL: the job's hot statements (submit, claim, progress, finish) sent on a pool
of asyncpg's own, without SQLAlchemy's pool and execution layers.

Each of those statements is one data-modifying statement in autocommit (see
:mod:`pictor.jobs.transitions_pg`). PostgreSQL runs one in ~0.2 ms; through
``AsyncConnection.run_sync`` the worker spent ~1.3 ms of CPU more around it (pool
checkout and return, the greenlet hop, compiling-cache lookups, parameter and row
processing), most of a tiny job's overhead in distributed mode (bench/README.md).

A :class:`DirectStatement` is the same SQLAlchemy Core statement, built by the same
builders, compiled ONCE for the asyncpg dialect: its SQL, the order of its parameters
with their literal values and bind processors, and its columns' result processors, the
ones SQLAlchemy applies itself. The pool's connections decode ``json``/``jsonb`` as
SQLAlchemy's asyncpg dialect sets them up, so values come and go exactly as through the
engine. A lost connection raises ``DatabaseUnavailable`` as every other path does
(transient: the API answers 503, the runner's job is retried).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import URL, make_url
from sqlalchemy.dialects.postgresql import asyncpg as pg_asyncpg
from sqlalchemy.sql import sqltypes
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

#: Connections older than this are replaced when taken (as the engine's pool_recycle).
_RECYCLE_S = 1800.0
_DIALECT = pg_asyncpg.dialect()  # type: ignore[no-untyped-call]
_REQUIRED = object()
Processor = Callable[[Any], Any] | None


def _result_processor(type_: Any) -> Processor:
    impl = type_.dialect_impl(_DIALECT)
    if isinstance(impl, (sqltypes.Numeric, sqltypes.Float)):
        return None  # asyncpg returns int, float and Decimal as SQLAlchemy would
    processor: Processor = impl.result_processor(_DIALECT, None)
    return processor


class DirectStatement:
    """A Core statement compiled once for asyncpg; :meth:`args` orders a call's
    parameters (by name, as for ``Connection.execute``) and :meth:`row` processes a
    returned row, as SQLAlchemy would."""

    def __init__(self, statement: ClauseElement) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=_DIALECT))
        self.sql = compiled.string
        #: (name, value when not given, bind processor) of each ``$n``, in order.
        self._params: list[tuple[str, Any, Processor]] = []
        for name in compiled.positiontup or []:
            bind = compiled.binds[name]
            default = _REQUIRED if bind.required else bind.value
            process = bind.type.dialect_impl(_DIALECT).bind_processor(_DIALECT)
            self._params.append((name, default, process))
        columns = getattr(statement, "selected_columns", ())
        self._result = [_result_processor(column.type) for column in columns]
        self._processes_rows = any(p is not None for p in self._result)

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        out = []
        for name, default, process in self._params:
            value = params.get(name, default)
            if value is _REQUIRED:
                raise KeyError(f"no value for the bound parameter {name!r}")
            # Processors see None too, as in SQLAlchemy: a JSON column's None is JSON null.
            out.append(value if process is None else process(value))
        return out

    def row(self, record: Sequence[Any]) -> tuple[Any, ...]:
        if not self._processes_rows:
            return tuple(record)
        return tuple(
            value if process is None else process(value)
            for value, process in zip(record, self._result, strict=True)
        )


def connect_args(url: str | URL) -> dict[str, Any]:
    """asyncpg's ``connect`` arguments for a SQLAlchemy URL, as the engine's dialect
    derives them (host, port, user, password, database, and its query options)."""
    _, kwargs = _DIALECT.create_connect_args(make_url(url))  # type: ignore[no-untyped-call]
    kwargs = dict(kwargs)
    # SQLAlchemy's adapter options: its statement cache is asyncpg's own here (0 for a
    # PgBouncer that cannot keep prepared statements).
    cache = kwargs.pop("prepared_statement_cache_size", None)
    if cache is not None:
        kwargs["statement_cache_size"] = int(cache)
    kwargs.pop("prepared_statement_name_func", None)
    return kwargs


async def _json_codecs(conn: asyncpg.Connection) -> None:
    """``json`` and ``jsonb`` in and out as SQLAlchemy's asyncpg dialect has them: a
    JSON text given (the bind processor serialized it), a Python value returned."""
    await conn.set_type_codec(
        "json",
        encoder=str.encode,
        decoder=lambda data: json.loads(data.decode()),
        schema="pg_catalog",
        format="binary",
    )
    await conn.set_type_codec(
        "jsonb",
        encoder=lambda text: b"\x01" + text.encode(),
        decoder=lambda data: json.loads(data[1:].decode()),
        schema="pg_catalog",
        format="binary",
    )


class DirectPool:
    """asyncpg connections of this process's event loop, up to ``size`` at once.

    Lighter than asyncpg's own pool because its connections only ever run one
    statement in autocommit: no transaction, cursor, LISTEN, setting or lock outlives
    a statement, so a connection goes back as it is (asyncpg's pool resets each one
    on release, a round trip as long as the statement itself, and hands it back
    through a task). A connection whose statement did not end with PostgreSQL's answer
    (cancelled, cut) is closed instead; one the server closed is dropped when taken.
    """

    def __init__(self, url: str | URL, *, size: int) -> None:
        self._connect = connect_args(url)
        self._slots = asyncio.Semaphore(size)
        self._idle: list[tuple[asyncpg.Connection, float]] = []
        self._closed = False

    async def fetch(self, statement: DirectStatement, params: Mapping[str, Any]) -> list[Any]:
        """The statement's rows, processed; it runs in autocommit (one round trip)."""
        args = statement.args(params)
        async with self._slots:
            try:
                records = await self._fetch_on(await self._take(), statement.sql, args)
            except asyncpg.InternalClientError:
                # The server ended the session while the connection sat here: its FATAL
                # came in, its close not yet, and asyncpg refused to send anything on it.
                # The statement was not sent: it runs, once, on another connection.
                records = await self._fetch_on(await self._take(), statement.sql, args)
        return [statement.row(record) for record in records]

    async def _fetch_on(
        self, taken: tuple[asyncpg.Connection, float], sql: str, args: list[Any]
    ) -> list[Any]:
        conn = taken[0]
        try:
            records: list[Any] = await conn.fetch(sql, *args)
        except asyncpg.PostgresError:
            self._give_back(taken)  # refused by the server, still usable
            raise
        except BaseException:
            conn.terminate()  # cancelled or cut midway: its state is unknown
            raise
        self._give_back(taken)
        return records

    def _give_back(self, taken: tuple[asyncpg.Connection, float]) -> None:
        if self._closed:
            taken[0].terminate()  # its statement ended after close()
        else:
            self._idle.append(taken)

    async def _take(self) -> tuple[asyncpg.Connection, float]:
        now = time.monotonic()
        while self._idle:
            conn, born = self._idle.pop()
            if not conn.is_closed() and now - born < _RECYCLE_S:
                return conn, born
            conn.terminate()
        conn = await asyncpg.connect(**self._connect)
        try:
            await _json_codecs(conn)
        except BaseException:
            conn.terminate()
            raise
        return conn, now

    async def close(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for conn, _ in idle:
            await conn.close()
