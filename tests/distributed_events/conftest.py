"""Two pictor nodes on one PostgreSQL database, their events shared over the machine's
Redis, or over PostgreSQL LISTEN/NOTIFY (a channel of their own per test, so parallel
runs never hear each other).

Node B runs jobs (its in-process queue); node A runs none: whatever a client of A
sees live came from B through the bus. Each node is a real uvicorn server on loopback.
With Redis, node A reaches it through :class:`CuttableProxy`, a TCP proxy in this
process, so a test can cut A off from Redis (and keep it off) without touching the
shared server.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from redis.asyncio import Redis
from tests.conftest import (
    POSTGRES_SERVER,
    User,
    create_postgres_database,
    drop_postgres_database,
    make_settings,
    new_user,
)
from tests.support.server import live_server

from pictor.api.app import create_app
from pictor.jobs.events_postgres import PostgresEventBus, plain_dsn
from pictor.jobs.events_redis import RedisEventBus
from pictor.runtime import Runtime, build_runtime

REDIS_URL = "redis://127.0.0.1:6379/0"


class CuttableProxy:
    """A loopback TCP proxy to Redis whose connections a test can cut, and keep cut."""

    def __init__(self, host: str = "127.0.0.1", port: int = 6379) -> None:
        self.target = (host, port)
        self.open = True
        self.port = 0
        self.accepted = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._accepted = asyncio.Condition()

    async def __aenter__(self) -> CuttableProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.cut()
        assert self._server is not None
        self._server.close()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def cut(self) -> None:
        """Close every proxied connection and refuse new ones until :meth:`restore`."""
        self.open = False
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def restore(self) -> None:
        async with self._accepted:
            self.open = True

    async def wait_accepted(self, count: int) -> None:
        """Until ``count`` connections in all were let through."""
        async with self._accepted:
            await self._accepted.wait_for(lambda: self.accepted >= count)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.open:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers.update((writer, up_writer))
        async with self._accepted:
            self.accepted += 1
            self._accepted.notify_all()
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


@dataclass
class Node:
    name: str
    runtime: Runtime
    url: str

    @property
    def bus(self) -> RedisEventBus | PostgresEventBus:
        assert isinstance(self.runtime.bus, RedisEventBus | PostgresEventBus)
        return self.runtime.bus


@dataclass
class Nodes:
    a: Node
    b: Node
    proxy: CuttableProxy
    channel: str


@contextlib.asynccontextmanager
async def two_nodes(tmp_path: Path, kind: str) -> AsyncIterator[Nodes]:
    db_name = await create_postgres_database()
    database_url = f"{POSTGRES_SERVER}/{db_name}"
    channel = f"pictor-test-events:{uuid.uuid4().hex}"
    events = {"channel": channel, "reconnect_max_s": 0.2}
    async with contextlib.AsyncExitStack() as stack:
        proxy = await stack.enter_async_context(CuttableProxy())
        started: list[Node] = []
        urls = (proxy.url, REDIS_URL) if kind == "redis" else ("postgres", "postgres")
        for name, url, run_workers in (("a", urls[0], False), ("b", urls[1], True)):
            settings = make_settings(tmp_path / "data", database_url, events={**events, "url": url})
            runtime = build_runtime(settings, run_workers=run_workers, reconcile=False)
            await runtime.start(migrate=name == "a")
            stack.push_async_callback(runtime.stop)
            live = await stack.enter_async_context(live_server(create_app(runtime=runtime)))
            started.append(Node(name, runtime, live))
        try:
            yield Nodes(started[0], started[1], proxy, channel)
        finally:
            await stack.aclose()
            await drop_postgres_database(db_name)


@pytest.fixture(params=["redis", "postgres"])
async def nodes(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Nodes]:
    async with two_nodes(tmp_path, str(request.param)) as started:
        yield started


@pytest.fixture
async def redis_nodes(tmp_path: Path) -> AsyncIterator[Nodes]:
    async with two_nodes(tmp_path, "redis") as started:
        yield started


@pytest.fixture
async def postgres_nodes(tmp_path: Path) -> AsyncIterator[Nodes]:
    async with two_nodes(tmp_path, "postgres") as started:
        yield started


@pytest.fixture
async def user(request: pytest.FixtureRequest) -> User:
    name = next(n for n in ("nodes", "redis_nodes", "postgres_nodes") if n in request.fixturenames)
    started: Nodes = request.getfixturevalue(name)
    return await new_user(started.a.runtime)


async def kill_connections(bus: RedisEventBus | PostgresEventBus, role: str) -> int:
    """Kill this bus's own connections of ``role`` (``sub`` or ``pub``): CLIENT KILL on
    Redis, pg_terminate_backend on PostgreSQL (found by their client/application name)."""
    if isinstance(bus, PostgresEventBus):
        name = f"{bus.origin}-{'listen' if role == 'sub' else 'notify'}"
        conn = await asyncpg.connect(plain_dsn(POSTGRES_SERVER) + "/postgres")
        try:
            rows = await conn.fetch(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = $1",
                name,
            )
            return sum(1 for row in rows if row[0])
        finally:
            await conn.close()
    admin = Redis.from_url(REDIS_URL)
    try:
        killed = 0
        for client in await admin.client_list():
            if client.get("name") == f"{bus.origin}-{role}":
                killed += int(await admin.client_kill_filter(_id=client["id"]))
        return killed
    finally:
        await admin.aclose()


def seqs(events: list[dict[str, Any]]) -> list[int]:
    return [int(e["id"]) for e in events]
