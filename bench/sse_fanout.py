"""SSE fan-out: N subscribers on one job all receive its final event; how long after it.

Latency = the moment a client reads the final event off its socket minus the event's
``created_at`` (same machine, same clock). Four setups, measured in the same run:

- ``baseline``: a bare Starlette SSE endpoint; one ``/fire`` call puts one event (with
  its timestamp) on every connection's ``asyncio.Queue``. No database, no auth.
- ``embedded``: ``pictor`` in one process (in-process bus); the job runs there.
- ``redis``: two pictor processes on one PostgreSQL database, events over Redis
  pub/sub. The job runs on node B; all N clients follow it on node A (which runs no
  jobs), so every event crosses Redis.
- ``postgres``: the same two processes, events over PostgreSQL LISTEN/NOTIFY.

The job is ``test_steps`` (tests/support/plugins.py) held at a gate until all N clients
have subscribed (each has read its ``progress`` event); then the gate opens and the
job ends. Clients are raw asyncio sockets in this process (the same client code for
every setup); servers are uvicorn subprocesses on loopback.

    .venv/bin/python bench/sse_fanout.py                    # 1,000 clients, all setups
    .venv/bin/python bench/sse_fanout.py --clients 200 --modes baseline,redis
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for _p in (str(ROOT / "src"), str(ROOT)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import httpx  # noqa: E402

POSTGRES = os.environ.get("PICTOR_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
REDIS = os.environ.get("PICTOR_BENCH_REDIS", "redis://127.0.0.1:6379/0")
CONNECT_AT_ONCE = 100

# -- servers (subprocesses) -------------------------------------------------------------


def serve(role: str, port: int) -> None:
    """Run one server (in a subprocess): ``baseline``, ``a`` (no jobs) or ``b`` (jobs)."""
    import uvicorn

    if role == "baseline":
        app: Any = baseline_app()
    else:
        from pictor.api.app import create_app
        from pictor.config import Settings
        from pictor.runtime import build_runtime

        runtime = build_runtime(Settings(), run_workers=role == "b", reconcile=False)
        app = create_app(runtime=runtime)
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        backlog=4096,
        timeout_keep_alive=60,
    )


def baseline_app() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, StreamingResponse
    from starlette.routing import Route

    queues: set[asyncio.Queue[str]] = set()

    async def sse(request: Request) -> StreamingResponse:
        queue: asyncio.Queue[str] = asyncio.Queue()
        queues.add(queue)

        async def stream() -> AsyncIterator[str]:
            try:
                yield "retry: 1000\n\nid: 1\nevent: progress\ndata: {}\n\n"
                while True:
                    data = await queue.get()
                    yield f"id: 2\nevent: succeeded\ndata: {data}\n\n"
                    return
            finally:
                queues.discard(queue)

        return StreamingResponse(stream(), media_type="text/event-stream")

    async def fire(request: Request) -> JSONResponse:
        created = time.time()
        data = json.dumps({"created_at": datetime.fromtimestamp(created).astimezone().isoformat()})
        for queue in list(queues):
            queue.put_nowait(data)
        return JSONResponse({"created_at": created, "subscribers": len(queues)})

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[
            Route("/sse", sse),
            Route("/fire", fire, methods=["POST"]),
            Route("/health", health),
        ]
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerProc:
    role: str
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.proc = subprocess.Popen(  # noqa: ASYNC220 - returns at once
            [sys.executable, __file__, "_serve", self.role, str(self.port)],
            env={**os.environ, **self.env, "PYTHONPATH": f"{ROOT}:{ROOT / 'src'}"},
            start_new_session=True,
        )
        async with httpx.AsyncClient(base_url=self.url) as client:
            for _ in range(600):
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server {self.role} exited with {self.proc.returncode}")
                try:
                    if (await client.get("/health")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"server {self.role} did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


@asynccontextmanager
async def servers(*procs: ServerProc) -> AsyncIterator[None]:
    try:
        for proc in procs:
            await proc.start()
        yield
    finally:
        for proc in reversed(procs):
            proc.stop()


# -- clients ----------------------------------------------------------------------------


@dataclass
class Client:
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    received_at: float | None = None


async def sse_client(
    port: int, path: str, headers: dict[str, str], client: Client, gate: asyncio.Semaphore
) -> None:
    """A minimal HTTP/1.1 SSE reader: notes when it saw ``event: progress`` (subscribed)
    and the time it read ``event: succeeded``."""
    async with gate:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Accept: text/event-stream"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await writer.drain()
    tail = b""
    try:
        while True:
            chunk = await reader.read(65536)
            now = time.time()
            if not chunk:
                return
            tail = tail[-64:] + chunk
            if not client.ready.is_set() and b"event: progress" in tail:
                client.ready.set()
            if b"event: succeeded" in tail:
                client.received_at = now
                client.ready.set()
                return
    finally:
        writer.close()


@asynccontextmanager
async def subscribers(
    n: int, port: int, path: str, headers: dict[str, str]
) -> AsyncIterator[list[Client]]:
    clients = [Client() for _ in range(n)]
    gate = asyncio.Semaphore(CONNECT_AT_ONCE)
    tasks = [asyncio.create_task(sse_client(port, path, headers, c, gate)) for c in clients]
    try:
        for client in clients:
            await client.ready.wait()
        yield clients
        await asyncio.wait_for(asyncio.gather(*tasks), 120)
    finally:
        for task in tasks:
            task.cancel()


def latencies(clients: list[Client], created_at: float) -> list[float]:
    got = [c.received_at - created_at for c in clients if c.received_at is not None]
    if len(got) != len(clients):
        raise RuntimeError(f"only {len(got)} of {len(clients)} clients got the final event")
    return got


# -- the three setups ----------------------------------------------------------------


async def run_baseline(n: int) -> list[float]:
    server = ServerProc("baseline", {})
    async with servers(server), subscribers(n, server.port, "/sse", {}) as clients:
        async with httpx.AsyncClient(base_url=server.url) as http:
            fired = (await http.post("/fire")).json()
        created_at = float(fired["created_at"])
    return latencies(clients, created_at)


def pictor_env(database_url: str, data_dir: Path, secret: str, **extra: str) -> dict[str, str]:
    return {
        "PICTOR_ENV": "test",
        "PICTOR_DATABASE_URL": database_url,
        "PICTOR_DATA_DIR": str(data_dir),
        "PICTOR_SECURITY_SECRET_KEY": secret,
        "PICTOR_PLUGINS": json.dumps(["tests.support.plugins"]),
        "PICTOR_LOG_JSON": "false",
        "PICTOR_LOG_LEVEL": "WARNING",
        "PICTOR_DATABASE_POOL_SIZE": "20",
        "PICTOR_ADMIN_API_KEY": "psk_bench_" + secrets.token_urlsafe(24),
        **extra,
    }


async def new_key(database_url: str) -> str:
    """A user with credits and an API key, written straight to the database."""
    from pictor.accounts.service import AccountService
    from pictor.config import Settings
    from pictor.credits import ledger
    from pictor.db.engine import Database

    settings = Settings(database={"url": database_url})  # type: ignore[arg-type]
    db = Database(settings.database_url)
    try:
        async with db.session() as session:
            accounts = AccountService(session, signup_grant=0)
            user = await accounts.create_user(f"{uuid.uuid4().hex[:10]}@bench.local")
            _, key = await accounts.create_key(user.id, "bench")
        await db.write(
            lambda conn: ledger.credit(
                conn, user.id, 1000, entry="adjustment", cause_type="admin", cause_id="bench"
            )
        )
    finally:
        await db.dispose()
    return key


async def run_pictor(n: int, mode: str, data_dir: Path) -> list[float]:
    from tests.conftest import create_postgres_database, drop_postgres_database
    from tests.support.gates import Gate

    db_name = await create_postgres_database()
    database_url = f"{POSTGRES}/{db_name}"
    secret = secrets.token_urlsafe(24)
    if mode == "embedded":
        runner = ServerProc(
            "b", pictor_env(database_url, data_dir, secret, PICTOR_EVENTS_URL="local")
        )
        procs = [runner]
        watched = runner
    else:
        channel = f"pictor-bench-events:{uuid.uuid4().hex}"
        url = REDIS if mode == "redis" else "postgres"
        extra = {"PICTOR_EVENTS_URL": url, "PICTOR_EVENTS_CHANNEL": channel}
        runner = ServerProc("b", pictor_env(database_url, data_dir, secret, **extra))
        watched = ServerProc("a", pictor_env(database_url, data_dir, secret, **extra))
        procs = [runner, watched]
    try:
        async with servers(*procs), Gate() as gate:
            headers = {"Authorization": f"Bearer {await new_key(database_url)}"}
            async with httpx.AsyncClient(base_url=runner.url, headers=headers) as http:
                body = {
                    "kind": "test_steps",
                    "input": [],
                    "params": {"port": gate.port, "steps": 1},
                }
                response = await http.post("/v1/jobs", json=body)
                assert response.status_code == 201, response.text
                job_id = response.json()["id"]
                held = await gate.arrival()
                path = f"/v1/jobs/{job_id}/events"
                async with subscribers(n, watched.port, path, headers) as clients:
                    await held.release()
                replay = await http.get(path)
        final = [line for line in replay.text.splitlines() if line.startswith("data: ")][-1]
        created = datetime.fromisoformat(json.loads(final[6:])["created_at"]).timestamp()
        return latencies(clients, created)
    finally:
        await drop_postgres_database(db_name)


def summary(name: str, values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    p50 = statistics.median(ms)
    p95 = ms[max(0, int(len(ms) * 0.95) - 1)]
    return (
        f"| {name} | {len(ms)} | {p50:.0f} | {p95:.0f} | {ms[-1]:.0f} | "
        f"{sum(1 for v in ms if v <= 1000)}/{len(ms)} |"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--modes", default="baseline,embedded,redis,postgres")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    import tempfile

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            for mode in args.modes.split(","):
                if mode == "baseline":
                    values = await run_baseline(args.clients)
                else:
                    values = await run_pictor(args.clients, mode, Path(tmp) / f"{mode}{round_}")
                rows.append(summary(mode, values))
                print(rows[-1], flush=True)
    print(f"\nclients: {args.clients}, load average: {os.getloadavg()[0]:.1f}")
    print("| setup | clients | p50 ms | p95 ms | max ms | within 1 s |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "_serve":
        serve(sys.argv[2], int(sys.argv[3]))
    else:
        asyncio.run(main())
